/**
 * GPU kernels of the explainers (WGSL in `shaders/explain.wgsl`): the LRP stabilised
 * division, the row layout of batched Integrated Gradients steps, LIME's perturbed images, a per-row
 * percentile and the B-cos colour rendering. None records on the tape; none reads back.
 *
 * @module
 */
import { gpu } from "../core/gpu/device.ts";
import { f32, type KernelSpec } from "../core/gpu/kernel.ts";
import { kernelSource } from "../core/gpu/shader_source.ts";
import { empty, type Tensor } from "../core/tensor.ts";

async function spec(
  kernel: string,
  read: string[],
  write: string[],
  workgroupSize = 64,
): Promise<KernelSpec> {
  const source = await kernelSource("explain.wgsl", kernel);
  return {
    name: `explain.${kernel}`,
    source,
    bindings: [
      ...read.map((name) => ({ name, access: "read" as const })),
      ...write.map((name) => ({ name, access: "read_write" as const })),
    ],
    workgroupSize,
  };
}

const STAB_DIV = await spec("stab_div", ["g", "z"], ["out"], 256);
const ROW_INTERP = await spec("row_interp", ["x", "base", "a"], ["out"], 256);
const ROW_SCALE = await spec("row_scale", ["x", "a"], ["out"], 256);
const SEGMENT_ACC = await spec("segment_accumulate", ["g"], ["acc"], 256);
const LIME_COMPOSE = await spec("lime_compose", ["z", "seg", "x", "fud"], ["out"], 256);
const PERCENTILE = await spec("percentile", ["x"], ["out"], 256);
const BCOS_RGBA = await spec("bcos_rgba", ["w", "x"], ["out"], 64);
const BCOS_ALPHA = await spec("bcos_alpha", ["alpha", "pct"], ["rgba"], 256);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * `g / stabilize(z, eps)` with zennit's stabiliser: `z + eps` where `z >= 0`, `z - eps` where `z < 0`.
 *
 * @example
 * ```ts ignore
 * const s = stabilizedDivide(relevance, z, 1e-6);
 * ```
 */
export function stabilizedDivide(g: Tensor, z: Tensor, eps: number): Tensor {
  if (!sameShape(g.shape, z.shape)) throw new RangeError(`stabilizedDivide: [${g.shape}] vs [${z.shape}]`);
  const out = empty(g.shape);
  gpu().runtime.dispatch(STAB_DIV, {}, [g.buffer, z.buffer, out.buffer], [g.size, f32(eps)], g.size);
  return out;
}

/**
 * Rows `r0 .. r0 + rows - 1` of the (image, step) grid with `steps` rows per image:
 * `base[b] + a[k] * (x[b] - base[b])` for row `r = b * steps + k`; `x` and `base` are `[B, ...]`,
 * `a` is `[steps]`. Returns `[rows, ...]`.
 *
 * @example
 * ```ts ignore
 * const inputs = interpolateRows(x, zeros(x.shape), alphas, 0, 32);
 * ```
 */
export function interpolateRows(x: Tensor, base: Tensor, a: Tensor, r0: number, rows: number): Tensor {
  if (!sameShape(x.shape, base.shape)) {
    throw new RangeError(`interpolateRows: [${x.shape}] vs [${base.shape}]`);
  }
  const n = x.size / x.shape[0];
  const out = empty([rows, ...x.shape.slice(1)]);
  gpu().runtime.dispatch(
    ROW_INTERP,
    {},
    [x.buffer, base.buffer, a.buffer, out.buffer],
    [out.size, n, r0, a.size],
    out.size,
  );
  return out;
}

/**
 * Rows `r0 .. r0 + rows - 1` of `x[b] * a[k]` over the (image, step) grid (see {@link interpolateRows}).
 *
 * @example
 * ```ts ignore
 * const gradOutput = scaleRows(oneHotTargets, weights, 0, 32);
 * ```
 */
export function scaleRows(x: Tensor, a: Tensor, r0: number, rows: number): Tensor {
  const n = x.size / x.shape[0];
  const out = empty([rows, ...x.shape.slice(1)]);
  gpu().runtime.dispatch(
    ROW_SCALE,
    {},
    [x.buffer, a.buffer, out.buffer],
    [out.size, n, r0, a.size],
    out.size,
  );
  return out;
}

