/**
 * Raw strided gather/scatter dispatches (no tape), the building blocks of permute, slice, expand,
 * concat and pad.
 *
 * @module
 */
import type { KernelSpec } from "../gpu/kernel.ts";
import { gpu } from "../gpu/device.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";
import { pad6 } from "./broadcast.ts";

const FILE = "layout.wgsl";
const bindings = [{ name: "a", access: "read" }, { name: "out", access: "read_write" }] as const;
const GATHER: KernelSpec = {
  name: "layout.gather",
  source: await kernelSource(FILE, "gather"),
  bindings,
  workgroupSize: 256,
};
const SCATTER: KernelSpec = {
  name: "layout.scatter",
  source: await kernelSource(FILE, "scatter"),
  bindings,
  workgroupSize: 256,
};

/**
 * A new contiguous tensor of `shape` whose element at multi-index `c` is `x[base + sum(c_d * strides_d)]`.
 *
 * @example
 * ```ts ignore
 * const t = gatherStrided(x, [3, 2], [1, 3], 0); // transpose of a [2, 3] tensor
 * ```
 */
export function gatherStrided(
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  base = 0,
): Tensor {
  const out = empty(shape);
  gpu().runtime.dispatch(
    GATHER,
    {},
    [x.buffer, out.buffer],
    [out.size, shape.length, base, 0, ...pad6(shape, 1), ...pad6(strides)],
    out.size,
  );
  return out;
}

/**
 * Writes `x` into `dest` at `base + sum(c_d * strides_d)` for each multi-index `c` of `x` (in place).
 *
 * @example
 * ```ts ignore
 * scatterStrided(part, whole, [2, 3], 3); // write a [2, 3] block at column offset 3 of a [2, 6] tensor
 * ```
 */
export function scatterStrided(x: Tensor, dest: Tensor, strides: readonly number[], base = 0): void {
  gpu().runtime.dispatch(
    SCATTER,
    {},
    [x.buffer, dest.buffer],
    [x.size, x.rank, base, 0, ...pad6(x.shape, 1), ...pad6(strides)],
    x.size,
  );
}
