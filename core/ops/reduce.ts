/**
 * Reductions over axes: sum, mean, argmax, argmin; `sumTo` (the broadcasting adjoint used by
 * elementwise backward rules) and `expandTo` (broadcasting itself). Max, min and variance are in
 * `statistics.ts`.
 *
 * @module
 */
import { record } from "../autograd.ts";
import { f32, type KernelSpec } from "../gpu/kernel.ts";
import { gpu } from "../gpu/device.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor, view } from "../tensor.ts";
import {
  broadcastShapes,
  broadcastStrides,
  contiguousStrides,
  MAX_RANK,
  pad6,
  sameShape,
} from "./broadcast.ts";
import { gatherStrided } from "./layout_kernels.ts";

const FILE = "reduce.wgsl";
const GROUP_WG = 64;
const bindings = [{ name: "a", access: "read" }, { name: "out", access: "read_write" }] as const;
const PER_THREAD: KernelSpec<{ OP: number }> = {
  name: "reduce.per_thread",
  source: await kernelSource(FILE, "per_thread"),
  bindings,
  workgroupSize: 64,
};
const PER_GROUP: KernelSpec<{ OP: number }> = {
  name: "reduce.per_group",
  source: await kernelSource(FILE, "per_group"),
  bindings,
  workgroupSize: GROUP_WG,
};
const OPS = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4 } as const;

/**
 * Normalises an axis list (negative axes count from the end; `undefined` means all axes).
 *
 * @example
 * ```ts
 * import { normaliseAxes } from "./reduce.ts";
 * console.log(normaliseAxes([-1], 3)); // [2]
 * ```
 */
export function normaliseAxes(axes: number | readonly number[] | undefined, rank: number): number[] {
  const list = axes === undefined ? [...Array(rank).keys()] : typeof axes === "number" ? [axes] : [...axes];
  const out = list.map((a) => {
    const r = a < 0 ? a + rank : a;
    if (!Number.isInteger(r) || r < 0 || r >= rank) {
      throw new RangeError(`axis ${a} out of range for rank ${rank}`);
    }
    return r;
  });
  return [...new Set(out)].sort((x, y) => x - y);
}

function reduceRaw(x: Tensor, axes: number[], op: number, keepDims: boolean, scaleBy = 1): Tensor {
  if (x.rank > MAX_RANK) throw new RangeError(`reduce: rank ${x.rank} exceeds ${MAX_RANK}`);
  const strides = contiguousStrides(x.shape);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = kept.map((i) => x.shape[i]);
  const redShape = axes.map((i) => x.shape[i]);
  const R = redShape.reduce((p, d) => p * d, 1);
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : keptShape;
  const out = empty(outShape);
  if (out.size === 0) return out;
  if (R === 0) throw new RangeError(`reduce: cannot reduce an empty axis of [${x.shape}]`);
  const meta = [
    out.size,
    kept.length,
    axes.length,
    R,
    ...pad6(keptShape, 1),
    ...pad6(kept.map((i) => strides[i])),
    ...pad6(redShape, 1),
    ...pad6(axes.map((i) => strides[i])),
    f32(scaleBy),
  ];
  const rt = gpu().runtime;
  if (R >= 256) rt.dispatch(PER_GROUP, { OP: op }, [x.buffer, out.buffer], meta, out.size * GROUP_WG);
  else rt.dispatch(PER_THREAD, { OP: op }, [x.buffer, out.buffer], meta, out.size);
  return out;
}

function keptShapeOf(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * Sum over `axes` (all by default).
 *
 * @example
 * ```ts ignore
 * const s = sum(x, [0]); // [N, C] -> [C]
 * ```
 */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normaliseAxes(axes, x.rank);
  const y = reduceRaw(x, ax, OPS.sum, keepDims);
  return record("sum", [x], y, ({ gradOutput: g }) => [expandTo(view(g, keptShapeOf(x.shape, ax)), x.shape)]);
}

/**
 * Mean over `axes` (all by default).
 *
 * @example
 * ```ts ignore
 * const m = mean(x, [2, 3], true); // per-channel spatial mean, kept as [N, C, 1, 1]
 * ```
 */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const ax = normaliseAxes(axes, x.rank);
  const n = ax.reduce((p, i) => p * x.shape[i], 1);
  const y = reduceRaw(x, ax, OPS.sum, keepDims, 1 / n);
  return record("mean", [x], y, ({ gradOutput: g }) => {
    const gk = view(g, keptShapeOf(x.shape, ax));
    return [expandTo(reduceRaw(gk, [], OPS.sum, true, 1 / n), x.shape)];
  });
}

/**
 * Index of the maximum along one axis (first on ties), as float values.
 *
 * @example
 * ```ts ignore
 * const pred = argmax(logits, 1); // [N]
 * ```
 */
export function argmax(x: Tensor, axis: number, keepDims = false): Tensor {
  return reduceRaw(x, normaliseAxes(axis, x.rank), OPS.argmax, keepDims);
}

/**
 * Index of the minimum along one axis (first on ties), as float values.
 *
 * @example
 * ```ts ignore
 * const i = argmin(d, 1);
 * ```
 */
export function argmin(x: Tensor, axis: number, keepDims = false): Tensor {
  return reduceRaw(x, normaliseAxes(axis, x.rank), OPS.argmin, keepDims);
}

/**
 * Max or min over one axis without a tape record (statistics.ts adds the gradient).
 *
 * @example
 * ```ts ignore
 * const m = extremumRaw(x, 1, "max", true);
 * ```
 */
export function extremumRaw(x: Tensor, axis: number, kind: "max" | "min", keepDims: boolean): Tensor {
  return reduceRaw(x, normaliseAxes(axis, x.rank), kind === "max" ? OPS.max : OPS.min, keepDims);
}

/**
 * Broadcasts `x` to `shape` as a new contiguous tensor; its gradient is summed back.
 *
 * @example
 * ```ts ignore
 * const b = expandTo(bias, [N, C]);
 * ```
 */
export function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes("expandTo", x.shape, shape);
  if (!sameShape(target, shape)) throw new RangeError(`expandTo: [${x.shape}] cannot expand to [${shape}]`);
  const y = gatherStrided(x, shape, broadcastStrides(x.shape, shape));
  return record("expand", [x], y, ({ gradOutput: g }) => [sumTo(g, x.shape)]);
}

/**
 * Sums a broadcast gradient back to `shape` (the adjoint of broadcasting); returns `g` itself when
 * the shapes already match.
 *
 * @example
 * ```ts ignore
 * const gb = sumTo(g, [C]); // g: [N, C]
 * ```
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return view(sum(g, axes, true), shape);
}
