/**
 * LIME for images (Ribeiro et al. 2016), as the `lime` package's `LimeImageExplainer` with the paper's
 * settings (PROTOCOL.md §5): superpixels by quickshift (kernel 4, max_dist 200, ratio 0.2) or SLIC;
 * `samples` (default 500) binary on/off vectors over the superpixels (the first all on), seeded; hidden
 * superpixels set to their mean colour (per channel, in the model's input space); the model's target
 * score on every perturbed image (softmax for CE probes, sigmoid for BCE probes, or the logit);
 * sample weights `sqrt(exp(-d^2 / width^2))` of the cosine distance `d` to the all-on vector (width
 * 0.25); a weighted ridge regression (alpha 1, intercept) in float64; its coefficients painted on the
 * superpixels give the map.
 *
 * The perturbed images are composed and scored on the GPU in batches (one kernel builds a batch from
 * the on/off matrix and the segment map); the scores of all images are read back once for the
 * regressions. Segmentation needs the image on the host (one readback of the input) and may run in
 * workers. The call is therefore async.
 *
 * @module
 */
import { noGrad } from "../../core/autograd.ts";
import { Rng } from "../../core/data/rng.ts";
import type { Module } from "../../core/nn/module.ts";
import { indexSelect } from "../../core/ops/gather.ts";
import { concat, slice } from "../../core/ops/layout.ts";
import { fromArray, type Tensor, tidy, tidyAsync, view } from "../../core/tensor.ts";
import {
  checkImages,
  checkLogits,
  inEvalModeAsync,
  labelCount,
  type Target,
  targetWeights,
} from "../common.ts";
import { composeSegments } from "../kernels.ts";
import { type OutputScore, targetScore } from "../scorecam.ts";
import { weightedRidge } from "./ridge.ts";
import { type SegmentationSpec, segmentImages } from "./segment.ts";

/** Options of {@link lime}. */
export interface LimeOptions extends SegmentationSpec {
  /** Perturbation samples per image (default 500). */
  samples?: number;
  /** Precomputed superpixels, one label map (`H * W`, labels `0 .. n - 1`) per image. */
  segments?: readonly Int32Array[];
  /**
   * The RGB image (interleaved, in [0, 1]) to segment, from the input's first three channels: undo this
   * normalisation (`x * std + mean`) if given, else rescale each image by its min / max.
   */
  normalization?: { mean: readonly number[]; std: readonly number[] };
  /** Kernel width of the cosine-distance weights (default 0.25). */
  kernelWidth?: number;
  /** Score of a perturbed image (default softmax). */
  score?: OutputScore;
  /** Perturbed images per forward (default 50). */
  batchSize?: number;
  /** Ridge penalty (default 1). */
  alpha?: number;
  /** Seed of the on/off samples (default 0; image b uses seed + b). */
  seed?: number;
}

/** LIME's maps with what they were fitted from. */
export interface LimeResult {
  /** `[B, H, W]`: each pixel holds its superpixel's coefficient. */
  map: Tensor;
  /** Per image: one coefficient per superpixel. */
  coefficients: Float64Array[];
  /** Per image: the intercept of the fit. */
  intercepts: number[];
  /** Per image: the weighted R^2 of the fit. */
  scores: number[];
  /** Per image: the superpixels. */
  segments: Int32Array[];
}

/** Interleaved RGB in [0, 1] of image `b` of a planar host batch. */
function toRgb(host: Float32Array, b: number, C: number, P: number, opts: LimeOptions): Float64Array {
  if (C < 3) throw new RangeError(`lime: segmentation needs 3 colour channels, the input has ${C}`);
  const rgb = new Float64Array(P * 3);
  const base = b * C * P;
  for (let c = 0; c < 3; c++) for (let p = 0; p < P; p++) rgb[p * 3 + c] = host[base + c * P + p];
  const n = opts.normalization;
  if (n) return rgb.map((v, i) => v * n.std[i % 3] + n.mean[i % 3]);
  let lo = Infinity, hi = -Infinity;
  for (const v of rgb) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return rgb.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
}

/**
 * LIME with its fits (see the module doc).
 *
 * @example
 * ```ts ignore
 * const { map, coefficients } = await limeDetailed(model, x, [3], { samples: 500, score: "sigmoid" });
 * ```
 */
