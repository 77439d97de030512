/**
 * Layer-wise Relevance Propagation (Bach et al. 2015; Montavon et al. 2019) as backward-rule overrides
 * on the tape: the output relevance is `logits * onehot(target)`; conv2d / linear ops use their
 * composite's rule through one generic backward; ReLU and (merged) batch norm pass relevance; sums,
 * means and average pooling split it proportionally; max pooling routes it to the winner; canonizers
 * (BN merging, explicit residual sums) are applied for the call and removed after.
 *
 * @module
 */
import type { BackwardRule, TapeNode } from "../../core/autograd.ts";
import { grad, withRules } from "../../core/autograd.ts";
import type { Module } from "../../core/nn/module.ts";
import { mul } from "../../core/ops/elementwise.ts";
import { type Tensor, tidy, view } from "../../core/tensor.ts";
import {
  type ChannelOptions,
  checkImages,
  checkLogits,
  inEvalMode,
  reduceChannels,
  type Target,
  targetWeights,
} from "../common.ts";
import { LRP_LAYER_KINDS, lrpLayerRule, passRule, proportionalRule } from "./backward.ts";
import type { AppliedCanonizer, Canonizer } from "./canonizers.ts";
import { type Composite, epsilonGammaBox } from "./composites.ts";
import type { LrpRule } from "./rules.ts";

/** Options of {@link lrp}. */
export interface LrpOptions extends ChannelOptions {
  /** The composite (default {@link epsilonGammaBox} with ImageNet bounds). */
  composite?: Composite;
  /** Canonizers (default: the composite's; `[]` for none). */
  canonizers?: readonly Canonizer[];
  /** Stabiliser of the proportional rule for means and pooling (default 1e-6). */
  stabilizer?: number;
}

const PASS_KINDS = new Set(["relu", "batch_norm"]);
const PROPORTIONAL_KINDS = new Set(["mean", "sum", "adaptive_avg_pool2d", "avg_pool2d"]);

/**
 * The rule selector of an LRP pass: canonizer rules first, then the composite's rule for conv2d /
 * linear nodes, pass for ReLU / batch norm, proportional for means and average pooling, the op's
 * gradient otherwise (max pooling, layout ops, unmerged `add`).
 *
 * @example
 * ```ts ignore
 * const select = lrpSelector(epsilonGammaBox(), [], x);
 * withRules({ select }, () => grad(logits, [x], { gradOutput: seed }));
 * ```
 */
export function lrpSelector(
  composite: Composite,
  applied: readonly AppliedCanonizer[],
  input: Tensor,
  stabilizer = 1e-6,
): (node: TapeNode) => BackwardRule | undefined {
  const proportional = proportionalRule(stabilizer);
  const layerRules = new Map<LrpRule, BackwardRule>();
  return (node) => {
    for (const a of applied) {
      const r = a.select?.(node);
      if (r) return r;
    }
    if (LRP_LAYER_KINDS.includes(node.kind)) {
      const rule = composite.ruleFor(node, node.inputs[0] === input);
      if (!rule) return undefined;
      let br = layerRules.get(rule);
      if (!br) layerRules.set(rule, br = lrpLayerRule(rule));
      return br;
    }
    if (PASS_KINDS.has(node.kind)) return passRule;
    if (PROPORTIONAL_KINDS.has(node.kind)) return proportional;
    return undefined;
  };
}

/**
 * LRP relevance maps `[B, H, W]` of the target (or `[B, C, H, W]` with `channels`); summed over the
 * map they equal the target logit when every rule conserves (no biases, epsilon -> 0).
 *
 * @example
 * ```ts ignore
 * const maps = lrp(model, x, [3, 1], { composite: epsilonGammaBox({ normalization: IMAGENET_NORMALIZATION }) });
 * ```
 */
export function lrp(model: Module, x: Tensor, target: Target, opts: LrpOptions = {}): Tensor {
  checkImages("lrp", x);
  const composite = opts.composite ?? epsilonGammaBox();
  const canonizers = opts.canonizers ?? composite.canonizers;
  return tidy(() =>
    inEvalMode(model, () => {
      const applied: AppliedCanonizer[] = [];
      try {
        for (const c of canonizers) applied.push(c.apply(model, x));
        const xv = view(x, x.shape);
        xv.requiresGrad = true;
        const logits = model.call(xv);
        checkLogits("lrp", logits, x.shape[0]);
        const seed = mul(logits, targetWeights(target, x.shape[0], logits.shape[1]));
        const select = lrpSelector(composite, applied, xv, opts.stabilizer);
        const [r] = withRules({ select }, () => grad(logits, [xv], { gradOutput: seed }));
        if (!r) throw new Error("lrp: the model output does not depend on the input");
        return reduceChannels(r, opts.channels);
      } finally {
        for (const a of applied.reverse()) a.remove();
      }
    })
  );
}
