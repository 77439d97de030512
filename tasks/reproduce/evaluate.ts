/**
 * The explain-and-evaluate work of one (trained probe, explainer) pair on its single-label test images
 * (Fashion-MNIST, or ImageNet val images at `data.imageSize`):
 * - GridPG on n x n grids (cells: correctly classified test images with confidence >= the preset's
 *   threshold, distinct classes), one map per (grid, cell) for that cell's class;
 * - EPG, overall and by box size: on multi-object Fashion-MNIST scenes (several test items on a larger
 *   canvas), one map per (scene, present class) from the single-label probe, scored inside that class's
 *   boxes; on ImageNet val images with boxes (Figure 2a), the true-class map of each of the first
 *   `evaluate.epg.images` images that has a box of its class, scored inside those boxes (VOC / COCO EPG
 *   uses a multi-label probe: see `epg_multilabel.ts`);
 * - pixel deletion (least relevant first by default) on test images, with the probe's output
 *   probability (softmax for CE probes, sigmoid for BCE probes); deleted pixels take
 *   `evaluate.deletion.replacement` in [0, 1] pixel space, before the input encoding;
 * - Gini and entropy of the true-class maps of test images.
 *
 * @module
 */
import type { Box as LabelledBox } from "../../core/data/boxes.ts";
import { makeScenes } from "../../core/data/scenes.ts";
import { attributionEntropy, giniIndex } from "../../metrics/complexity.ts";
import { deletionCurve, deletionSteps } from "../../metrics/deletion.ts";
import { energyPointingGame } from "../../metrics/epg.ts";
import { gridPG } from "../../metrics/gridpg.ts";
import type { Box } from "../../metrics/regions.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import { mapsInBatches, probabilities, type ProbedRun } from "./explain_run.ts";
import { gridBatch, type GridCandidates, gridCandidates } from "./grid_batch.ts";

export { type Encode, explain, type ProbedRun } from "./explain_run.ts";

/** One EPG result in the results.json layout. */
export interface EpgMetrics {
  /** Mean EPG (%) over the scored pairs (null: none). */
  overall: number | null;
  /** Mean EPG (%) and pair count per disjoint box-area bin. */
  bins: { lo: number; hi: number; percent: number | null; count: number }[];
}

/** Metrics of one (probe, explainer) pair, in the results.json layout. */
export interface PairMetrics {
  /** GridPG (%) by grid, keyed `2x2`, `3x3` (null: too few confident classes). */
  gridpg: Record<string, number | null>;
  /** EPG on generated scenes (null: not configured). */
  epg: EpgMetrics | null;
  /** Pixel deletion curve and its area. */
  deletion: { order: "lerf" | "morf"; fractions: number[]; curve: number[]; auc: number } | null;
  /** Mean Gini index of the maps. */
  gini: number | null;
  /** Mean entropy (bits) of the smoothed maps. */
  entropy: number | null;
}

const range = (k: number) => Array.from({ length: k }, (_, i) => i);

/**
 * The EPG result of maps and their boxes (NaN means stored as null).
 *
 * @example
 * ```ts ignore
 * const m = epgMetrics(maps, boxes, [0.25, 0.5, 0.75]);
 * ```
 */
export function epgMetrics(
  maps: Parameters<typeof energyPointingGame>[0],
  boxes: Box[][],
  binEdges: number[],
): EpgMetrics {
  const r = energyPointingGame(maps, boxes, { binEdges });
  return {
    overall: Number.isNaN(r.meanPercent) ? null : r.meanPercent,
    bins: r.bins.map((b) => ({
      lo: b.lo,
      hi: b.hi,
      percent: Number.isNaN(b.meanPercent) ? null : b.meanPercent,
      count: b.count,
    })),
  };
}

/** GridPG of one grid size; null when too few classes have confident, correct images. */
async function gridpgOf(
  name: string,
  run: ProbedRun,
  config: PipelineConfig,
  size: number,
  pool: GridCandidates,
  seed: number,
): Promise<number | null> {
  const batch = await gridBatch(run, config, size, pool, seed);
  if (!batch) return null;
  const { images, shape, targets, boxes } = batch;
  const maps = await mapsInBatches(name, run, images, shape, targets, config.explain);
  const r = gridPG(maps, boxes, { smooth: true, kernelSize: config.evaluate.gridpg.smoothing });
  return Number.isNaN(r.meanPercent) ? null : r.meanPercent;
}

/** EPG on generated Fashion-MNIST scenes, one map per (scene, present class). */
async function sceneEpg(name: string, run: ProbedRun, config: PipelineConfig, seed: number) {
  const t = run.data.fashion;
  const sceneCfg = config.data.multiLabel.find((m) => m.dataset === "fashion-scenes");
  if (!t || !sceneCfg || config.evaluate.epg.images === 0) return null;
  const scenes = makeScenes(t, {
    count: config.evaluate.epg.images,
    size: sceneCfg.imageSize,
    items: (sceneCfg.itemsPerScene ?? [2, 3]) as [number, number],
    seed: seed + 1,
    // small canvases cannot hold several 28 px items without some overlap
    maxOverlap: sceneCfg.imageSize >= 3 * t.width ? 0 : 0.3,
  });
  const S = sceneCfg.imageSize;
  const imgs: number[] = [];
  const targets: number[] = [];
  const boxes: Box[][] = [];
  scenes.boxes.forEach((bx, s) => {
    for (const cls of [...new Set(bx.map((b) => b.cls))]) {
      imgs.push(s);
      targets.push(cls);
      boxes.push(bx.filter((b) => b.cls === cls));
    }
  });
  const images = new Float32Array(imgs.length * S * S);
  imgs.forEach((s, k) => images.set(scenes.images.subarray(s * S * S, (s + 1) * S * S), k * S * S));
  const maps = await mapsInBatches(name, run, images, [imgs.length, 1, S, S], targets, config.explain);
  return epgMetrics(maps, boxes, config.evaluate.epg.sizeBins);
}

