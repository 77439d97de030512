/**
 * 2-D pooling over NCHW tensors with torch semantics (floor mode): max, average, adaptive average and
 * global average. Backward kernels gather over the windows that cover each input element, so they are
 * deterministic and need no atomics.
 *
 * Op kinds and what their tape nodes save (for rule overrides such as LRP's treatment of pooling):
 * - `max_pool2d`: `{ kernel, stride, padding, indices }`, where `indices` is a tensor shaped like the
 *   output holding the flat in-plane position `iy * W + ix` of each window's first maximum (as float);
 * - `avg_pool2d`: `{ kernel, stride, padding, countIncludePad }`;
 * - `adaptive_avg_pool2d`: `{ outputSize }`.
 *
 * @module
 */
import { record } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import type { KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";
import { reshape } from "./layout.ts";

const FILE = "pool.wgsl";
const WG = 64;

async function poolSpec(kernel: string, reads: string[], writes: string[]): Promise<KernelSpec> {
  return {
    name: `pool.${kernel}`,
    source: await kernelSource(FILE, kernel),
    bindings: [
      ...reads.map((name) => ({ name, access: "read" as const })),
      ...writes.map((name) => ({ name, access: "read_write" as const })),
    ],
    workgroupSize: WG,
  };
}

const MAX_FWD = await poolSpec("max_fwd", ["x"], ["y", "idx"]);
const MAX_BWD = await poolSpec("max_bwd", ["g", "idx"], ["dx"]);
const AVG_FWD = await poolSpec("avg_fwd", ["x"], ["y"]);
const AVG_BWD = await poolSpec("avg_bwd", ["g"], ["dx"]);
const ADA_FWD = await poolSpec("adaptive_fwd", ["x"], ["y"]);
const ADA_BWD = await poolSpec("adaptive_bwd", ["g"], ["dx"]);

/** A size per spatial axis: one number for both, or `[h, w]`. */
export type PoolSize = number | readonly [number, number];

/** Options of {@link maxPool2d}. */
export interface MaxPool2dOptions {
  /** Window size. */
  kernel: PoolSize;
  /** Step between windows; defaults to the kernel size (as in torch). */
  stride?: PoolSize;
  /** Implicit `-inf` padding on both sides, at most half the kernel; default 0. */
  padding?: PoolSize;
}

/** Options of {@link avgPool2d}. */
export interface AvgPool2dOptions extends MaxPool2dOptions {
  /** Whether zero padding counts in the divisor (torch's `count_include_pad`); default true. */
  countIncludePad?: boolean;
}

interface Window {
  N: number;
  C: number;
  H: number;
  W: number;
  Ho: number;
  Wo: number;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

function pair(v: PoolSize | undefined, dflt: [number, number], what: string): [number, number] {
  const p: [number, number] = v === undefined ? dflt : typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x))) {
    throw new RangeError(`pooling: ${what} must be integers, got ${v}`);
  }
  return p;
}

