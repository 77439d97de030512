/**
 * Minimal JPEG marker inspection (jpeg-js does not report the component count, and may accept some
 * truncated streams): the number of colour components from the SOF segment and the presence of the
 * end-of-image marker.
 *
 * @module
 */

/**
 * Number of colour components declared by the first start-of-frame segment (1 = grayscale, 3 = YCbCr,
 * 4 = CMYK), or undefined when no SOF segment is found before the scan data.
 *
 * @example
 * ```ts
 * import { jpegComponents } from "./jpeg_markers.ts";
 * // SOI, SOF0 with 1 component
 * const b = new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
 * console.log(jpegComponents(b)); // 1
 * ```
 */
export function jpegComponents(bytes: Uint8Array): number | undefined {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return undefined;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    const len = (bytes[p + 2] << 8) | bytes[p + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return p + 9 < bytes.length ? bytes[p + 9] : undefined;
    if (marker === 0xda || marker === 0xd9) return undefined;
    p += 2 + len;
  }
  return undefined;
}

/**
 * True when the stream contains an end-of-image marker (`ff d9`) after its last start-of-scan; streams
 * without one were cut short.
 *
 * @example
 * ```ts
 * import { jpegHasEnd } from "./jpeg_markers.ts";
 * console.log(jpegHasEnd(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 1, 2, 0xff, 0xd9]))); // true
 * ```
 */
export function jpegHasEnd(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 2; i >= 2; i--) {
    if (bytes[i] !== 0xff) continue;
    if (bytes[i + 1] === 0xd9) return true;
    if (bytes[i + 1] === 0xda) return false;
  }
  return false;
}
