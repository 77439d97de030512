/**
 * Cell statistics of the report: a value per seed summarised as mean and Student-t confidence interval
 * (`metrics/stats.ts` `summarize`), paired BCE - CE (or MLP - linear) differences over the seeds both
 * sides have, and their text forms (`72.4 ± 1.3`, `+1.3 ± 0.5`, `—` when missing).
 *
 * @module
 */
import { summarize } from "../../metrics/stats.ts";

/** A summarised cell. */
export interface Stat {
  /** Mean over seeds. */
  mean: number;
  /** Lower end of the confidence interval (NaN for one seed). */
  ciLow: number;
  /** Upper end. */
  ciHigh: number;
  /** Half-width (NaN for one seed). */
  halfWidth: number;
  /** Seeds used. */
  n: number;
  /** The per-seed values, by seed. */
  values: Map<number, number>;
}

/**
 * Summarises values by seed (null and non-finite values are dropped); null when none is left.
 *
 * @example
 * ```ts
 * import { statOf } from "./stat.ts";
 * const s = statOf(new Map([[0, 70], [1, 72], [2, 74]]))!;
 * console.log(s.mean, s.n, s.halfWidth.toFixed(3)); // 72 3 4.968
 * ```
 */
export function statOf(bySeed: ReadonlyMap<number, number | null>, confidence = 0.95): Stat | null {
  const values = new Map<number, number>();
  for (const [seed, v] of [...bySeed.entries()].sort((a, b) => a[0] - b[0])) {
    if (v !== null && Number.isFinite(v)) values.set(seed, v);
  }
  if (values.size === 0) return null;
  const s = summarize([...values.values()], confidence);
  return { mean: s.mean, ciLow: s.ciLow, ciHigh: s.ciHigh, halfWidth: s.halfWidth, n: s.n, values };
}

/**
 * `b - a` paired over the seeds both have (null when they share none).
 *
 * @example
 * ```ts
 * import { pairedDelta, statOf } from "./stat.ts";
 * const ce = statOf(new Map([[0, 10], [1, 20]]));
 * const bce = statOf(new Map([[0, 15], [1, 27], [2, 99]]));
 * console.log(pairedDelta(ce, bce)?.mean, pairedDelta(ce, bce)?.n); // 6 2
 * ```
 */
export function pairedDelta(a: Stat | null, b: Stat | null, confidence = 0.95): Stat | null {
  if (!a || !b) return null;
  const d = new Map<number, number>();
  for (const [seed, vb] of b.values) {
    const va = a.values.get(seed);
    if (va !== undefined) d.set(seed, vb - va);
  }
  return statOf(d, confidence);
}

/** The placeholder of a missing cell. */
export const MISSING = "—";

/**
 * `mean ± half-width` with `digits` decimals (`mean` alone for one seed; {@link MISSING} for null);
 * `signed` prefixes `+` to non-negative means.
 *
 * @example
 * ```ts
 * import { formatStat, statOf } from "./stat.ts";
 * console.log(formatStat(statOf(new Map([[0, 70], [1, 72], [2, 74]])), 1)); // "72.0 ± 5.0"
 * console.log(formatStat(statOf(new Map([[0, 1.5]])), 2, true), formatStat(null, 1)); // "+1.50" "—"
 * ```
 */
export function formatStat(s: Stat | null, digits: number, signed = false): string {
  if (!s) return MISSING;
  const m = formatNumber(s.mean, digits, signed);
  return s.n > 1 && Number.isFinite(s.halfWidth) ? `${m} ± ${s.halfWidth.toFixed(digits)}` : m;
}

/**
 * A number with `digits` decimals (`-0.0` printed as `0.0`), `+` for non-negative values when `signed`.
 *
 * @example
 * ```ts
 * import { formatNumber } from "./stat.ts";
 * console.log(formatNumber(-0.001, 1, true), formatNumber(2.345, 2)); // "+0.0" "2.35"
 * ```
 */
export function formatNumber(v: number, digits: number, signed = false): string {
  let t = v.toFixed(digits);
  if (/^-0(\.0+)?$/.test(t)) t = t.slice(1);
  return signed && !t.startsWith("-") ? `+${t}` : t;
}
