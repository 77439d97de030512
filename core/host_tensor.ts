/**
 * A float32 tensor held in host (CPU) memory: the exchange format between file readers
 * (safetensors, PyTorch checkpoints, images) and GPU tensors.
 *
 * @module
 */

/** A dense row-major float32 array with its shape. */
export interface HostTensor {
  /** Dimensions, outermost first. */
  shape: number[];
  /** Row-major values; `data.length` equals the product of `shape`. */
  data: Float32Array;
}

/**
 * Number of elements of a shape (1 for a scalar shape `[]`).
 *
 * @example
 * ```ts
 * import { shapeSize } from "./host_tensor.ts";
 * console.log(shapeSize([2, 3, 4])); // 24
 * ```
 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Builds a host tensor, checking that the data length matches the shape.
 *
 * @example
 * ```ts
 * import { hostTensor } from "./host_tensor.ts";
 * const t = hostTensor([2, 2], [1, 2, 3, 4]);
 * console.log(t.data[3]); // 4
 * ```
 */
export function hostTensor(shape: number[], data: ArrayLike<number>): HostTensor {
  const n = shapeSize(shape);
  if (data.length !== n) {
    throw new RangeError(`hostTensor: shape [${shape}] needs ${n} values, got ${data.length}`);
  }
  return { shape: [...shape], data: data instanceof Float32Array ? data : Float32Array.from(data) };
}
