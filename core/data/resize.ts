/**
 * Separable bilinear resampling of `[C, H, W]` images, following PIL's / torchvision's
 * `antialias=True` bilinear: pixel centres at `i + 0.5`, a triangle filter whose support widens by the
 * downscale factor (so downscaling averages rather than aliasing), weights renormalised at the borders.
 * With `antialias: false`, or when upscaling, this equals `F.interpolate(mode="bilinear",
 * align_corners=False)`.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";

/** Per-output-index source window and weights for one axis. */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  taps: number;
}

function axisWeights(inSize: number, outSize: number, antialias: boolean): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = antialias ? Math.max(scale, 1) : 1;
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
    let sum = 0;
    const n = Math.min(xmax - xmin, taps);
    for (let k = 0; k < n; k++) {
      const d = Math.abs((xmin + k - center + 0.5) / filterScale);
      const w = d < 1 ? 1 - d : 0;
      weights[i * taps + k] = w;
      sum += w;
    }
    if (sum > 0) { for (let k = 0; k < n; k++) weights[i * taps + k] /= sum; }
    start[i] = xmin;
    count[i] = n;
  }
  return { start, count, weights, taps };
}

/** Options of {@link resizeImage}. */
export interface ResizeOptions {
  /** Widen the filter when downscaling (default true, as torchvision's default for tensors). */
  antialias?: boolean;
}

/**
 * Bilinear resize of a `[C, H, W]` image to `[C, outH, outW]`.
 *
 * @example
 * ```ts
 * import { resizeImage } from "./resize.ts";
 * const t = resizeImage({ shape: [1, 1, 2], data: new Float32Array([0, 1]) }, 1, 4);
 * console.log(t.data); // Float32Array [0, 0.25, 0.75, 1]
 * ```
 */
export function resizeImage(t: HostTensor, outH: number, outW: number, opts: ResizeOptions = {}): HostTensor {
  if (t.shape.length !== 3) throw new RangeError(`resizeImage: expected [C, H, W], got [${t.shape}]`);
  if (!(outH >= 1 && outW >= 1) || !Number.isInteger(outH) || !Number.isInteger(outW)) {
    throw new RangeError(`resizeImage: output size must be positive integers, got ${outH}x${outW}`);
  }
  const [c, h, w] = t.shape;
  if (h === outH && w === outW) return { shape: [c, h, w], data: t.data.slice() };
  const aa = opts.antialias ?? true;
  const wx = axisWeights(w, outW, aa);
  const wy = axisWeights(h, outH, aa);
  const tmp = new Float32Array(c * h * outW);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      const src = (ch * h + y) * w;
      const dst = (ch * h + y) * outW;
      for (let x = 0; x < outW; x++) {
        let acc = 0;
        const s = wx.start[x], base = x * wx.taps;
        for (let k = 0; k < wx.count[x]; k++) acc += wx.weights[base + k] * t.data[src + s + k];
        tmp[dst + x] = acc;
      }
    }
  }
  const out = new Float32Array(c * outH * outW);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < outH; y++) {
      const s = wy.start[y], base = y * wy.taps;
      const dst = (ch * outH + y) * outW;
      for (let k = 0; k < wy.count[y]; k++) {
        const wt = wy.weights[base + k];
        const src = (ch * h + s + k) * outW;
        for (let x = 0; x < outW; x++) out[dst + x] += wt * tmp[src + x];
      }
    }
  }
  return { shape: [c, outH, outW], data: out };
}
