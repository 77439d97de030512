/**
 * CGW1 (Chefer, Gur & Wolf 2021): relevance-weighted attention gradients. Per layer
 * `Abar = mean_heads((dy_t/dA * A)^+)` with `A` the attention probabilities and `dy_t/dA` the gradient
 * of the target logit; aggregated as rollout with the identity, `R = I; R <- R + Abar R` layer by layer;
 * the map is the class token's row over the patches (mean of the rows without a class token). The
 * attention itself stands in for the LRP relevance of the attention of the CVPR version (as in their
 * generic ICCV formulation), so no LRP through the transformer is needed.
 *
 * @module
 */
import { grad, type RuleOverrides, withRules } from "../../core/autograd.ts";
import type { Module } from "../../core/nn/module.ts";
import { add, mul, relu } from "../../core/ops/elementwise.ts";
import { matmul } from "../../core/ops/matmul.ts";
import { expandTo, mean } from "../../core/ops/reduce.ts";
import { type Tensor, tidy, view } from "../../core/tensor.ts";
import { checkImages, checkLogits, inEvalMode, type Target, targetWeights } from "../common.ts";
import { attentionModel, lastAttention, patchRelevance, toImage, tokenLayout } from "./attention.ts";
import { eyeLike } from "./matrices.ts";
import type { VitExplainOptions } from "./rollout.ts";

/** Options of {@link cgw1}. */
export interface Cgw1Options extends VitExplainOptions {
  /** Backward-rule overrides for the attention gradients (e.g. B-cos explanation mode). */
  rules?: RuleOverrides;
}

/**
 * CGW1 maps `[B, H, W]` of the target logit (see the module doc).
 *
 * @example
 * ```ts ignore
 * const maps = cgw1(vit, x, [3, 1]);
 * ```
 */
export function cgw1(model: Module, x: Tensor, target: Target, opts: Cgw1Options = {}): Tensor {
  checkImages("cgw1", x);
  const vit = attentionModel(model);
  return tidy(() =>
    inEvalMode(model, () => {
      const xv = view(x, x.shape);
      xv.requiresGrad = true;
      const logits = model.call(xv);
      checkLogits("cgw1", logits, x.shape[0]);
      const probs = lastAttention(vit);
      const w = targetWeights(target, x.shape[0], logits.shape[1]);
      const run = () => grad(logits, probs, { gradOutput: w });
      const grads = opts.rules ? withRules(opts.rules, run) : run();
      const [B, , T] = probs[0].shape;
      let R = expandTo(eyeLike(T), [B, T, T]);
      probs.forEach((p, i) => {
        const g = grads[i];
        if (!g) return; // the target does not depend on this layer's attention
        const abar = mean(relu(mul(g, p)), 1);
        R = add(R, matmul(abar, R));
      });
      const grid = patchRelevance(R, opts.layout ?? tokenLayout(T));
      return toImage(grid, [x.shape[2], x.shape[3]], opts.upsample ?? true);
    })
  );
}
