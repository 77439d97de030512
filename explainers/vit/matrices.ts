/**
 * Small matrix helpers of the ViT explainers.
 *
 * @module
 */
import { fromArray, type Tensor } from "../../core/tensor.ts";

/**
 * The identity `[T, T]`.
 *
 * @example
 * ```ts ignore
 * const I = eyeLike(17);
 * ```
 */
export function eyeLike(T: number): Tensor {
  const d = new Float32Array(T * T);
  for (let i = 0; i < T; i++) d[i * T + i] = 1;
  return fromArray([T, T], d);
}
