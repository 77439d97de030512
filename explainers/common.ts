/**
 * Shared pieces of the explainers: the target as output-gradient weights, evaluation mode for the
 * duration of an explanation, and the channel reduction of attribution tensors.
 *
 * Every explainer has the shape `(model, input [B, C, H, W], target, options) -> map`: the map is
 * `[B, H, W]` (or `[B, C, H, W]` with `channels: true` where the method has channels), computed on the
 * GPU for the whole batch.
 *
 * @module
 */
import type { Module } from "../core/nn/module.ts";
import { oneHot } from "../core/ops/gather.ts";
import { sum } from "../core/ops/reduce.ts";
import { fromArray, type Tensor } from "../core/tensor.ts";

/**
 * What to explain: one class index per image (`number[]`, or a `[B]` tensor of float class indices),
 * or a `[B, classes]` tensor of output weights (a one-hot row explains one logit; any other row
 * explains that weighted sum of logits).
 */
export type Target = readonly number[] | Tensor;

/** Options shared by the explainers whose attributions have channels. */
export interface ChannelOptions {
  /** Return `[B, C, H, W]` instead of the channel sum `[B, H, W]` (default false). */
  channels?: boolean;
}

/**
 * The target as output weights `[B, classes]` (one-hot rows for class indices).
 *
 * @example
 * ```ts ignore
 * const w = targetWeights([3, 1], 2, 10); // [2, 10] one-hot rows
 * ```
 */
export function targetWeights(target: Target, batch: number, classes: number): Tensor {
  if (Array.isArray(target) || !("shape" in target)) {
    const labels = target as readonly number[];
    if (labels.length !== batch) {
      throw new RangeError(`target: ${labels.length} class indices for a batch of ${batch}`);
    }
    for (const c of labels) {
      if (!Number.isInteger(c) || c < 0 || c >= classes) {
        throw new RangeError(`target: class ${c} is not in [0, ${classes})`);
      }
    }
    return oneHot(fromArray([batch], labels), classes);
  }
  const t = target as Tensor;
  if (t.rank === 1 && t.shape[0] === batch) return oneHot(t, classes);
  if (t.rank === 2 && t.shape[0] === batch && t.shape[1] === classes) return t;
  throw new RangeError(
    `target: expected [${batch}] class indices or [${batch}, ${classes}] weights, got [${t.shape}]`,
  );
}

/**
 * The largest label of a label map plus one (the number of segments of labels `0 .. n - 1`).
 *
 * @example
 * ```ts
 * import { labelCount } from "./common.ts";
 * console.log(labelCount(Int32Array.of(0, 2, 1))); // 3
 * ```
 */
export function labelCount(labels: ArrayLike<number>): number {
  let m = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > m) m = labels[i];
  return m + 1;
}

/**
 * Runs `fn` with `model` in evaluation mode (BN uses running statistics and is not updated), then
 * restores every sub-module's previous mode.
 *
 * @example
 * ```ts ignore
 * const logits = inEvalMode(model, () => model.call(x));
 * ```
 */
export function inEvalMode<T>(model: Module, fn: () => T): T {
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    return fn();
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}

/** Async variant of {@link inEvalMode}. */
export async function inEvalModeAsync<T>(model: Module, fn: () => Promise<T>): Promise<T> {
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    return await fn();
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}

/**
 * Checks that `x` is an image batch `[B, C, H, W]`.
 *
 * @example
 * ```ts ignore
 * checkImages("inputXGradient", x);
 * ```
 */
export function checkImages(method: string, x: Tensor): void {
  if (x.rank !== 4) throw new RangeError(`${method}: input must be [B, C, H, W], got [${x.shape}]`);
}

/**
 * Checks that the model output is logits `[B, classes]`.
 *
 * @example
 * ```ts ignore
 * checkLogits("gradcam", logits, x.shape[0]);
 * ```
 */
export function checkLogits(method: string, y: Tensor, batch: number): void {
  if (y.rank !== 2 || y.shape[0] !== batch) {
    throw new RangeError(`${method}: the model must return logits [${batch}, classes], got [${y.shape}]`);
  }
}

/**
 * `[B, C, H, W]` attributions reduced to `[B, H, W]` unless `channels` is set.
 *
 * @example
 * ```ts ignore
 * return reduceChannels(mul(x, g), opts.channels);
 * ```
 */
export function reduceChannels(t: Tensor, channels = false): Tensor {
  return channels ? t : sum(t, 1);
}
