/**
 * Guided Backprop (Springenberg et al. 2015): the input gradient with every ReLU's backward replaced by
 * the guided rule, which passes only positive gradients and only where the ReLU's input was positive
 * (zennit's `ReLUGuidedBackprop`: `grad_input * (grad_output > 0)`).
 *
 * @module
 */
import type { RuleContext, RuleOverrides } from "../core/autograd.ts";
import type { Module } from "../core/nn/module.ts";
import { mul, relu, step } from "../core/ops/elementwise.ts";
import { type Tensor, tidy } from "../core/tensor.ts";
import { type ChannelOptions, reduceChannels, type Target } from "./common.ts";
import { inputGradient } from "./gradient.ts";

/**
 * The guided ReLU backward: `max(g, 0) * [x > 0]` for op kind `relu`.
 *
 * @example
 * ```ts ignore
 * const g = withRules({ kinds: { relu: guidedReluRule } }, () => grad(y, [x]));
 * ```
 */
export function guidedReluRule(ctx: RuleContext): (Tensor | null)[] {
  return [mul(relu(ctx.gradOutput), step(ctx.inputs[0]))];
}

/** Rule overrides of Guided Backprop: every `relu` op uses {@link guidedReluRule}. */
export const GUIDED_BACKPROP_RULES: RuleOverrides = { kinds: { relu: guidedReluRule } };

/**
 * Guided Backprop map of the target logit: the guided gradient summed over channels (or `[B, C, H, W]`
 * with `channels`).
 *
 * @example
 * ```ts ignore
 * const maps = guidedBackprop(model, x, [3, 1]); // [2, H, W]
 * ```
 */
export function guidedBackprop(model: Module, x: Tensor, target: Target, opts: ChannelOptions = {}): Tensor {
  return tidy(() =>
    reduceChannels(inputGradient(model, x, target, { rules: GUIDED_BACKPROP_RULES }), opts.channels)
  );
}
