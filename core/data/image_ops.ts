/**
 * Deterministic operations on `[C, H, W]` float images: crop (zero fill outside), horizontal flip,
 * torchvision-style shorter-side resize and centre crop, per-channel normalisation, gray-to-RGB and the
 * B-cos 6-channel encoding.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import { resizeImage, type ResizeOptions } from "./resize.ts";

function dims(t: HostTensor, what: string): [number, number, number] {
  if (t.shape.length !== 3) {
    throw new RangeError(`${what}: expected a [C, H, W] image, got shape [${t.shape}]`);
  }
  return [t.shape[0], t.shape[1], t.shape[2]];
}

/**
 * Python's `round` (half to even), used where torchvision rounds.
 *
 * @example
 * ```ts
 * import { roundHalfEven } from "./image_ops.ts";
 * console.log(roundHalfEven(0.5), roundHalfEven(1.5), roundHalfEven(2.4)); // 0 2 2
 * ```
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The `height` x `width` window at (`top`, `left`); pixels outside the image are 0.
 *
 * @example
 * ```ts
 * import { cropImage } from "./image_ops.ts";
 * const t = cropImage({ shape: [1, 2, 2], data: new Float32Array([1, 2, 3, 4]) }, 1, 0, 1, 2);
 * console.log(t.data); // Float32Array [3, 4]
 * ```
 */
export function cropImage(
  t: HostTensor,
  top: number,
  left: number,
  height: number,
  width: number,
): HostTensor {
  const [c, h, w] = dims(t, "cropImage");
  const out = new Float32Array(c * height * width);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < height; y++) {
      const sy = top + y;
      if (sy < 0 || sy >= h) continue;
      const x0 = Math.max(0, -left), x1 = Math.min(width, w - left);
      if (x1 <= x0) continue;
      const src = (ch * h + sy) * w + left;
      out.set(t.data.subarray(src + x0, src + x1), (ch * height + y) * width + x0);
    }
  }
  return { shape: [c, height, width], data: out };
}

/**
 * Mirror image left-right.
 *
 * @example
 * ```ts
 * import { flipImageH } from "./image_ops.ts";
 * console.log(flipImageH({ shape: [1, 1, 3], data: new Float32Array([1, 2, 3]) }).data); // [3, 2, 1]
 * ```
 */
export function flipImageH(t: HostTensor): HostTensor {
  const [c, h, w] = dims(t, "flipImageH");
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < c * h; r++) {
    for (let x = 0; x < w; x++) out[r * w + x] = t.data[r * w + w - 1 - x];
  }
  return { shape: [c, h, w], data: out };
}

/**
 * Output size of torchvision's `Resize(size)` with an int: the shorter side becomes `size`, the longer
 * `floor(size * long / short)`.
 *
 * @example
 * ```ts
 * import { shorterSideSize } from "./image_ops.ts";
 * console.log(shorterSideSize(375, 500, 256)); // [256, 341]
 * ```
 */
export function shorterSideSize(h: number, w: number, size: number): [number, number] {
  if (h <= w) return [size, Math.floor((size * w) / h)];
  return [Math.floor((size * h) / w), size];
}

/**
 * Resize so the shorter side equals `size`, keeping the aspect ratio.
 *
 * @example
 * ```ts
 * import { resizeShorterSide } from "./image_ops.ts";
 * const t = resizeShorterSide({ shape: [1, 2, 4], data: new Float32Array(8) }, 4);
 * console.log(t.shape); // [1, 4, 8]
 * ```
 */
export function resizeShorterSide(t: HostTensor, size: number, opts: ResizeOptions = {}): HostTensor {
  const [, h, w] = dims(t, "resizeShorterSide");
  const [oh, ow] = shorterSideSize(h, w, size);
  return resizeImage(t, oh, ow, opts);
}