/**
 * Adds the rows of chunk `g` (global rows `r0 .. r0 + g.shape[0] - 1` of the (image, step) grid with
 * `steps` rows per image) into the per-image sums `acc [B, ...]`, in place.
 *
 * @example
 * ```ts ignore
 * accumulateRows(acc, grads, 0, 50);
 * ```
 */
export function accumulateRows(acc: Tensor, g: Tensor, r0: number, steps: number): void {
  const n = acc.size / acc.shape[0];
  const rows = g.shape[0];
  const r1 = r0 + rows;
  const b0 = Math.floor(r0 / steps);
  const b1 = Math.floor((r1 - 1) / steps);
  const total = (b1 - b0 + 1) * n;
  gpu().runtime.dispatch(SEGMENT_ACC, {}, [g.buffer, acc.buffer], [total, n, r0, r1, steps, b0], total);
}

/**
 * LIME's perturbed copies of one image: `out[s] = keep[s, seg[p]] ? x[:, p] : fill[:, p]` for binary
 * sample rows `keep [S, K]`, a segment index per pixel `seg [P]` (float), and `x`, `fill` `[C, H, W]`.
 *
 * @example
 * ```ts ignore
 * const batch = composeSegments(z, seg, image, means); // [S, C, H, W]
 * ```
 */
export function composeSegments(keep: Tensor, seg: Tensor, x: Tensor, fill: Tensor): Tensor {
  const [S, K] = keep.shape;
  const C = x.shape[0];
  const P = x.size / C;
  if (seg.size !== P) throw new RangeError(`composeSegments: ${seg.size} segment labels for ${P} pixels`);
  const out = empty([S, ...x.shape]);
  gpu().runtime.dispatch(
    LIME_COMPOSE,
    {},
    [keep.buffer, seg.buffer, x.buffer, fill.buffer, out.buffer],
    [out.size, C, P, K],
    out.size,
  );
  return out;
}

/**
 * Per-row percentile of `x [rows, n]` with linear interpolation (numpy's default), `q` in [0, 100].
 * Exact: order statistics are found by bisection on the float bit patterns. Returns `[rows]`.
 *
 * @example
 * ```ts ignore
 * const p = rowPercentile(alpha, 99.5);
 * ```
 */
export function rowPercentile(x: Tensor, q: number): Tensor {
  if (x.rank !== 2) throw new RangeError(`rowPercentile: x must be [rows, n], got [${x.shape}]`);
  const [rows, n] = x.shape;
  const out = empty([rows]);
  gpu().runtime.dispatch(PERCENTILE, {}, [x.buffer, out.buffer], [rows, n, f32(q / 100)], rows * 256);
  return out;
}

/**
 * B-cos colour rendering, first pass: `[B, 4, H, W]` with rgb from the dynamic linear map `w` and the
 * raw alpha (see explain.wgsl); {@link bcosFinishAlpha} normalises the alpha after smoothing.
 *
 * @example
 * ```ts ignore
 * const rgba = bcosRgbaRaw(w, x6, false);
 * ```
 */
export function bcosRgbaRaw(w: Tensor, x: Tensor, alphaFromContribution: boolean): Tensor {
  if (w.rank !== 4 || w.shape[1] !== 6 || !sameShape(w.shape, x.shape)) {
    throw new RangeError(`bcosRgba: expects [B, 6, H, W] maps and inputs, got [${w.shape}] and [${x.shape}]`);
  }
  const [B, , H, W] = w.shape;
  const P = H * W;
  const out = empty([B, 4, H, W]);
  gpu().runtime.dispatch(
    BCOS_RGBA,
    { ALPHA_CONTRIB: alphaFromContribution },
    [w.buffer, x.buffer, out.buffer],
    [B * P, P],
    B * P,
  );
  return out;
}

/**
 * Writes `clamp(alpha / pct, 0, 1)` into the alpha plane of `rgba [B, 4, H, W]` (in place).
 *
 * @example
 * ```ts ignore
 * bcosFinishAlpha(rgba, smoothed, rowPercentile(smoothed2d, 99.5));
 * ```
 */
export function bcosFinishAlpha(rgba: Tensor, alpha: Tensor, pct: Tensor): void {
  const [B, , H, W] = rgba.shape;
  const P = H * W;
  gpu().runtime.dispatch(BCOS_ALPHA, {}, [alpha.buffer, pct.buffer, rgba.buffer], [B * P, P], B * P);
}
