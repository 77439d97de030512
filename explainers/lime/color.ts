/**
 * sRGB to CIE Lab (D65, 2° observer), as scikit-image's `rgb2lab`: gamma-expanded sRGB to XYZ, divided
 * by the white point, cube root (with the linear segment below 0.008856), then L, a, b.
 *
 * @module
 */

const M = [
  [0.412453, 0.35758, 0.180423],
  [0.212671, 0.71516, 0.072169],
  [0.019334, 0.119193, 0.950227],
];
const WHITE = [0.95047, 1.0, 1.08883];

function expand(c: number): number {
  return c > 0.04045 ? Math.pow((c + 0.055) / 1.055, 2.4) : c / 12.92;
}

function f(t: number): number {
  return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116;
}

/**
 * Converts an interleaved RGB image (`H * W * 3` values in [0, 1]) to interleaved Lab (float64).
 *
 * @example
 * ```ts
 * import { rgbToLab } from "./color.ts";
 * const lab = rgbToLab(new Float64Array([1, 1, 1]));
 * console.log(lab[0].toFixed(2)); // 100.00
 * ```
 */
export function rgbToLab(rgb: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rgb.length);
  for (let p = 0; p < rgb.length; p += 3) {
    const r = expand(rgb[p]), g = expand(rgb[p + 1]), b = expand(rgb[p + 2]);
    const fx = f((M[0][0] * r + M[0][1] * g + M[0][2] * b) / WHITE[0]);
    const fy = f((M[1][0] * r + M[1][1] * g + M[1][2] * b) / WHITE[1]);
    const fz = f((M[2][0] * r + M[2][1] * g + M[2][2] * b) / WHITE[2]);
    out[p] = 116 * fy - 16;
    out[p + 1] = 500 * (fx - fy);
    out[p + 2] = 200 * (fy - fz);
  }
  return out;
}
