/**
 * Turning maps and images into RGBA pictures: signed attribution maps through the blue-white-red
 * colormap (symmetric about 0), B-cos RGBA explanations composited over a background, and input images
 * (gray or RGB) in [0, 1].
 *
 * @module
 */
import type { RgbaImage } from "../png.ts";
import { type Color, signedColor, WHITE } from "./color.ts";

/** Options of {@link signedHeatmap}. */
export interface SignedHeatmapOptions {
  /** Value mapped to full colour (default: the `percentile` of |map|; 0 gives white everywhere). */
  limit?: number;
  /** Percentile of |map| used as the default limit (default 99.5, as in B-cos visualisations). */
  percentile?: number;
}

/**
 * The `q`-th percentile (0..100, nearest rank) of |values| over finite entries (0 when none).
 *
 * @example
 * ```ts
 * import { absPercentile } from "./heatmap.ts";
 * console.log(absPercentile([1, -4, 2, 3], 100)); // 4
 * ```
 */
export function absPercentile(values: ArrayLike<number>, q: number): number {
  const a: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) a.push(Math.abs(values[i]));
  if (a.length === 0) return 0;
  a.sort((x, y) => x - y);
  const rank = Math.min(a.length - 1, Math.max(0, Math.ceil((q / 100) * a.length) - 1));
  return a[rank];
}

/**
 * An `[H, W]` signed map as an RGBA picture: `value / limit` through the blue-white-red colormap.
 *
 * @example
 * ```ts
 * import { signedHeatmap } from "./heatmap.ts";
 * const img = signedHeatmap(Float32Array.of(-1, 0, 1, 0.5), 2, 2, { limit: 1 });
 * console.log([...img.data.slice(4, 8)]); // [255, 255, 255, 255]
 * ```
 */
export function signedHeatmap(
  map: ArrayLike<number>,
  height: number,
  width: number,
  opts: SignedHeatmapOptions = {},
): RgbaImage {
  if (map.length !== height * width) {
    throw new RangeError(`signedHeatmap: ${map.length} values for ${height}x${width}`);
  }
  const limit = opts.limit ?? absPercentile(map, opts.percentile ?? 99.5);
  const data = new Uint8Array(height * width * 4);
  for (let i = 0; i < height * width; i++) data.set(signedColor(limit > 0 ? map[i] / limit : 0), 4 * i);
  return { width, height, data };
}

/**
 * A `[4, H, W]` RGBA explanation in [0, 1] (e.g. a B-cos colour rendering) composited over `background`.
 *
 * @example
 * ```ts
 * import { rgbaOver } from "./heatmap.ts";
 * const img = rgbaOver(Float32Array.of(1, 0, 0, 0.5), 1, 1, [0, 0, 0, 255]);
 * console.log([...img.data]); // [128, 0, 0, 255]
 * ```
 */
export function rgbaOver(
  rgba: ArrayLike<number>,
  height: number,
  width: number,
  background: Color = WHITE,
): RgbaImage {
  const n = height * width;
  if (rgba.length !== 4 * n) {
    throw new RangeError(`rgbaOver: ${rgba.length} values for [4, ${height}, ${width}]`);
  }
  const data = new Uint8Array(n * 4);
  const clamp = (v: number) => (Number.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0);
  for (let i = 0; i < n; i++) {
    const a = clamp(rgba[3 * n + i]);
    for (let k = 0; k < 3; k++) {
      data[4 * i + k] = Math.round(255 * (clamp(rgba[k * n + i]) * a) + background[k] * (1 - a));
    }
    data[4 * i + 3] = 255;
  }
  return { width, height, data };
}

/**
 * A `[C, H, W]` image in [0, 1] (C = 1 gray, 3 RGB, or 6 for B-cos encodings, whose first 3 channels are
 * the RGB image) as an opaque RGBA picture.
 *
 * @example
 * ```ts
 * import { imageToRgba } from "./heatmap.ts";
 * console.log([...imageToRgba(Float32Array.of(0.5), 1, 1, 1).data]); // [128, 128, 128, 255]
 * ```
 */
export function imageToRgba(
  image: ArrayLike<number>,
  channels: number,
  height: number,
  width: number,
): RgbaImage {
  const n = height * width;
  if (image.length !== channels * n) {
    throw new RangeError(`imageToRgba: ${image.length} values for [${channels}, ${height}, ${width}]`);
  }
  if (![1, 3, 6].includes(channels)) {
    throw new RangeError(`imageToRgba: expected 1, 3 or 6 channels, got ${channels}`);
  }
  const data = new Uint8Array(n * 4);
  const to8 = (v: number) => (Number.isFinite(v) ? Math.round(255 * Math.max(0, Math.min(1, v))) : 0);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) data[4 * i + k] = to8(image[(channels === 1 ? 0 : k) * n + i]);
    data[4 * i + 3] = 255;
  }
  return { width, height, data };
}
