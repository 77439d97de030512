/**
 * Differentiable layout ops: reshape (a view), permute, transpose, slice, concat and pad. All produce
 * contiguous tensors (except reshape, which shares the buffer).
 *
 * @module
 */
import { record } from "../autograd.ts";
import { type Tensor, view } from "../tensor.ts";
import { contiguousStrides } from "./broadcast.ts";
import { zeros } from "./elementwise.ts";
import { gatherStrided, scatterStrided } from "./layout_kernels.ts";

/**
 * Reshapes without copying (one `-1` is inferred).
 *
 * @example
 * ```ts ignore
 * const flat = reshape(x, [x.shape[0], -1]);
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const y = view(x, shape);
  return record("reshape", [x], y, ({ gradOutput: g }) => [view(g, x.shape)]);
}

/**
 * Reorders axes: output axis `i` is input axis `perm[i]`.
 *
 * @example
 * ```ts ignore
 * const nhwc = permute(x, [0, 2, 3, 1]);
 * ```
 */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new RangeError(`permute: [${perm}] is not a permutation of ${x.rank} axes`);
  }
  const strides = contiguousStrides(x.shape);
  const y = gatherStrided(x, perm.map((p) => x.shape[p]), perm.map((p) => strides[p]));
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return record("permute", [x], y, ({ gradOutput: g }) => [permute(g, inverse)]);
}

/**
 * Swaps two axes.
 *
 * @example
 * ```ts ignore
 * const t = transpose(x, -1, -2);
 * ```
 */
export function transpose(x: Tensor, a: number, b: number): Tensor {
  const perm = [...Array(x.rank).keys()];
  const ia = a < 0 ? a + x.rank : a;
  const ib = b < 0 ? b + x.rank : b;
  [perm[ia], perm[ib]] = [perm[ib], perm[ia]];
  return permute(x, perm);
}

/**
 * Takes `[start, end)` along each axis (`starts`/`ends` per axis; missing axes are whole).
 *
 * @example
 * ```ts ignore
 * const first = slice(x, [0, 0], [1, x.shape[1]]);
 * ```
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[]): Tensor {
  const st = x.shape.map((_, i) => starts[i] ?? 0);
  const en = x.shape.map((d, i) => ends[i] ?? d);
  st.forEach((s, i) => {
    if (s < 0 || en[i] > x.shape[i] || s > en[i]) {
      throw new RangeError(`slice: [${s}, ${en[i]}) is out of range for axis ${i} of [${x.shape}]`);
    }
  });
  const strides = contiguousStrides(x.shape);
  const base = st.reduce((acc, s, i) => acc + s * strides[i], 0);
  const y = gatherStrided(x, en.map((e, i) => e - st[i]), strides, base);
  return record("slice", [x], y, ({ gradOutput: g }) => {
    const gx = zeros(x.shape);
    scatterStrided(g, gx, strides, base);
    return [gx];
  });
}

/**
 * Concatenates along `axis`.
 *
 * @example
 * ```ts ignore
 * const six = concat([x, oneMinusX], 1); // the B-cos input encoding
 * ```
 */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new RangeError("concat: no tensors");
  const rank = xs[0].rank;
  const ax = axis < 0 ? axis + rank : axis;
  for (const t of xs) {
    if (t.rank !== rank || t.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new RangeError(`concat: [${t.shape}] does not match [${xs[0].shape}] outside axis ${ax}`);
    }
  }
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((acc, t) => acc + t.shape[ax], 0);
  const out = zeros(shape);
  const strides = contiguousStrides(shape);
  const offsets: number[] = [];
  let off = 0;
  for (const t of xs) {
    offsets.push(off);
    scatterStrided(t, out, strides, off * strides[ax]);
    off += t.shape[ax];
  }
  return record("concat", xs, out, ({ gradOutput: g }) =>
    xs.map((t, k) => {
      const starts = shape.map((_, i) => (i === ax ? offsets[k] : 0));
      const ends = shape.map((d, i) => (i === ax ? offsets[k] + t.shape[ax] : d));
      return slice(g, starts, ends);
    }));
}

/**
 * Zero-pads each axis by `[before, after]` pairs (missing axes are not padded).
 *
 * @example
 * ```ts ignore
 * const p = pad(x, [[0, 0], [0, 0], [1, 1], [1, 1]]);
 * ```
 */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[]): Tensor {
  const w = x.shape.map((_, i) => widths[i] ?? [0, 0]);
  const shape = x.shape.map((d, i) => d + w[i][0] + w[i][1]);
  const strides = contiguousStrides(shape);
  const base = w.reduce((acc, [b], i) => acc + b * strides[i], 0);
  const out = zeros(shape);
  scatterStrided(x, out, strides, base);
  return record(
    "pad",
    [x],
    out,
    ({ gradOutput: g }) => [slice(g, w.map(([b]) => b), x.shape.map((d, i) => w[i][0] + d))],
  );
}

/**
 * Copies `value` into `target`'s buffer in place (no tape record): the whole tensor (same size), or,
 * with `offset`, into the elements starting there.
 * Optimisers and running statistics use it to update persistent tensors without reallocating them;
 * training loops use the offset to log per-step losses on the GPU without reading them back.
 *
 * @example
 * ```ts ignore
 * noGrad(() => assign(w, sub(w, scale(w.grad!, lr))));
 * assign(lossLog, loss, step); // lossLog[step] = loss
 * ```
 */
export function assign(target: Tensor, value: Tensor, offset?: number): void {
  const at = offset ?? 0;
  if (at < 0 || at + value.size > target.size || (offset === undefined && target.size !== value.size)) {
    throw new RangeError(`assign: ${value} (${value.size} elements) does not fit ${target} at offset ${at}`);
  }
  if (target.buffer === value.buffer || value.size === 0) return;
  scatterStrided(view(value, [value.size]), target, [1], at);
}
