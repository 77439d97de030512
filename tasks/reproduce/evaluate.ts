/**
 * The explain-and-evaluate work of one (trained probe, explainer) pair on Fashion-MNIST:
 * - GridPG on n x n grids (cells: correctly classified test images with confidence >= the preset's
 *   threshold, distinct classes), one map per (grid, cell) for that cell's class;
 * - EPG on multi-object scenes (several test items on a larger canvas): one map per (scene, present
 *   class) from the single-label probe, scored inside that class's boxes, overall and by box size;
 * - pixel deletion (least relevant first by default) on test images, with the probe's output
 *   probability (softmax for CE probes, sigmoid for BCE probes);
 * - Gini and entropy of the true-class maps of test images.
 *
 * @module
 */
import type { FashionMnist } from "../../core/data/fashion_mnist.ts";
import { buildGrids, TooFewClassesError } from "../../core/data/grid.ts";
import { makeScenes } from "../../core/data/scenes.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import type { Module } from "../../core/nn/module.ts";
import { noGrad } from "../../core/autograd.ts";
import { sigmoid } from "../../core/ops/elementwise.ts";
import { softmax } from "../../core/ops/softmax.ts";
import { fromArray, type Tensor, tidyAsync } from "../../core/tensor.ts";
import { bcosContributions } from "../../explainers/bcos.ts";
import { gradCam } from "../../explainers/gradcam.ts";
import { inputXGradient } from "../../explainers/gradient.ts";
import { guidedBackprop } from "../../explainers/guided.ts";
import { integratedGradients } from "../../explainers/integrated_gradients.ts";
import { lime } from "../../explainers/lime/lime.ts";
import { epsilonGammaBox } from "../../explainers/lrp/composites.ts";
import { lrp } from "../../explainers/lrp/lrp.ts";
import { scoreCam } from "../../explainers/scorecam.ts";
import { attentionRollout } from "../../explainers/vit/rollout.ts";
import { cgw1 } from "../../explainers/vit/cgw1.ts";
import { causalX } from "../../explainers/vit/causalx.ts";
import { attributionEntropy, giniIndex } from "../../metrics/complexity.ts";
import { deletionCurve, deletionSteps } from "../../metrics/deletion.ts";
import { energyPointingGame } from "../../metrics/epg.ts";
import { gridPG } from "../../metrics/gridpg.ts";
import type { Box } from "../../metrics/regions.ts";
import type { PipelineConfig } from "../pipeline/config.ts";

/** Turns gray [0, 1] images into the backbone's input encoding. */
export type Encode = (x: Tensor) => Tensor;

/** What the explain stage needs of a trained probe. */
export interface ProbedRun {
  /** Backbone + probe (logits). */
  model: Module;
  /** Input encoding of the backbone. */
  encode: Encode;
  /** Loss the probe was trained with (selects softmax or sigmoid scores). */
  loss: "ce" | "bce";
  /** Test split. */
  test: FashionMnist;
}

/** Metrics of one (probe, explainer) pair, in the results.json layout. */
export interface PairMetrics {
  gridpg: Record<string, number | null>;
  epg:
    | { overall: number | null; bins: { lo: number; hi: number; percent: number | null; count: number }[] }
    | null;
  deletion: { order: "lerf" | "morf"; fractions: number[]; curve: number[]; auc: number } | null;
  gini: number | null;
  entropy: number | null;
}

/**
 * Computes attribution maps [B, H, W] with the named explainer (async for LIME and CausalX).
 *
 * @example
 * ```ts ignore
 * const maps = await explain("ixg", model, x, [3, 1], config.explain);
 * ```
 */
export async function explain(
  name: string,
  model: Module,
  x: Tensor,
  target: number[],
  cfg: PipelineConfig["explain"],
): Promise<Tensor> {
  switch (name) {
    case "bcos":
      return bcosContributions(model, x, target);
    case "ixg":
      return inputXGradient(model, x, target);
    case "intgrad":
      return integratedGradients(model, x, target, { steps: cfg.intgradSteps });
    case "gbp":
      return guidedBackprop(model, x, target);
    case "gradcam":
      return gradCam(model, x, target);
    case "scorecam":
      return scoreCam(model, x, target, { batchSize: cfg.scorecamBatch });
    case "lrp":
      return lrp(model, x, target, { composite: epsilonGammaBox({ low: 0, high: 1 }) });
    case "lime":
      return await lime(model, x, target, { samples: cfg.limeSamples });
    case "rollout":
      return attentionRollout(model, x, target);
    case "cgw1":
      return cgw1(model, x, target);
    case "causalx":
      return await causalX(model, x, target);
    default:
      throw new RangeError(`unknown explainer '${name}'`);
  }
}

async function mapsInBatches(
  name: string,
  run: ProbedRun,
  images: Float32Array,
  shape: [number, number, number, number],
  targets: number[],
  cfg: PipelineConfig["explain"],
): Promise<HostTensor> {
  const [N, C, H, W] = shape;
  const out = new Float32Array(N * H * W);
  for (let s = 0; s < N; s += cfg.batchSize) {
    const e = Math.min(N, s + cfg.batchSize);
    const part = await tidyAsync(async () => {
      const x = run.encode(fromArray([e - s, C, H, W], images.subarray(s * C * H * W, e * C * H * W)));
      return await (await explain(name, run.model, x, targets.slice(s, e), cfg)).read();
    });
    out.set(part, s * H * W);
  }
  return { shape: [N, H, W], data: out };
}

