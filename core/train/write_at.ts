/**
 * In-place writes of a tensor into a region of a larger one on the GPU (no tape record).
 *
 * @module
 */
import { scatterStrided } from "../ops/layout_kernels.ts";
import { type Tensor, view } from "../tensor.ts";

/**
 * Copies all of `value` into `target`'s buffer starting at element `offset` (row-major), in place.
 * Unlike `assign` at offset 0, a value smaller than the target is allowed.
 *
 * @example
 * ```ts ignore
 * writeAt(queue, keys, ptr * D); // keys [N, D] into rows ptr..ptr+N of queue [K, D]
 * ```
 */
export function writeAt(target: Tensor, value: Tensor, offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + value.size > target.size) {
    throw new RangeError(`writeAt: ${value} (${value.size} values) does not fit ${target} at ${offset}`);
  }
  if (value.size === 0) return;
  const flat = view(value, [value.size]);
  scatterStrided(flat, target, [1], offset);
  flat.dispose();
}
