/**
 * Max and min along an axis (with gradients to the first extremal element) and variance.
 *
 * @module
 */
import { record } from "../autograd.ts";
import { empty, type Tensor, view } from "../tensor.ts";
import { gpu } from "../gpu/device.ts";
import { equal, mul, scale, square, sub } from "./elementwise.ts";
import { argmax, argmin, extremumRaw, mean, normaliseAxes, sum } from "./reduce.ts";

function iotaAlong(shape: readonly number[], axis: number): Tensor {
  const n = shape[axis];
  const t = empty(shape.map((d, i) => (i === axis ? d : 1)));
  gpu().runtime.upload(t.buffer, Float32Array.from({ length: n }, (_, i) => i));
  return t;
}

function extremum(kind: "max" | "min", x: Tensor, axis: number, keepDims: boolean): Tensor {
  const [ax] = normaliseAxes(axis, x.rank);
  const y = extremumRaw(x, ax, kind, keepDims);
  return record(kind, [x], y, ({ gradOutput: g }) => {
    const idx = kind === "max" ? argmax(x, ax, true) : argmin(x, ax, true);
    const hit = equal(iotaAlong(x.shape, ax), idx);
    return [mul(hit, view(g, x.shape.map((d, i) => (i === ax ? 1 : d))))];
  });
}

/**
 * Maximum along one axis; the gradient goes to the first maximal element.
 *
 * @example
 * ```ts ignore
 * const m = max(logits, 1);
 * ```
 */
export function max(x: Tensor, axis: number, keepDims = false): Tensor {
  return extremum("max", x, axis, keepDims);
}

/**
 * Minimum along one axis; the gradient goes to the first minimal element.
 *
 * @example
 * ```ts ignore
 * const m = min(x, 0);
 * ```
 */
export function min(x: Tensor, axis: number, keepDims = false): Tensor {
  return extremum("min", x, axis, keepDims);
}

/**
 * Variance over `axes` (all by default); `correction` 0 gives the population variance, 1 the unbiased.
 *
 * @example
 * ```ts ignore
 * const v = variance(x, [0, 2, 3], true);
 * ```
 */
export function variance(
  x: Tensor,
  axes?: number | readonly number[],
  keepDims = false,
  correction = 0,
): Tensor {
  const ax = normaliseAxes(axes, x.rank);
  const n = ax.reduce((p, i) => p * x.shape[i], 1);
  const centred = sub(x, mean(x, ax, true));
  return scale(sum(square(centred), ax, keepDims), 1 / Math.max(n - correction, 1));
}