export async function limeDetailed(
  model: Module,
  x: Tensor,
  target: Target,
  opts: LimeOptions = {},
): Promise<LimeResult> {
  checkImages("lime", x);
  const [B, C, H, W] = x.shape;
  const P = H * W;
  const S = Math.max(1, Math.floor(opts.samples ?? 500));
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 50));
  const host = await x.read();
  const segments = opts.segments
    ? [...opts.segments]
    : await segmentImages(Array.from({ length: B }, (_, b) => toRgb(host, b, C, P, opts)), H, W, opts);
  if (segments.length !== B || segments.some((s) => s.length !== P)) {
    throw new RangeError(`lime: need ${B} segment maps of ${P} pixels`);
  }
  const seed = opts.seed ?? 0;
  const samples: Uint8Array[] = [];
  const scores = await tidyAsync(() =>
    inEvalModeAsync(model, async () => {
      const all = noGrad(() => {
        let weights: Tensor | null = null;
        const out: Tensor[] = [];
        for (let b = 0; b < B; b++) {
          const seg = segments[b];
          const K = labelCount(seg);
          // Segment means per channel (the fill of hidden superpixels).
          const sums = new Float64Array(C * K);
          const counts = new Float64Array(K);
          for (let p = 0; p < P; p++) counts[seg[p]]++;
          for (let c = 0; c < C; c++) {
            for (let p = 0; p < P; p++) sums[c * K + seg[p]] += host[(b * C + c) * P + p];
          }
          const fill = new Float32Array(C * P);
          for (let c = 0; c < C; c++) {
            for (let p = 0; p < P; p++) fill[c * P + p] = sums[c * K + seg[p]] / counts[seg[p]];
          }
          // On/off samples as lime draws them: uniform bits, the first row all on.
          const rng = new Rng(seed + b);
          const z = new Uint8Array(S * K);
          for (let i = 0; i < S * K; i++) z[i] = i < K ? 1 : rng.int(2);
          samples.push(z);
          const zT = fromArray([S, K], z);
          const segT = fromArray([P], seg);
          const fillT = fromArray([C, H, W], fill);
          const image = view(slice(x, [b, 0, 0, 0], [b + 1, C, H, W]), [C, H, W]);
          for (let r0 = 0; r0 < S; r0 += batchSize) {
            const rows = Math.min(batchSize, S - r0);
            const res = tidy(() => {
              const batch = composeSegments(slice(zT, [r0, 0], [r0 + rows, K]), segT, image, fillT);
              const logits = model.call(batch);
              checkLogits("lime", logits, rows);
              const w = weights ?? targetWeights(target, B, logits.shape[1]);
              const sel = indexSelect(w, 0, fromArray([rows], new Array(rows).fill(b)));
              return { w, s: targetScore(logits, sel, opts.score ?? "softmax") };
            });
            weights = res.w;
            out.push(res.s);
          }
        }
        return out.length === 1 ? out[0] : concat(out, 0);
      });
      return await all.read();
    })
  );
  const width = opts.kernelWidth ?? 0.25;
  const coefficients: Float64Array[] = [];
  const intercepts: number[] = [];
  const fits: number[] = [];
  const maps = new Float32Array(B * P);
  for (let b = 0; b < B; b++) {
    const seg = segments[b];
    const K = labelCount(seg);
    const z = samples[b];
    const X = Array.from({ length: S }, (_, i) => z.subarray(i * K, (i + 1) * K));
    const weights = X.map((row) => {
      let on = 0;
      for (const v of row) on += v;
      const d = on === 0 ? 1 : 1 - Math.sqrt(on / K); // cosine distance to the all-on vector
      return Math.sqrt(Math.exp(-(d * d) / (width * width)));
    });
    const fit = weightedRidge(X, scores.subarray(b * S, (b + 1) * S), weights, opts.alpha ?? 1);
    coefficients.push(fit.coef);
    intercepts.push(fit.intercept);
    fits.push(fit.score);
    for (let p = 0; p < P; p++) maps[b * P + p] = fit.coef[seg[p]];
  }
  return { map: fromArray([B, H, W], maps), coefficients, intercepts, scores: fits, segments };
}

/**
 * LIME maps `[B, H, W]` of the target (see the module doc).
 *
 * @example
 * ```ts ignore
 * const maps = await lime(model, x, [3, 1], { samples: 500, score: "softmax" });
 * ```
 */
export async function lime(
  model: Module,
  x: Tensor,
  target: Target,
  opts: LimeOptions = {},
): Promise<Tensor> {
  return (await limeDetailed(model, x, target, opts)).map;
}
