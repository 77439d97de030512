/**
 * Colours for plots: RGBA tuples, hex parsing, a categorical palette (Tableau 10), the CE/BCE pair used
 * throughout the report (blue / orange, as in the paper's figures), and the signed blue-white-red
 * colormap for attribution maps.
 *
 * @module
 */

/** An RGBA colour, 0..255 per channel. */
export type Color = readonly [number, number, number, number];

/**
 * Parses `#rrggbb` or `#rrggbbaa`.
 *
 * @example
 * ```ts
 * import { hex } from "./color.ts";
 * console.log(hex("#ff8000")); // [255, 128, 0, 255]
 * ```
 */
export function hex(text: string): Color {
  const m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(text);
  if (!m) throw new RangeError(`hex: expected #rrggbb or #rrggbbaa, got '${text}'`);
  const v = parseInt(m[1], 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255, m[2] ? parseInt(m[2], 16) : 255];
}

/** Opaque white. */
export const WHITE: Color = [255, 255, 255, 255];
/** Opaque black. */
export const BLACK: Color = [0, 0, 0, 255];
/** Dark gray for text and axes. */
export const INK: Color = [34, 34, 34, 255];
/** Light gray for grid lines. */
export const GRID: Color = [226, 226, 226, 255];
/** Mid gray for secondary text. */
export const MUTED: Color = [110, 110, 110, 255];

/** The categorical palette (Tableau 10). */
export const PALETTE: readonly Color[] = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
].map(hex);

/**
 * The `i`-th palette colour (cycling).
 *
 * @example
 * ```ts
 * import { paletteColor } from "./color.ts";
 * console.log(paletteColor(10)); // [31, 119, 180, 255]
 * ```
 */
export function paletteColor(i: number): Color {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** Colours of the two losses (CE blue, BCE orange). */
export const LOSS_COLORS: Readonly<Record<string, Color>> = { ce: PALETTE[0], bce: PALETTE[1] };

const SIGNED_STOPS: readonly [number, Color][] = [
  [-1, [5, 48, 97, 255]],
  [-0.5, [67, 147, 195, 255]],
  [0, [255, 255, 255, 255]],
  [0.5, [214, 96, 77, 255]],
  [1, [103, 0, 31, 255]],
];

/**
 * The signed colormap at `t` in [-1, 1] (clamped): dark blue (-1), white (0), dark red (+1).
 *
 * @example
 * ```ts
 * import { signedColor } from "./color.ts";
 * console.log(signedColor(0), signedColor(1)); // [255, 255, 255, 255] [103, 0, 31, 255]
 * ```
 */
export function signedColor(t: number): Color {
  const v = Number.isNaN(t) ? 0 : Math.max(-1, Math.min(1, t));
  for (let i = 0; i + 1 < SIGNED_STOPS.length; i++) {
    const [a, ca] = SIGNED_STOPS[i];
    const [b, cb] = SIGNED_STOPS[i + 1];
    if (v <= b) {
      const f = (v - a) / (b - a);
      return [0, 1, 2, 3].map((k) => Math.round(ca[k] + f * (cb[k] - ca[k]))) as unknown as Color;
    }
  }
  return SIGNED_STOPS[SIGNED_STOPS.length - 1][1];
}