/** The first test images, their boxes and labels, and their true-class maps (explained once). */
interface TrueClassMaps {
  images: Float32Array;
  boxes: LabelledBox[][];
  labels: number[];
  maps: { shape: number[]; data: Float32Array };
}

async function trueClassMaps(
  name: string,
  run: ProbedRun,
  config: PipelineConfig,
  k: number,
): Promise<TrueClassMaps> {
  const d = run.data, [C, H, W] = d.shape;
  const { images, boxes } = await d.load(range(k));
  const labels = range(k).map((i) => d.labels[i]);
  const maps = await mapsInBatches(name, run, images, [k, C, H, W], labels, config.explain);
  return { images, boxes, labels, maps };
}

/** EPG of the true-class maps of the first test images that carry boxes of their class (ImageNet val). */
function boxedImageEpg(t: TrueClassMaps, k: number, config: PipelineConfig) {
  const [, H, W] = t.maps.shape, size = H * W;
  const kept = range(k).filter((i) => t.boxes[i].some((b) => b.cls === t.labels[i]));
  if (kept.length === 0) return null;
  const data = new Float32Array(kept.length * size);
  kept.forEach((i, j) => data.set(t.maps.data.subarray(i * size, (i + 1) * size), j * size));
  const boxes = kept.map((i) => t.boxes[i].filter((b) => b.cls === t.labels[i]));
  return epgMetrics({ shape: [kept.length, H, W], data }, boxes, config.evaluate.epg.sizeBins);
}

/** Deletion, Gini and entropy on the first test images, true-class maps. */
async function deletionAndComplexity(
  run: ProbedRun,
  t: TrueClassMaps,
  config: PipelineConfig,
  result: PairMetrics,
): Promise<void> {
  const d = run.data, ev = config.evaluate;
  const [C, H, W] = d.shape, K = d.numClasses;
  const { images, labels, maps } = t;
  const k = labels.length;
  const kc = Math.min(k, ev.complexity.images);
  const cmaps = { shape: [kc, H, W], data: maps.data.subarray(0, kc * H * W) };
  const finite = (v: Float64Array) => {
    const ok = [...v].filter((x) => !Number.isNaN(x));
    return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
  };
  if (kc > 0) {
    result.gini = finite(giniIndex(cmaps));
    result.entropy = finite(attributionEntropy(cmaps, { kernelSize: ev.complexity.smoothing }));
  }
  const kd = Math.min(k, ev.deletion.images);
  if (kd === 0) return;
  const fractions = Array.from({ length: ev.deletion.steps + 1 }, (_, i) => i / ev.deletion.steps);
  const probsPerStep: number[][] = [];
  for (
    const step of deletionSteps(
      { shape: [kd, C, H, W], data: images.subarray(0, kd * C * H * W) },
      { shape: [kd, H, W], data: maps.data.subarray(0, kd * H * W) },
      { fractions, replacement: ev.deletion.replacement, order: ev.deletion.order },
    )
  ) {
    const p = await probabilities(run, step.images.data, [kd, C, H, W]);
    probsPerStep.push(labels.slice(0, kd).map((c, i) => p[i * K + c]));
  }
  const curve = deletionCurve(probsPerStep, fractions);
  result.deletion = { order: ev.deletion.order, fractions, curve: [...curve.curve], auc: curve.auc };
}

/**
 * Runs every metric of one (probe, explainer) pair.
 *
 * @example
 * ```ts ignore
 * const m = await evaluatePair("lrp", run, config, 0);
 * ```
 */
export async function evaluatePair(
  name: string,
  run: ProbedRun,
  config: PipelineConfig,
  seed: number,
): Promise<PairMetrics> {
  const { pool } = await gridCandidates(run);
  const result: PairMetrics = { gridpg: {}, epg: null, deletion: null, gini: null, entropy: null };
  for (const size of config.evaluate.gridpg.sizes) {
    result.gridpg[`${size}x${size}`] = await gridpgOf(name, run, config, size, pool, seed);
  }
  const d = run.data, ev = config.evaluate;
  // boxed single-label images (ImageNet val) score EPG on the same true-class maps as deletion and Gini
  const boxed = !d.fashion && !d.present ? Math.min(d.n, ev.epg.images) : 0;
  if (d.fashion) result.epg = await sceneEpg(name, run, config, seed);
  const k = Math.min(d.n, Math.max(ev.deletion.images, ev.complexity.images, boxed));
  if (k === 0) return result;
  const maps = await trueClassMaps(name, run, config, k);
  if (boxed > 0) result.epg = boxedImageEpg(maps, boxed, config);
  await deletionAndComplexity(run, maps, config, result);
  return result;
}
