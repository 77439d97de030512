/**
 * Attention Rollout (Abnar & Zuidema 2020): per layer `A' = 0.5 * mean_heads(A) + 0.5 * I`, rows
 * normalised to sum 1, multiplied across layers (`R = A'_L ... A'_1`); the map is the class token's row
 * over the patch columns (mean of the rows for models without a class token, e.g. B-cos ViTc),
 * upsampled to the input. Class-agnostic: the target only fixes the batch size.
 *
 * @module
 */
import { noGrad } from "../../core/autograd.ts";
import type { Module } from "../../core/nn/module.ts";
import { add, div, scale } from "../../core/ops/elementwise.ts";
import { matmul } from "../../core/ops/matmul.ts";
import { mean, sum } from "../../core/ops/reduce.ts";
import { type Tensor, tidy } from "../../core/tensor.ts";
import { checkImages, inEvalMode, type Target } from "../common.ts";
import {
  attentionModel,
  lastAttention,
  patchRelevance,
  toImage,
  type TokenLayout,
  tokenLayout,
} from "./attention.ts";
import { eyeLike } from "./matrices.ts";

/** Options of the ViT explainers. */
export interface VitExplainOptions {
  /** Token layout (default: inferred from the token count). */
  layout?: TokenLayout;
  /** Upsample the patch grid to the input size (default true). */
  upsample?: boolean;
}

/**
 * The rollout matrices `R [B, T, T]` of attention probabilities (one `[B, heads, T, T]` per layer).
 *
 * @example
 * ```ts ignore
 * const R = rolloutMatrix(probsPerLayer);
 * ```
 */
export function rolloutMatrix(probs: readonly Tensor[]): Tensor {
  return tidy(() => {
    let R: Tensor | null = null;
    for (const p of probs) {
      const T = p.shape[2];
      const a = add(scale(mean(p, 1), 0.5), scale(eyeLike(T), 0.5));
      const normed = div(a, sum(a, 2, true));
      R = R ? matmul(normed, R) : normed;
    }
    if (!R) throw new RangeError("rollout: no attention layers");
    return R;
  });
}

/**
 * Attention Rollout maps `[B, H, W]` (see the module doc).
 *
 * @example
 * ```ts ignore
 * const maps = attentionRollout(vit, x, [3, 1]);
 * ```
 */
export function attentionRollout(
  model: Module,
  x: Tensor,
  target: Target,
  opts: VitExplainOptions = {},
): Tensor {
  checkImages("attentionRollout", x);
  if ("length" in target && target.length !== x.shape[0]) {
    throw new RangeError(`attentionRollout: ${target.length} targets for a batch of ${x.shape[0]}`);
  }
  const vit = attentionModel(model);
  return tidy(() =>
    inEvalMode(model, () =>
      noGrad(() => {
        model.call(x);
        const R = rolloutMatrix(lastAttention(vit));
        const grid = patchRelevance(R, opts.layout ?? tokenLayout(R.shape[1]));
        return toImage(grid, [x.shape[2], x.shape[3]], opts.upsample ?? true);
      }))
  );
}