/** Probabilities [N, classes] of the probe on gray images (softmax for CE probes, sigmoid for BCE). */
export async function probabilities(
  run: ProbedRun,
  images: Float32Array,
  shape: number[],
  batch = 64,
): Promise<Float32Array> {
  const [N, C, H, W] = shape;
  const parts: Float32Array[] = [];
  for (let s = 0; s < N; s += batch) {
    const e = Math.min(N, s + batch);
    parts.push(
      await tidyAsync(async () => {
        const logits = noGrad(() =>
          run.model.call(
            run.encode(fromArray([e - s, C, H, W], images.subarray(s * C * H * W, e * C * H * W))),
          )
        );
        return await (run.loss === "ce" ? softmax(logits, -1) : sigmoid(logits)).read();
      }),
    );
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
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
  const t = run.test;
  const H = t.height, W = t.width, C = 10;
  const n = t.n;
  const ev = config.evaluate;
  const probs = await probabilities(run, t.images, [n, 1, H, W]);
  const pred = Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c] > probs[i * C + best]) best = c;
    return best;
  });
  const confidence = Array.from({ length: n }, (_, i) => probs[i * C + t.labels[i]]);
  const result: PairMetrics = { gridpg: {}, epg: null, deletion: null, gini: null, entropy: null };

  // GridPG
  for (const size of ev.gridpg.sizes) {
    const key = `${size}x${size}`;
    let grids;
    try {
      grids = buildGrids(
        {
          images: t.images,
          shape: [n, 1, H, W],
          labels: t.labels,
          confidence,
          correct: pred.map((p, i) => p === t.labels[i]),
        },
        { count: ev.gridpg.grids, n: size, threshold: ev.gridpg.minConfidence, seed },
      );
    } catch (e) {
      if (!(e instanceof TooFewClassesError)) throw e;
      result.gridpg[key] = null; // too few confident classes for this grid size
      continue;
    }
    const cells = size * size;
    const gh = H * size, gw = W * size;
    const images = new Float32Array(grids.length * cells * gh * gw);
    const targets: number[] = [];
    const boxes: Box[] = [];
    grids.forEach((g, gi) => {
      for (let c = 0; c < cells; c++) {
        images.set(g.image.data, (gi * cells + c) * gh * gw);
        targets.push(g.classes[c]);
        const r = g.cells[c];
        boxes.push({ x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1 });
      }
    });
    const maps = await mapsInBatches(name, run, images, [targets.length, 1, gh, gw], targets, config.explain);
    const r = gridPG(maps, boxes, { smooth: true, kernelSize: ev.gridpg.smoothing });
    result.gridpg[key] = Number.isNaN(r.meanPercent) ? null : r.meanPercent;
  }

  // EPG on multi-object scenes, one map per (scene, present class)
  const sceneCfg = config.data.multiLabel.find((m) => m.dataset === "fashion-scenes");
  if (sceneCfg && ev.epg.images > 0) {
    const scenes = makeScenes(t, {
      count: ev.epg.images,
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
    const r = energyPointingGame(maps, boxes, { binEdges: ev.epg.sizeBins });
    result.epg = {
      overall: Number.isNaN(r.meanPercent) ? null : r.meanPercent,
      bins: r.bins.map((b) => ({
        lo: b.lo,
        hi: b.hi,
        percent: Number.isNaN(b.meanPercent) ? null : b.meanPercent,
        count: b.count,
      })),
    };
  }

  // Deletion, Gini and entropy on the first test images, true-class maps
  const k = Math.min(n, Math.max(ev.deletion.images, ev.complexity.images));
  if (k > 0) {
    const images = t.images.subarray(0, k * H * W);
    const labels = Array.from(t.labels.subarray(0, k));
    const maps = await mapsInBatches(name, run, images, [k, 1, H, W], labels, config.explain);
    const cmaps = {
      shape: [Math.min(k, ev.complexity.images), H, W],
      data: maps.data.subarray(0, Math.min(k, ev.complexity.images) * H * W),
    };
    const finite = (v: Float64Array) => {
      const ok = [...v].filter((x) => !Number.isNaN(x));
      return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
    };
    if (cmaps.shape[0] > 0) {
      result.gini = finite(giniIndex(cmaps));
      result.entropy = finite(attributionEntropy(cmaps, { kernelSize: ev.complexity.smoothing }));
    }
    const kd = Math.min(k, ev.deletion.images);
    if (kd > 0) {
      const fractions = Array.from({ length: ev.deletion.steps + 1 }, (_, i) => i / ev.deletion.steps);
      const probsPerStep: number[][] = [];
      for (
        const step of deletionSteps(
          { shape: [kd, 1, H, W], data: images.subarray(0, kd * H * W) },
          { shape: [kd, H, W], data: maps.data.subarray(0, kd * H * W) },
          { fractions, replacement: ev.deletion.replacement, order: ev.deletion.order },
        )
      ) {
        const p = await probabilities(run, step.images.data, [kd, 1, H, W]);
        probsPerStep.push(labels.slice(0, kd).map((c, i) => p[i * C + c]));
      }
      const d = deletionCurve(probsPerStep, fractions);
      result.deletion = { order: ev.deletion.order, fractions, curve: [...d.curve], auc: d.auc };
    }
  }
  return result;
}
