/**
 * Average pooling of attribution maps, as used before scoring GridPG (and optionally EPG / entropy).
 *
 * Definition (kernel size `k`, odd; `p = (k - 1) / 2`): stride 1, zero padding `p` on every side, and the
 * divisor is always `k * k` — padded zeros count in the divisor, like PyTorch's
 * `AvgPool2d(k, stride=1, padding=p)` with its default `count_include_pad=True`. So
 *
 * `out[y][x] = (1 / k^2) * sum_{|dy| <= p, |dx| <= p, 0 <= y+dy < H, 0 <= x+dx < W} in[y+dy][x+dx]`
 *
 * and the output has the input's size. Near the border the pooled map therefore loses mass (a constant
 * map is darker at its edges). The filter is separable and evaluated as two direct `k`-tap passes per
 * map, O(B * H * W * k), with no running-sum drift (exact zeros stay exact zeros).
 *
 * @module
 */
import type { HostTensor } from "../core/host_tensor.ts";
import { mapBatchDims } from "./map_batch.ts";

/** Default GridPG smoothing kernel size (5x5, stride 1, pad 2). */
export const DEFAULT_SMOOTHING_KERNEL = 5;

/**
 * Throws unless `k` is a positive odd integer (the "same size" pooling needs a centred kernel).
 *
 * @example
 * ```ts
 * import { checkKernelSize } from "./smoothing.ts";
 * checkKernelSize(5); // ok; checkKernelSize(4) throws a RangeError
 * ```
 */
export function checkKernelSize(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k % 2 === 0) {
    throw new RangeError(`average pooling: kernel size must be a positive odd integer, got ${k}`);
  }
}

/**
 * Smooths one `h x w` map read from `src` at `srcOffset` into `out` (at offset 0), with `tmp` (length at
 * least `h * w`) as scratch. The building block of {@link avgPool2d}; the metrics call it with reusable
 * buffers so that a batch needs no allocation per map.
 *
 * @example
 * ```ts
 * import { smoothMapInto } from "./smoothing.ts";
 * const out = new Float64Array(9);
 * smoothMapInto(Float32Array.of(0, 0, 0, 0, 9, 0, 0, 0, 0), 0, 3, 3, 3, out, new Float64Array(9));
 * console.log(out[0], out[4]); // 1 1
 * ```
 */
export function smoothMapInto(
  src: ArrayLike<number>,
  srcOffset: number,
  h: number,
  w: number,
  kernelSize: number,
  out: Float32Array | Float64Array,
  tmp: Float64Array,
): void {
  checkKernelSize(kernelSize);
  const p = (kernelSize - 1) / 2;
  // Horizontal pass: tmp[y][x] = sum of src over columns x-p..x+p (clipped).
  for (let y = 0; y < h; y++) {
    const row = srcOffset + y * w;
    for (let x = 0; x < w; x++) {
      const lo = x - p < 0 ? 0 : x - p;
      const hi = x + p >= w ? w - 1 : x + p;
      let s = 0;
      for (let xx = lo; xx <= hi; xx++) s += src[row + xx];
      tmp[y * w + x] = s;
    }
  }
  // Vertical pass over tmp, then the fixed divisor k^2.
  const inv = 1 / (kernelSize * kernelSize);
  for (let y = 0; y < h; y++) {
    const lo = y - p < 0 ? 0 : y - p;
    const hi = y + p >= h ? h - 1 : y + p;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let yy = lo; yy <= hi; yy++) s += tmp[yy * w + x];
      out[y * w + x] = s * inv;
    }
  }
}

/**
 * Batched average pooling of maps `[B, H, W]` (or `[H, W]`): kernel `kernelSize` (odd, default 5),
 * stride 1, zero padding `(kernelSize - 1) / 2`, always divided by `kernelSize^2`
 * (`count_include_pad=True`). Returns a new tensor of the input's shape.
 *
 * @example
 * ```ts
 * import { avgPool2d } from "./smoothing.ts";
 * const ones = { shape: [1, 3, 3], data: new Float32Array(9).fill(1) };
 * const s = avgPool2d(ones, 3);
 * console.log(s.data[0], s.data[4]); // 0.4444444... (4/9) 1
 * ```
 */
export function avgPool2d(maps: HostTensor, kernelSize: number = DEFAULT_SMOOTHING_KERNEL): HostTensor {
  checkKernelSize(kernelSize);
  const { b, h, w } = mapBatchDims(maps);
  const n = h * w;
  const data = new Float32Array(b * n);
  const tmp = new Float64Array(n);
  const out = new Float64Array(n);
  for (let i = 0; i < b; i++) {
    smoothMapInto(maps.data, i * n, h, w, kernelSize, out, tmp);
    data.set(out, i * n);
  }
  return { shape: [...maps.shape], data };
}