/**
 * Top-left corner of torchvision's `CenterCrop`: `round((H - h) / 2)` (half to even) and likewise for x;
 * negative (zero padding) when the crop is larger than the image.
 *
 * @example
 * ```ts
 * import { centerCropOffset } from "./image_ops.ts";
 * console.log(centerCropOffset(5, 5, 2, 2)); // [2, 2]  (round(1.5) = 2)
 * ```
 */
export function centerCropOffset(h: number, w: number, ch: number, cw: number): [number, number] {
  const off = (size: number, crop: number) =>
    crop <= size ? roundHalfEven((size - crop) / 2) : -Math.floor((crop - size) / 2);
  return [off(h, ch), off(w, cw)];
}

/**
 * The central `height` x `width` window (zero padded when larger than the image).
 *
 * @example
 * ```ts
 * import { centerCropImage } from "./image_ops.ts";
 * const t = centerCropImage({ shape: [1, 3, 3], data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) }, 1, 1);
 * console.log(t.data); // Float32Array [5]
 * ```
 */
export function centerCropImage(t: HostTensor, height: number, width: number): HostTensor {
  const [, h, w] = dims(t, "centerCropImage");
  const [top, left] = centerCropOffset(h, w, height, width);
  return cropImage(t, top, left, height, width);
}

/**
 * `(x - mean[c]) / std[c]` per channel.
 *
 * @example
 * ```ts
 * import { normalizeImage } from "./image_ops.ts";
 * const t = normalizeImage({ shape: [1, 1, 2], data: new Float32Array([0, 1]) }, [0.5], [0.5]);
 * console.log(t.data); // Float32Array [-1, 1]
 * ```
 */
export function normalizeImage(t: HostTensor, mean: readonly number[], std: readonly number[]): HostTensor {
  const [c, h, w] = dims(t, "normalizeImage");
  if (mean.length !== c || std.length !== c) {
    throw new RangeError(`normalizeImage: ${c} channels but ${mean.length} means and ${std.length} stds`);
  }
  const n = h * w;
  const out = new Float32Array(t.data.length);
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch], s = 1 / std[ch];
    for (let i = ch * n; i < (ch + 1) * n; i++) out[i] = (t.data[i] - m) * s;
  }
  return { shape: [c, h, w], data: out };
}

/**
 * Gray `[1, H, W]` replicated to `[3, H, W]`; 3-channel images are returned unchanged.
 *
 * @example
 * ```ts
 * import { toRgb } from "./image_ops.ts";
 * console.log(toRgb({ shape: [1, 1, 1], data: new Float32Array([0.2]) }).shape); // [3, 1, 1]
 * ```
 */
export function toRgb(t: HostTensor): HostTensor {
  const [c, h, w] = dims(t, "toRgb");
  if (c === 3) return t;
  if (c !== 1) throw new RangeError(`toRgb: expected 1 or 3 channels, got ${c}`);
  const out = new Float32Array(3 * h * w);
  for (let k = 0; k < 3; k++) out.set(t.data, k * h * w);
  return { shape: [3, h, w], data: out };
}

/**
 * The B-cos input encoding `[r, g, b, 1 - r, 1 - g, 1 - b]` (gray images are replicated to RGB first).
 *
 * @example
 * ```ts
 * import { bcosEncode } from "./image_ops.ts";
 * const t = bcosEncode({ shape: [1, 1, 1], data: new Float32Array([0.25]) });
 * console.log(t.shape, t.data); // [6, 1, 1] Float32Array [0.25, 0.25, 0.25, 0.75, 0.75, 0.75]
 * ```
 */
export function bcosEncode(t: HostTensor): HostTensor {
  const rgb = toRgb(t);
  const [, h, w] = rgb.shape;
  const n = 3 * h * w;
  const out = new Float32Array(2 * n);
  out.set(rgb.data, 0);
  for (let i = 0; i < n; i++) out[n + i] = 1 - rgb.data[i];
  return { shape: [6, h, w], data: out };
}
