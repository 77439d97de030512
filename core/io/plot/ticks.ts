/**
 * Axis ticks: "nice" steps (1, 2, 2.5, 5 x 10^k) covering a data range, and tick label formatting with
 * just enough decimals for the step.
 *
 * @module
 */

/** Ticks over a range. */
export interface Ticks {
  /** Axis lower end (a multiple of `step` at or below the data minimum). */
  lo: number;
  /** Axis upper end. */
  hi: number;
  /** Tick spacing. */
  step: number;
  /** Tick values from `lo` to `hi`. */
  values: number[];
}

/**
 * Nice ticks covering `[min, max]` with about `target` intervals (a degenerate range is widened).
 *
 * @example
 * ```ts
 * import { niceTicks } from "./ticks.ts";
 * console.log(niceTicks(0.03, 0.97, 5).values); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(min: number, max: number, target = 5): Ticks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = 1;
  }
  if (min > max) [min, max] = [max, min];
  if (max - min < 1e-12) {
    const pad = Math.abs(min) > 1e-12 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const values: number[] = [];
  const n = Math.round((hi - lo) / step);
  for (let i = 0; i <= n; i++) values.push(Number((lo + i * step).toPrecision(12)));
  return { lo: values[0], hi: values[values.length - 1], step, values };
}

/**
 * Formats a tick value with the decimals its step needs.
 *
 * @example
 * ```ts
 * import { formatTick } from "./ticks.ts";
 * console.log(formatTick(0.25, 0.25), formatTick(40, 20), formatTick(-0, 1)); // "0.25" "40" "0"
 * ```
 */
export function formatTick(value: number, step: number): string {
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  const s = value.toFixed(
    decimals + (Math.abs(step * 10 ** decimals - Math.round(step * 10 ** decimals)) > 1e-6 ? 1 : 0),
  );
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}
