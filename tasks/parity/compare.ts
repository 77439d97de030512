/**
 * The comparison shared by the parity checks: the error measure of the PyTorch fixtures' README and
 * the tolerances by kind of quantity.
 *
 * @module
 */
import type { HostTensor } from "../../core/host_tensor.ts";

/** Relative tolerance for forward quantities (logits, probabilities, losses, activations). */
export const FORWARD_TOLERANCE = 1e-4;
/** Relative tolerance for gradients and gradient-based maps. */
export const GRADIENT_TOLERANCE = 1e-3;

/** One compared tensor. */
export interface ParityRow {
  /** The fixture's tensor name. */
  name: string;
  /** max |a - b| / (max |b| + 1e-6). */
  maxRelError: number;
  /** The tolerance it is held to. */
  tolerance: number;
  /** Whether it is within tolerance. */
  ok: boolean;
}

/**
 * Compares a computed tensor with the fixture's expected one (shapes must have the same element count).
 *
 * @example
 * ```ts
 * import { compareTensor } from "./compare.ts";
 * const row = compareTensor("logits", new Float32Array([1, 2]), { shape: [2], data: new Float32Array([1, 2]) }, 1e-4);
 * console.log(row.ok); // true
 * ```
 */
export function compareTensor(
  name: string,
  actual: Float32Array,
  expected: HostTensor,
  tolerance: number,
): ParityRow {
  if (actual.length !== expected.data.length) {
    throw new RangeError(
      `${name}: computed ${actual.length} values, the fixture has ${expected.data.length} [${expected.shape}]`,
    );
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected.data[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected.data[i]));
  }
  const maxRelError = diff / (scale + 1e-6);
  return { name, maxRelError, tolerance, ok: maxRelError <= tolerance };
}
