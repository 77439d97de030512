/**
 * Integrated Gradients (Sundararajan et al. 2017): `(x - x') * sum_k w_k * grad f(x' + a_k (x - x'))`
 * for quadrature nodes `a_k` and weights `w_k` on [0, 1] (default: Gauss-Legendre with 50 steps, as
 * captum; Riemann left / right / middle / trapezoid available), baseline `x'` zeros by default.
 *
 * All `B * steps` interpolated inputs are laid out as rows (image-major) and processed in chunks of
 * `batchSize` rows: one kernel writes a chunk's inputs, one forward and one backward run on it (the
 * output gradient is the target's one-hot row times the step weight), and one kernel adds the chunk's
 * gradients into per-image sums. Nothing is read back.
 *
 * {@link integratedGradientsWithDelta} also returns the convergence delta per image,
 * `sum(attribution) - (f(x) - f(x'))` (completeness: it tends to 0 with more steps).
 *
 * @module
 */
import { grad, noGrad } from "../core/autograd.ts";
import type { Module } from "../core/nn/module.ts";
import { mul, sub, zeros } from "../core/ops/elementwise.ts";
import { expandTo, sum } from "../core/ops/reduce.ts";
import { fromArray, type Tensor, tidy } from "../core/tensor.ts";
import {
  type ChannelOptions,
  checkImages,
  checkLogits,
  inEvalMode,
  reduceChannels,
  type Target,
  targetWeights,
} from "./common.ts";
import { accumulateRows, interpolateRows, scaleRows } from "./kernels.ts";
import { quadrature, type QuadratureRule } from "./quadrature.ts";

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions extends ChannelOptions {
  /** Baseline `[B, C, H, W]` (or broadcastable to it); default zeros. */
  baseline?: Tensor;
  /** Quadrature points (default 50). */
  steps?: number;
  /** Quadrature rule (default `gausslegendre`, captum's default). */
  method?: QuadratureRule;
  /** Interpolated inputs per forward/backward (default 32). */
  batchSize?: number;
}

/** Integrated Gradients with its convergence delta. */
export interface IntegratedGradientsResult {
  /** `[B, H, W]` (or `[B, C, H, W]` with `channels`). */
  attribution: Tensor;
  /** `[B]`: `sum(attribution) - (f(x) - f(baseline))`. */
  delta: Tensor;
}

/** The target logit `[B]` of a batch under target weights. */
function targetLogit(model: Module, x: Tensor, weights: Tensor | null, target: Target): Tensor {
  const logits = model.call(x);
  checkLogits("integratedGradients", logits, x.shape[0]);
  return sum(mul(logits, weights ?? targetWeights(target, x.shape[0], logits.shape[1])), 1);
}

function run(
  model: Module,
  x: Tensor,
  target: Target,
  opts: IntegratedGradientsOptions,
  withDelta: boolean,
): IntegratedGradientsResult | Tensor {
  checkImages("integratedGradients", x);
  const steps = opts.steps ?? 50;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 32));
  const q = quadrature(opts.method ?? "gausslegendre", steps);
  const B = x.shape[0];
  return tidy(() =>
    inEvalMode(model, () => {
      const b = opts.baseline;
      const base = !b ? zeros(x.shape) : b.size === x.size ? b : noGrad(() => expandTo(b, x.shape));
      const alphas = fromArray([steps], q.alphas);
      const stepWeights = fromArray([steps], q.weights);
      const acc = zeros(x.shape);
      let weights: Tensor | null = null;
      const total = B * steps;
      for (let r0 = 0; r0 < total; r0 += batchSize) {
        const rows = Math.min(batchSize, total - r0);
        weights = tidy(() => {
          const inputs = interpolateRows(x, base, alphas, r0, rows);
          inputs.requiresGrad = true;
          const logits = model.call(inputs);
          checkLogits("integratedGradients", logits, rows);
          const w = weights ?? targetWeights(target, B, logits.shape[1]);
          const [g] = grad(logits, [inputs], { gradOutput: scaleRows(w, stepWeights, r0, rows) });
          if (!g) throw new Error("integratedGradients: the model output does not depend on the input");
          accumulateRows(acc, g, r0, steps);
          return w;
        });
      }
      const full = mul(sub(x, base), acc);
      const attribution = reduceChannels(full, opts.channels);
      if (!withDelta) return attribution;
      const delta = noGrad(() => {
        const fx = targetLogit(model, x, weights, target);
        const fb = targetLogit(model, base, weights, target);
        return sub(sum(full, [1, 2, 3]), sub(fx, fb));
      });
      return { attribution, delta };
    })
  );
}

/**
 * Integrated Gradients maps `[B, H, W]` of the target logit (see the module doc).
 *
 * @example
 * ```ts ignore
 * const maps = integratedGradients(model, x, [3, 1], { steps: 50, method: "gausslegendre" });
 * ```
 */
export function integratedGradients(
  model: Module,
  x: Tensor,
  target: Target,
  opts: IntegratedGradientsOptions = {},
): Tensor {
  return run(model, x, target, opts, false) as Tensor;
}

/**
 * Integrated Gradients with the convergence delta `sum(attribution) - (f(x) - f(baseline))` per image
 * (two extra forwards).
 *
 * @example
 * ```ts ignore
 * const { attribution, delta } = integratedGradientsWithDelta(model, x, [3], { steps: 128 });
 * ```
 */
export function integratedGradientsWithDelta(
  model: Module,
  x: Tensor,
  target: Target,
  opts: IntegratedGradientsOptions = {},
): IntegratedGradientsResult {
  return run(model, x, target, opts, true) as IntegratedGradientsResult;
}
