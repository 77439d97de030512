/**
 * ViT-CX / CausalX (Xie et al. 2023), for ViTs and B-cos ViTc:
 * 1. masks from the patch embeddings of the last layer's tokens: each embedding channel is a map over
 *    the patch grid, min-max normalised; the maps are clustered by cosine similarity (spherical
 *    k-means, `clusters`); each cluster's mean map, min-max normalised, is a mask, upsampled
 *    bilinearly to the input size;
 * 2. each mask is scored by perturbation: the model's target score (softmax by default, sigmoid for
 *    BCE probes, or the logit) on `x * M + noise * (1 - M)` with Gaussian noise (`noiseStd`, seeded)
 *    on the masked-out region;
 * 3. saliency = `sum_k s_k M_k / sum_k M_k` (the pixel-coverage correction of ViT-CX; without it
 *    `sum_k s_k M_k / K`).
 *
 * The clustering runs on the host (one readback of the tokens per call, so the function is async); the
 * masked forwards run on the GPU in batches of `batchSize`.
 *
 * @module
 */
import { noGrad } from "../../core/autograd.ts";
import type { Module } from "../../core/nn/module.ts";
import { add, addScalar, div, mul, sub } from "../../core/ops/elementwise.ts";
import { indexSelect } from "../../core/ops/gather.ts";
import { concat, reshape, slice } from "../../core/ops/layout.ts";
import { matmul } from "../../core/ops/matmul.ts";
import { randNormal } from "../../core/ops/random.ts";
import { resizeBilinear } from "../../core/ops/resize.ts";
import { fromArray, type Tensor, tidy, tidyAsync, view } from "../../core/tensor.ts";
import {
  checkImages,
  checkLogits,
  inEvalModeAsync,
  labelCount,
  type Target,
  targetWeights,
} from "../common.ts";
import { type OutputScore, targetScore } from "../scorecam.ts";
import { attentionModel, tokenLayout } from "./attention.ts";
import { sphericalKMeans } from "./kmeans.ts";
import type { VitExplainOptions } from "./rollout.ts";

/** Options of {@link causalX}. */
export interface CausalXOptions extends VitExplainOptions {
  /** Number of clusters (masks) per image (default 32, at most the token width). */
  clusters?: number;
  /** Standard deviation of the noise in the masked-out region (default 0.1). */
  noiseStd?: number;
  /** Score of a masked input (default softmax). */
  score?: OutputScore;
  /** Masked inputs per forward (default 32). */
  batchSize?: number;
  /** Divide by the mask coverage `sum_k M_k` (default true). */
  coverageCorrection?: boolean;
  /** Seed of the clustering and the noise (default 0). */
  seed?: number;
}

function minMax(v: Float64Array): Float64Array | null {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  if (!(hi > lo)) return null;
  return v.map((x) => (x - lo) / (hi - lo));
}

/**
 * The masks of one image from its patch embeddings `[P, D]` (row-major): one `P`-vector per cluster.
 *
 * @example
 * ```ts
 * import { clusterMasks } from "./causalx.ts";
 * const masks = clusterMasks(new Float32Array([1, 0, 0, 1, 1, 0, 0, 1]), 4, 2, 2);
 * console.log(masks.length); // 2
 * ```
 */
export function clusterMasks(
  emb: Float32Array,
  P: number,
  D: number,
  clusters: number,
  seed = 0,
): Float64Array[] {
  const maps: Float64Array[] = [];
  for (let d = 0; d < D; d++) {
    const m = minMax(Float64Array.from({ length: P }, (_, p) => emb[p * D + d]));
    if (m) maps.push(m);
  }
  if (maps.length === 0) return [new Float64Array(P).fill(1)];
  const labels = sphericalKMeans(maps, clusters, { seed });
  const K = labelCount(labels);
  const sums = Array.from({ length: K }, () => new Float64Array(P));
  labels.forEach((l, i) => maps[i].forEach((v, p) => (sums[l][p] += v)));
  return sums.map((s) => minMax(s) ?? s.fill(1));
}

