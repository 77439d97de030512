/**
 * Decoding PNG and JPEG bytes into `[C, H, W]` float32 host tensors with values in [0, 1].
 *
 * Channels: a grayscale source (PNG colour types 0/4, single-component JPEG) gives C = 1, anything else
 * C = 3; `channels` forces 1 (ITU-R 601-2 luma, `0.299 R + 0.587 G + 0.114 B`, as PIL's `convert("L")`)
 * or 3 (gray replicated). Alpha is dropped (not composited). 16-bit PNGs are reduced to 8 bits by pngjs.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { PNG } from "npm:pngjs@7.0.0";
import jpeg from "npm:jpeg-js@0.4.4";
import type { HostTensor } from "../host_tensor.ts";
import { jpegComponents, jpegHasEnd } from "./jpeg_markers.ts";

/**
 * Raised for an unreadable, unsupported, corrupt or truncated image; the message names the file.
 *
 * @example
 * ```ts
 * import { decodeImage, ImageDecodeError } from "./decode.ts";
 * try {
 *   decodeImage(new Uint8Array([1, 2, 3]), "bad.png");
 * } catch (e) {
 *   console.log(e instanceof ImageDecodeError && e.file); // "bad.png"
 * }
 * ```
 */
export class ImageDecodeError extends Error {
  /** The file the bytes came from. */
  readonly file: string;
  /** Creates the error; the message is prefixed with the file name. */
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(`${file}: ${message}`, options);
    this.name = "ImageDecodeError";
    this.file = file;
  }
}

/** Supported image formats. */
export type ImageFormat = "png" | "jpeg";

/** Options of {@link decodeImage}. */
export interface DecodeOptions {
  /** Force the channel count (default: 1 for gray sources, 3 otherwise). */
  channels?: 1 | 3;
}

/**
 * The format given by the magic bytes, or undefined.
 *
 * @example
 * ```ts
 * import { detectImageFormat } from "./decode.ts";
 * console.log(detectImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))); // "jpeg"
 * ```
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return undefined;
}

/** Interleaved 8-bit pixels with `stride` bytes per pixel, of which the first `channels` are used. */
interface Interleaved {
  width: number;
  height: number;
  data: Uint8Array;
  stride: number;
  gray: boolean;
}

function toChw(px: Interleaved, channels: 1 | 3): HostTensor {
  const { width: w, height: h, data, stride } = px;
  const n = w * h;
  const out = new Float32Array(channels * n);
  const s = 1 / 255;
  if (channels === 3) {
    for (let i = 0; i < n; i++) {
      const o = i * stride;
      out[i] = data[o] * s;
      out[n + i] = data[o + (px.gray ? 0 : 1)] * s;
      out[2 * n + i] = data[o + (px.gray ? 0 : 2)] * s;
    }
  } else if (px.gray) {
    for (let i = 0; i < n; i++) out[i] = data[i * stride] * s;
  } else {
    for (let i = 0; i < n; i++) {
      const o = i * stride;
      out[i] = (0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2]) * s;
    }
  }
  return { shape: [channels, h, w], data: out };
}

function decodePng(bytes: Uint8Array, name: string): Interleaved {
  let img: { width: number; height: number; data: Uint8Array; colorType: number };
  try {
    img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt or truncated PNG (${(e as Error).message})`, { cause: e });
  }
  if (img.data.length !== img.width * img.height * 4) {
    throw new ImageDecodeError(
      name,
      `PNG decoder returned ${img.data.length} bytes for ${img.width}x${img.height}`,
    );
  }
  return {
    width: img.width,
    height: img.height,
    data: img.data,
    stride: 4,
    gray: img.colorType === 0 || img.colorType === 4,
  };
}

function decodeJpeg(bytes: Uint8Array, name: string): Interleaved {
  if (!jpegHasEnd(bytes)) {
    throw new ImageDecodeError(name, `truncated JPEG (no end-of-image marker in ${bytes.length} bytes)`);
  }
  const comps = jpegComponents(bytes);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt or truncated JPEG (${(e as Error).message})`, { cause: e });
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new ImageDecodeError(
      name,
      `JPEG decoder returned ${img.data.length} bytes for ${img.width}x${img.height}`,
    );
  }
  return { width: img.width, height: img.height, data: img.data, stride: 3, gray: comps === 1 };
}

/**
 * Decodes PNG or JPEG bytes (detected by magic bytes) to a `[C, H, W]` tensor in [0, 1]; `name` (the file)
 * appears in every error.
 *
 * @example
 * ```ts
 * import { decodeImage } from "./decode.ts";
 * const t = decodeImage(await Deno.readFile("cat.png"), "cat.png", { channels: 3 });
 * console.log(t.shape); // [3, H, W]
 * ```
 */
export function decodeImage(bytes: Uint8Array, name: string, opts: DecodeOptions = {}): HostTensor {
  const format = detectImageFormat(bytes);
  if (format === undefined) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new ImageDecodeError(
      name,
      bytes.length === 0 ? "empty file" : `not a PNG or JPEG file (first bytes: ${head})`,
    );
  }
  const px = format === "png" ? decodePng(bytes, name) : decodeJpeg(bytes, name);
  if (px.width === 0 || px.height === 0) throw new ImageDecodeError(name, `image has zero size`);
  return toChw(px, opts.channels ?? (px.gray ? 1 : 3));
}

/**
 * Reads and decodes an image file; read failures are reported as {@link ImageDecodeError} too.
 *
 * @example
 * ```ts
 * import { decodeImageFile } from "./decode.ts";
 * const t = await decodeImageFile("photo.jpg");
 * console.log(t.shape);
 * ```
 */
export async function decodeImageFile(path: string, opts: DecodeOptions = {}): Promise<HostTensor> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new ImageDecodeError(path, `cannot read file (${(e as Error).message})`, { cause: e });
  }
  return decodeImage(bytes, path, opts);
}
