/**
 * Encoding `[C, H, W]` tensors in [0, 1] (C = 1 or 3) to PNG or JPEG bytes, for saving grids and writing
 * test fixtures. Values are clamped and rounded to 8 bits.
 *
 * @module
 */
import { PNG } from "npm:pngjs@7.0.0";
import jpeg from "npm:jpeg-js@0.4.4";
import type { HostTensor } from "../host_tensor.ts";

function checkImage(t: HostTensor, what: string): [number, number, number] {
  if (t.shape.length !== 3 || (t.shape[0] !== 1 && t.shape[0] !== 3)) {
    throw new RangeError(`${what}: expected a [1|3, H, W] image, got shape [${t.shape}]`);
  }
  return [t.shape[0], t.shape[1], t.shape[2]];
}

function to8(v: number): number {
  return v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
}

/**
 * Interleaves a `[C, H, W]` float image into 8-bit pixels with `outChannels` bytes per pixel (gray is
 * replicated when `outChannels` >= 3; a 4th channel is set to 255).
 *
 * @example
 * ```ts
 * import { toInterleaved8 } from "./encode.ts";
 * const px = toInterleaved8({ shape: [1, 1, 2], data: new Float32Array([0, 1]) }, 1);
 * console.log(px); // Uint8Array [0, 255]
 * ```
 */
export function toInterleaved8(t: HostTensor, outChannels: 1 | 3 | 4): Uint8Array {
  const [c, h, w] = checkImage(t, "toInterleaved8");
  const n = h * w;
  const out = new Uint8Array(n * outChannels);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < outChannels; k++) {
      out[i * outChannels + k] = k === 3 ? 255 : to8(t.data[(c === 1 ? 0 : k) * n + i]);
    }
  }
  return out;
}

/**
 * Encodes a `[1|3, H, W]` image as PNG (grayscale PNG for C = 1, RGB for C = 3).
 *
 * @example
 * ```ts
 * import { encodePng } from "./encode.ts";
 * const bytes = encodePng({ shape: [1, 2, 2], data: new Float32Array([0, 0.5, 1, 0]) });
 * console.log(bytes[1] === 0x50); // true ("PNG")
 * ```
 */
export function encodePng(t: HostTensor): Uint8Array {
  const [c, h, w] = checkImage(t, "encodePng");
  const colorType = c === 1 ? 0 : 2;
  const data = toInterleaved8(t, c === 1 ? 1 : 3);
  const buf = PNG.sync.write({ width: w, height: h, data }, {
    colorType,
    inputColorType: colorType,
    inputHasAlpha: false,
  });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Encodes a `[1|3, H, W]` image as a baseline JPEG (gray input is written as RGB by jpeg-js).
 *
 * @example
 * ```ts
 * import { encodeJpeg } from "./encode.ts";
 * const bytes = encodeJpeg({ shape: [3, 8, 8], data: new Float32Array(192).fill(0.5) }, 95);
 * console.log(bytes[0] === 0xff && bytes[1] === 0xd8); // true
 * ```
 */
export function encodeJpeg(t: HostTensor, quality = 90): Uint8Array {
  const [, h, w] = checkImage(t, "encodeJpeg");
  const out = jpeg.encode({ data: toInterleaved8(t, 4), width: w, height: h }, quality);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
}