/**
 * ViT-CX maps `[B, H, W]` of the target (see the module doc).
 *
 * @example
 * ```ts ignore
 * const maps = await causalX(vit, x, [3, 1], { clusters: 32, score: "softmax" });
 * ```
 */
export async function causalX(
  model: Module,
  x: Tensor,
  target: Target,
  opts: CausalXOptions = {},
): Promise<Tensor> {
  checkImages("causalX", x);
  const vit = attentionModel(model);
  const [B, C, H, W] = x.shape;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 32));
  const seed = opts.seed ?? 0;
  return await tidyAsync(() =>
    inEvalModeAsync(model, async () => {
      const tokens = noGrad(() => vit.tokens(x));
      const [, T, D] = tokens.shape;
      const layout = opts.layout ?? tokenLayout(T);
      const P = layout === "cls" ? T - 1 : T;
      const g = Math.round(Math.sqrt(P));
      const patches = layout === "cls" ? slice(tokens, [0, 1, 0], [B, T, D]) : tokens;
      const emb = await patches.read();
      const masks: Float64Array[] = [];
      const owner: number[] = [];
      for (let b = 0; b < B; b++) {
        const m = clusterMasks(emb.subarray(b * P * D, (b + 1) * P * D), P, D, opts.clusters ?? 32, seed + b);
        for (const v of m) [masks.push(v), owner.push(b)];
      }
      const K = masks.length;
      const flat = new Float32Array(K * P);
      masks.forEach((m, k) => flat.set(m, k * P));
      const maskGrid = fromArray([K, 1, g, g], flat);
      return noGrad(() => {
        let weights: Tensor | null = null;
        const scores: Tensor[] = [];
        for (let r0 = 0; r0 < K; r0 += batchSize) {
          const rows = Math.min(batchSize, K - r0);
          const out = tidy(() => {
            const images = fromArray([rows], owner.slice(r0, r0 + rows));
            const m = resizeBilinear(slice(maskGrid, [r0, 0, 0, 0], [r0 + rows, 1, g, g]), [H, W]);
            const noise = randNormal([rows, C, H, W], (seed * 7919 + r0) >>> 0, 0, opts.noiseStd ?? 0.1);
            const masked = add(mul(indexSelect(x, 0, images), m), mul(noise, sub(fromArray([1], [1]), m)));
            const logits = model.call(masked);
            checkLogits("causalX", logits, rows);
            const w = weights ?? targetWeights(target, B, logits.shape[1]);
            return { w, s: targetScore(logits, indexSelect(w, 0, images), opts.score ?? "softmax") };
          });
          weights = out.w;
          scores.push(out.s);
        }
        const s = scores.length === 1 ? scores[0] : concat(scores, 0);
        // Per-image sums over that image's masks as one matmul with an assignment matrix [B, K].
        const assign = new Float32Array(B * K);
        owner.forEach((b, k) => (assign[b * K + k] = 1));
        const A = fromArray([B, K], assign);
        const M = view(maskGrid, [K, P]);
        const num = matmul(mul(A, view(s, [1, K])), M);
        const coverage = opts.coverageCorrection ?? true;
        const counts = Array.from({ length: B }, (_, b) => owner.filter((o) => o === b).length);
        const den = coverage ? matmul(A, M) : fromArray([B, 1], counts);
        if (!(opts.upsample ?? true)) return reshape(div(num, addScalar(den, 1e-8)), [B, g, g]);
        const upNum = resizeBilinear(reshape(num, [B, 1, g, g]), [H, W]);
        const upDen = coverage ? resizeBilinear(reshape(den, [B, 1, g, g]), [H, W]) : view(den, [B, 1, 1, 1]);
        return reshape(div(upNum, addScalar(upDen, 1e-8)), [B, H, W]);
      });
    })
  );
}