function windowOf(op: string, x: Tensor, opts: MaxPool2dOptions): Window {
  if (x.rank !== 4) throw new RangeError(`${op}: input must be [N, C, H, W], got [${x.shape}]`);
  const [N, C, H, W] = x.shape;
  const kernel = pair(opts.kernel, [1, 1], "kernel");
  const stride = pair(opts.stride, kernel, "stride");
  const padding = pair(opts.padding, [0, 0], "padding");
  if (kernel.some((k) => k < 1) || stride.some((s) => s < 1) || padding.some((p) => p < 0)) {
    throw new RangeError(`${op}: kernel and stride must be >= 1, padding >= 0`);
  }
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new RangeError(`${op}: padding [${padding}] must be at most half the kernel [${kernel}]`);
  }
  const Ho = Math.floor((H + 2 * padding[0] - kernel[0]) / stride[0]) + 1;
  const Wo = Math.floor((W + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
  if (Ho < 1 || Wo < 1) throw new RangeError(`${op}: kernel [${kernel}] does not fit input [${x.shape}]`);
  return { N, C, H, W, Ho, Wo, kernel, stride, padding };
}

function windowMeta(w: Window, total: number, flag = 0): number[] {
  return [total, w.H, w.W, w.Ho, w.Wo, ...w.kernel, ...w.stride, ...w.padding, flag];
}

/**
 * Max pooling like torch's `F.max_pool2d` (floor mode, `-inf` padding). The gradient goes to the first
 * maximal element of each window (row-major order).
 *
 * Op kind `max_pool2d`; saves `{ kernel, stride, padding, indices }` (see the module doc).
 *
 * @example
 * ```ts ignore
 * const y = maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }); // ResNet: [N, 64, 112, 112] -> [N, 64, 56, 56]
 * ```
 */
export function maxPool2d(x: Tensor, opts: MaxPool2dOptions): Tensor {
  const w = windowOf("maxPool2d", x, opts);
  const shape = [w.N, w.C, w.Ho, w.Wo];
  const y = empty(shape);
  const indices = empty(shape);
  gpu().runtime.dispatch(MAX_FWD, {}, [x.buffer, y.buffer, indices.buffer], windowMeta(w, y.size), y.size);
  const saved = { kernel: w.kernel, stride: w.stride, padding: w.padding, indices };
  return record("max_pool2d", [x], y, ({ gradOutput: g }) => {
    const dx = empty(x.shape);
    gpu().runtime.dispatch(
      MAX_BWD,
      {},
      [g.buffer, indices.buffer, dx.buffer],
      windowMeta(w, dx.size),
      dx.size,
    );
    return [dx];
  }, saved);
}

/**
 * Average pooling like torch's `F.avg_pool2d` (floor mode). With `countIncludePad` (the default) the
 * divisor counts zero padding; otherwise only the input elements inside the window.
 *
 * Op kind `avg_pool2d`; saves `{ kernel, stride, padding, countIncludePad }`.
 *
 * @example
 * ```ts ignore
 * const y = avgPool2d(x, { kernel: 2 }); // halves H and W
 * ```
 */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  const w = windowOf("avgPool2d", x, opts);
  const include = opts.countIncludePad ?? true;
  const y = empty([w.N, w.C, w.Ho, w.Wo]);
  gpu().runtime.dispatch(AVG_FWD, {}, [x.buffer, y.buffer], windowMeta(w, y.size, include ? 1 : 0), y.size);
  const saved = { kernel: w.kernel, stride: w.stride, padding: w.padding, countIncludePad: include };
  return record("avg_pool2d", [x], y, ({ gradOutput: g }) => {
    const dx = empty(x.shape);
    gpu().runtime.dispatch(
      AVG_BWD,
      {},
      [g.buffer, dx.buffer],
      windowMeta(w, dx.size, include ? 1 : 0),
      dx.size,
    );
    return [dx];
  }, saved);
}

/**
 * Adaptive average pooling like torch's `F.adaptive_avg_pool2d`: output cell `(i, j)` averages rows
 * `[floor(i H / oh), ceil((i + 1) H / oh))` and the columns likewise.
 *
 * Op kind `adaptive_avg_pool2d`; saves `{ outputSize }`.
 *
 * @example
 * ```ts ignore
 * const y = adaptiveAvgPool2d(x, [7, 7]);
 * ```
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: PoolSize): Tensor {
  if (x.rank !== 4) throw new RangeError(`adaptiveAvgPool2d: input must be [N, C, H, W], got [${x.shape}]`);
  const [N, C, H, W] = x.shape;
  const [oh, ow] = pair(outputSize, [1, 1], "output size");
  if (oh < 1 || ow < 1) {
    throw new RangeError(`adaptiveAvgPool2d: output size must be >= 1, got [${oh}, ${ow}]`);
  }
  if (H < 1 || W < 1) throw new RangeError(`adaptiveAvgPool2d: empty input [${x.shape}]`);
  const y = empty([N, C, oh, ow]);
  gpu().runtime.dispatch(ADA_FWD, {}, [x.buffer, y.buffer], [y.size, H, W, oh, ow], y.size);
  return record("adaptive_avg_pool2d", [x], y, ({ gradOutput: g }) => {
    const dx = empty(x.shape);
    gpu().runtime.dispatch(ADA_BWD, {}, [g.buffer, dx.buffer], [dx.size, H, W, oh, ow], dx.size);
    return [dx];
  }, { outputSize: [oh, ow] });
}

/**
 * Global average pooling: `[N, C, H, W]` -> `[N, C]` (or `[N, C, 1, 1]` with `keepDims`). Recorded as an
 * `adaptive_avg_pool2d` to `[1, 1]` followed by a reshape.
 *
 * @example
 * ```ts ignore
 * const features = globalAvgPool(x); // ResNet head input [N, 2048]
 * ```
 */
export function globalAvgPool(x: Tensor, keepDims = false): Tensor {
  const y = adaptiveAvgPool2d(x, [1, 1]);
  return keepDims ? y : reshape(y, [x.shape[0], x.shape[1]]);
}
