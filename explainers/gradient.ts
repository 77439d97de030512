/**
 * Gradient explainers: the input gradient of the target logit (optionally under backward-rule
 * overrides, which is how Guided Backprop, B-cos and LRP reuse it) and Input x Gradient.
 *
 * @module
 */
import { grad, type RuleOverrides, withRules } from "../core/autograd.ts";
import type { Module } from "../core/nn/module.ts";
import { mul } from "../core/ops/elementwise.ts";
import { type Tensor, tidy, view } from "../core/tensor.ts";
import {
  type ChannelOptions,
  checkImages,
  checkLogits,
  inEvalMode,
  reduceChannels,
  type Target,
  targetWeights,
} from "./common.ts";

/** Options of {@link inputGradient}. */
export interface InputGradientOptions {
  /** Backward-rule overrides active while backpropagating (guided ReLU, B-cos, LRP rules). */
  rules?: RuleOverrides;
  /**
   * The output gradient from the logits and the target weights (default: the weights themselves, i.e.
   * the gradient of the selected logit). LRP seeds with `logits * weights`.
   */
  seed?: (logits: Tensor, weights: Tensor) => Tensor;
}

/**
 * The gradient `d (w . logits) / d x` `[B, C, H, W]` of the target (one forward and one backward for
 * the whole batch, in evaluation mode); `x` itself is not modified.
 *
 * @example
 * ```ts ignore
 * const g = inputGradient(model, x, [3, 7]);
 * ```
 */
export function inputGradient(
  model: Module,
  x: Tensor,
  target: Target,
  opts: InputGradientOptions = {},
): Tensor {
  checkImages("inputGradient", x);
  return tidy(() =>
    inEvalMode(model, () => {
      const xv = view(x, x.shape);
      xv.requiresGrad = true;
      const logits = model.call(xv);
      checkLogits("inputGradient", logits, x.shape[0]);
      const w = targetWeights(target, x.shape[0], logits.shape[1]);
      const seed = opts.seed ? opts.seed(logits, w) : w;
      const run = () => grad(logits, [xv], { gradOutput: seed });
      const [g] = opts.rules ? withRules(opts.rules, run) : run();
      if (!g) throw new Error("inputGradient: the model output does not depend on the input");
      return g;
    })
  );
}

/**
 * Vanilla gradient (saliency) of the target logit with respect to the input, `[B, H, W]` summed over
 * channels (or `[B, C, H, W]` with `channels`).
 *
 * @example
 * ```ts ignore
 * const map = gradientMap(model, x, [3]);
 * ```
 */
export function gradientMap(model: Module, x: Tensor, target: Target, opts: ChannelOptions = {}): Tensor {
  return tidy(() => reduceChannels(inputGradient(model, x, target), opts.channels));
}

/**
 * Input x Gradient: `x * d logit_target / d x`, summed over channels (PROTOCOL.md §5) or per channel
 * with `channels`.
 *
 * @example
 * ```ts ignore
 * const maps = inputXGradient(model, x, [3, 1]); // [2, H, W]
 * ```
 */
export function inputXGradient(model: Module, x: Tensor, target: Target, opts: ChannelOptions = {}): Tensor {
  return tidy(() => reduceChannels(mul(x, inputGradient(model, x, target)), opts.channels));
}
