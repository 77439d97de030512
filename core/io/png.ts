/**
 * PNG files of 8-bit RGBA images: encode, decode (any PNG colour type and bit depth pngjs reads,
 * converted to 8-bit RGBA) and atomic writes, via `npm:pngjs@7.0.0`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { PNG } from "npm:pngjs@7.0.0";
import { atomicWriteFile } from "./atomic_write.ts";

/** An 8-bit RGBA image, row-major, 4 bytes per pixel. */
export interface RgbaImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height * 4` bytes: R, G, B, A per pixel. */
  data: Uint8Array;
}

function checkRgba(img: RgbaImage): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`PNG: invalid size ${width}x${height}`);
  }
  if (data.length !== width * height * 4) {
    throw new RangeError(
      `PNG: ${width}x${height} RGBA needs ${width * height * 4} bytes, got ${data.length}`,
    );
  }
}

/**
 * Encodes an RGBA image as PNG bytes (colour type 6, 8 bits per channel).
 *
 * @example
 * ```ts
 * import { encodeRgbaPng } from "./png.ts";
 * const bytes = encodeRgbaPng({ width: 1, height: 1, data: new Uint8Array([255, 0, 0, 255]) });
 * console.log(bytes[1] === 0x50 && bytes[2] === 0x4e); // true ("PN")
 * ```
 */
export function encodeRgbaPng(img: RgbaImage): Uint8Array {
  checkRgba(img);
  const buf = PNG.sync.write(
    { width: img.width, height: img.height, data: img.data } as unknown as PNG,
    { colorType: 6, inputColorType: 6, inputHasAlpha: true },
  );
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Decodes PNG bytes into an 8-bit RGBA image (gray, palette and 16-bit images are converted).
 *
 * @example
 * ```ts
 * import { decodePng, encodeRgbaPng } from "./png.ts";
 * const img = decodePng(encodeRgbaPng({ width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }));
 * console.log(img.width, img.height, [...img.data]); // 2 1 [1, 2, 3, 4, 5, 6, 7, 8]
 * ```
 */
export function decodePng(bytes: Uint8Array): RgbaImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`not a readable PNG: ${(e as Error).message}`);
  }
  const d = png.data;
  return {
    width: png.width,
    height: png.height,
    data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice(),
  };
}

/**
 * Writes an RGBA image as a PNG file, atomically (temporary file, then rename).
 *
 * @example
 * ```ts
 * import { writePng } from "./png.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await writePng(path, { width: 1, height: 1, data: new Uint8Array([0, 0, 0, 255]) });
 * ```
 */
export function writePng(path: string, img: RgbaImage): Promise<void> {
  return atomicWriteFile(path, encodeRgbaPng(img));
}

/**
 * Reads a PNG file into an RGBA image.
 *
 * @example
 * ```ts
 * import { readPng, writePng } from "./png.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * await writePng(path, { width: 1, height: 1, data: new Uint8Array([9, 8, 7, 255]) });
 * console.log((await readPng(path)).data); // Uint8Array(4) [9, 8, 7, 255]
 * ```
 */
export async function readPng(path: string): Promise<RgbaImage> {
  try {
    return decodePng(await Deno.readFile(path));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
