/**
 * EPG on a multi-label dataset with real boxes (VOC 2007, COCO 2014) for one (multi-label probe,
 * explainer) pair: one map per (test image, present class), in test-split order until
 * `evaluate.epg.images` pairs, explaining that class's logit of the multi-label BCE probe, scored
 * inside the union of that class's boxes (in the resized image's coordinates), overall and by box-area
 * bin (metrics/epg.ts). Pairs are explained in chunks, so only a chunk of images is held at a time.
 *
 * @module
 */
import type { Box } from "../../core/data/boxes.ts";
import { energyPointingGame } from "../../metrics/epg.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import type { EpgMetrics } from "./evaluate.ts";
import { mapsInBatches, type ProbedRun } from "./explain_run.ts";

/** The (image, class) pairs scored: test images in order, each present class once. */
function pairsOf(present: number[][], limit: number): { image: number; cls: number }[] {
  const pairs: { image: number; cls: number }[] = [];
  for (let i = 0; i < present.length && pairs.length < limit; i++) {
    for (const cls of present[i]) if (pairs.length < limit) pairs.push({ image: i, cls });
  }
  return pairs;
}

/**
 * EPG of one explainer on the multi-label test images of `run` (null when no pair is scored).
 *
 * @example
 * ```ts ignore
 * const epg = await multiLabelEpg("ixg", run, config);
 * ```
 */
export async function multiLabelEpg(
  name: string,
  run: ProbedRun,
  config: PipelineConfig,
  chunk = 64,
): Promise<EpgMetrics | null> {
  const d = run.data;
  if (!d.present) throw new Error(`multiLabelEpg: the test split of this probe is not multi-label`);
  const [C, H, W] = d.shape;
  const pairs = pairsOf(d.present, config.evaluate.epg.images);
  if (pairs.length === 0) return null;
  const edges = config.evaluate.epg.sizeBins;
  const fractions: number[] = [];
  const bins: number[] = [];
  for (let s = 0; s < pairs.length; s += chunk) {
    const part = pairs.slice(s, s + chunk);
    const sources = [...new Set(part.map((p) => p.image))];
    const loaded = await d.load(sources);
    const at = new Map(sources.map((src, j) => [src, j]));
    const per = C * H * W;
    const images = new Float32Array(part.length * per);
    const boxes: Box[][] = [];
    part.forEach((p, k) => {
      const j = at.get(p.image)!;
      images.set(loaded.images.subarray(j * per, (j + 1) * per), k * per);
      boxes.push(loaded.boxes[j].filter((b) => b.cls === p.cls));
    });
    const targets = part.map((p) => p.cls);
    const maps = await mapsInBatches(name, run, images, [part.length, C, H, W], targets, config.explain);
    const r = energyPointingGame(maps, boxes, { binEdges: edges });
    fractions.push(...r.fractions);
    bins.push(...r.bin);
  }
  const lo = [0, ...edges], hi = [...edges, 1];
  const mean = (keep: (i: number) => boolean) => {
    const v = fractions.filter((f, i) => !Number.isNaN(f) && keep(i));
    return { percent: v.length ? 100 * v.reduce((a, b) => a + b, 0) / v.length : null, count: v.length };
  };
  return {
    overall: mean(() => true).percent,
    bins: lo.map((l, k) => ({ lo: l, hi: hi[k], ...mean((i) => bins[i] === k) })),
  };
}
