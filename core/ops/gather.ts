/**
 * Index-driven ops: `gather` (torch.gather), `indexSelect` (torch.index_select) and `oneHot`. Indices
 * are float tensors holding integers; an index out of range (or not an integer) yields NaN in the
 * output instead of an error, since kernels cannot throw.
 *
 * The backward of gather and index select is a deterministic scatter-add: each input-gradient element
 * is computed by one thread that loops over the index positions that could point at it (no atomics),
 * so repeated indices accumulate in a fixed order.
 *
 * Op kinds: `gather` and `index_select`, both saving `{ axis, indices }`.
 *
 * @module
 */
import { record } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import { f32, type KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";
import { contiguousStrides, pad6 } from "./broadcast.ts";
import { normaliseAxes } from "./reduce.ts";

const FILE = "gather.wgsl";
const WG = 256;

const GATHER: KernelSpec = {
  name: "gather.gather",
  source: await kernelSource(FILE, "gather"),
  bindings: [{ name: "x", access: "read" }, { name: "idx", access: "read" }, {
    name: "out",
    access: "read_write",
  }],
  workgroupSize: WG,
};
const GATHER_BWD: KernelSpec = {
  name: "gather.gather_backward",
  source: await kernelSource(FILE, "gather_backward"),
  bindings: [{ name: "idx", access: "read" }, { name: "g", access: "read" }, {
    name: "dx",
    access: "read_write",
  }],
  workgroupSize: WG,
};
const ONE_HOT: KernelSpec = {
  name: "gather.one_hot",
  source: await kernelSource(FILE, "one_hot"),
  bindings: [{ name: "labels", access: "read" }, { name: "out", access: "read_write" }],
  workgroupSize: WG,
};

/** Output shape `outShape`, reading the index at `idxStrides` of each output coordinate. */
function gatherRaw(
  x: Tensor,
  indices: Tensor,
  axis: number,
  outShape: number[],
  idxStrides: number[],
): Tensor {
  const out = empty(outShape);
  const meta = [
    out.size,
    x.rank,
    axis,
    x.shape[axis],
    ...pad6(outShape, 1),
    ...pad6(idxStrides),
    ...pad6(contiguousStrides(x.shape)),
  ];
  gpu().runtime.dispatch(GATHER, {}, [x.buffer, indices.buffer, out.buffer], meta, out.size);
  return out;
}

function gatherBackwardRaw(
  xShape: readonly number[],
  indices: Tensor,
  g: Tensor,
  axis: number,
  idxStrides: number[],
): Tensor {
  const dx = empty(xShape);
  const meta = [
    dx.size,
    xShape.length,
    axis,
    g.shape[axis],
    ...pad6(xShape, 1),
    ...pad6(g.shape, 1),
    ...pad6(idxStrides),
  ];
  gpu().runtime.dispatch(GATHER_BWD, {}, [indices.buffer, g.buffer, dx.buffer], meta, dx.size);
  return dx;
}

/**
 * torch.gather: `out[c] = x[c with c[axis] replaced by indices[c]]`; the output has the shape of
 * `indices`, which must have the rank of `x` and no larger size on any other axis. Op kind `gather`,
 * saves `{ axis, indices }`; the gradient flows to `x` only (summed over repeated indices).
 *
 * @example
 * ```ts ignore
 * const picked = gather(logits, view(labels, [N, 1]), 1); // [N, 1]: the logit of each label
 * ```
 */
export function gather(x: Tensor, indices: Tensor, axis: number): Tensor {
  const [ax] = normaliseAxes(axis, x.rank);
  if (indices.rank !== x.rank) {
    throw new RangeError(`gather: indices rank ${indices.rank} != input rank ${x.rank}`);
  }
  indices.shape.forEach((d, i) => {
    if (i !== ax && d > x.shape[i]) {
      throw new RangeError(`gather: indices [${indices.shape}] exceed input [${x.shape}] on axis ${i}`);
    }
  });
  const strides = contiguousStrides(indices.shape);
  const y = gatherRaw(x, indices, ax, [...indices.shape], strides);
  return record(
    "gather",
    [x, indices],
    y,
    ({ gradOutput: g }) => [gatherBackwardRaw(x.shape, indices, g, ax, strides), null],
    { axis: ax, indices },
  );
}

/**
 * torch.index_select: picks the slices `indices[k]` (a 1-D tensor) along `axis`; the output has the
 * shape of `x` with `indices.size` on `axis`. Op kind `index_select`, saves `{ axis, indices }`.
 *
 * @example
 * ```ts ignore
 * const rows = indexSelect(x, 0, fromArray([2], [3, 1])); // rows 3 and 1 of x
 * ```
 */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  const [ax] = normaliseAxes(axis, x.rank);
  if (indices.rank !== 1) throw new RangeError(`indexSelect: indices must be 1-D, got [${indices.shape}]`);
  const outShape = x.shape.map((d, i) => (i === ax ? indices.size : d));
  const strides = outShape.map((_, i) => (i === ax ? 1 : 0));
  const y = gatherRaw(x, indices, ax, outShape, strides);
  return record(
    "index_select",
    [x, indices],
    y,
    ({ gradOutput: g }) => [gatherBackwardRaw(x.shape, indices, g, ax, strides), null],
    { axis: ax, indices },
  );
}

/**
 * One-hot encoding: labels of any shape (float integers) to `[...labels.shape, C]` holding `on` at the
 * label's class and `off` elsewhere (a label outside `[0, C)` gives a row of `off`). Not differentiable.
 *
 * @example
 * ```ts ignore
 * const targets = oneHot(labels, 10); // [N] -> [N, 10]
 * ```
 */
export function oneHot(labels: Tensor, C: number, on = 1, off = 0): Tensor {
  if (!Number.isInteger(C) || C <= 0) throw new RangeError(`oneHot: C must be a positive integer, got ${C}`);
  const out = empty([...labels.shape, C]);
  gpu().runtime.dispatch(
    ONE_HOT,
    {},
    [labels.buffer, out.buffer],
    [out.size, C, f32(on), f32(off)],
    out.size,
  );
  return out;
}
