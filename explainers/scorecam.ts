/**
 * ScoreCAM (Wang et al. 2020): each channel `A_k` of a layer's output (default `model.gradcamLayer`)
 * is upsampled to the input size and min-max normalised to a mask `M_k` in [0, 1]; the model scores the
 * masked input `x * M_k`; the map is `sum_k s_k * upsample(A_k)` (as the authors' code, which weights
 * the unnormalised upsampled activations; computed as the upsampling of `sum_k s_k A_k`, equal by
 * linearity). The score `s_k` is the target's softmax probability (default), sigmoid (BCE probes) or
 * logit. Channels whose activation is constant get no score. The `B * K` masked forwards run in
 * batches of `batchSize` on the GPU, without readbacks.
 *
 * @module
 */
import { noGrad } from "../core/autograd.ts";
import { type Module, withCapture } from "../core/nn/module.ts";
import { add, div, equal, mul, sigmoid, sub } from "../core/ops/elementwise.ts";
import { indexSelect } from "../core/ops/gather.ts";
import { concat, reshape, slice } from "../core/ops/layout.ts";
import { sum } from "../core/ops/reduce.ts";
import { resizeBilinear } from "../core/ops/resize.ts";
import { softmax } from "../core/ops/softmax.ts";
import { max, min } from "../core/ops/statistics.ts";
import { fromArray, type Tensor, tidy, view } from "../core/tensor.ts";
import { checkImages, checkLogits, inEvalMode, type Target, targetWeights } from "./common.ts";
import { camLayer, type CamOptions, finishCam } from "./gradcam.ts";

/** How a masked forward is scored. */
export type OutputScore = "softmax" | "sigmoid" | "logit";

/** Options of {@link scoreCam}. */
export interface ScoreCamOptions extends CamOptions {
  /** Score of a masked input: softmax probability (default, CE probes), sigmoid (BCE probes) or logit. */
  score?: OutputScore;
  /** Masked inputs per forward (default 32). */
  batchSize?: number;
}

/**
 * The target score `[rows]` of logits `[rows, C]` under weights `[rows, C]`.
 *
 * @example
 * ```ts ignore
 * const s = targetScore(logits, oneHotRows, "softmax");
 * ```
 */
export function targetScore(logits: Tensor, weights: Tensor, score: OutputScore): Tensor {
  const p = score === "softmax" ? softmax(logits, 1) : score === "sigmoid" ? sigmoid(logits) : logits;
  return sum(mul(p, weights), 1);
}

/**
 * ScoreCAM maps `[B, H, W]` (see the module doc).
 *
 * @example
 * ```ts ignore
 * const maps = scoreCam(model, x, [3, 1], { score: "sigmoid", batchSize: 64 });
 * ```
 */
export function scoreCam(model: Module, x: Tensor, target: Target, opts: ScoreCamOptions = {}): Tensor {
  checkImages("scoreCam", x);
  const layer = camLayer(model, opts.layer);
  const [B, , H, W] = x.shape;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 32));
  return tidy(() =>
    inEvalMode(model, () =>
      noGrad(() => {
        const { result: logits, outputs } = withCapture([layer], () => model.call(x));
        checkLogits("scoreCam", logits, B);
        const act = outputs.get(layer)!;
        if (act.rank !== 4) {
          throw new RangeError(`scoreCam: layer ${layer} output [${act.shape}] is not [B, K, h, w]`);
        }
        const [, K, h, w] = act.shape;
        const weights = targetWeights(target, B, logits.shape[1]);
        const planes = view(act, [B * K, 1, h, w]);
        const scores: Tensor[] = [];
        for (let r0 = 0; r0 < B * K; r0 += batchSize) {
          const rows = Math.min(batchSize, B * K - r0);
          scores.push(tidy(() => {
            const images = fromArray(
              [rows],
              Array.from({ length: rows }, (_, j) => Math.floor((r0 + j) / K)),
            );
            const up = resizeBilinear(slice(planes, [r0, 0, 0, 0], [r0 + rows, 1, h, w]), [H, W]);
            const flat = view(up, [rows, H * W]);
            const lo = min(flat, 1, true);
            const range = sub(max(flat, 1, true), lo);
            const constant = equal(range, fromArray([1], [0]));
            const mask = div(sub(flat, lo), add(range, constant));
            const masked = mul(indexSelect(x, 0, images), view(mask, [rows, 1, H, W]));
            const out = model.call(masked);
            const s = targetScore(out, indexSelect(weights, 0, images), opts.score ?? "softmax");
            // Constant channels score 0 (the authors skip them).
            return mul(s, sub(fromArray([1], [1]), view(constant, [rows])));
          }));
        }
        const s = reshape(scores.length === 1 ? scores[0] : concat(scores, 0), [B, K, 1, 1]);
        const cam = sum(mul(act, s), 1, true);
        return finishCam(cam, [H, W], opts);
      }))
  );
}
