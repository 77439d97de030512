/**
 * Summary statistics over repeated runs (seeds): mean, sample standard deviation and a two-sided
 * Student-t confidence interval, ignoring NaN entries (counted separately).
 *
 * With the `n` non-NaN values: `mean = sum x / n`; `std = sqrt(sum (x - mean)^2 / (n - 1))` (sample,
 * Bessel-corrected); `sem = std / sqrt(n)`; the `confidence` (default 0.95) interval is
 * `mean -/+ t_{(1 + confidence) / 2, n - 1} * sem` with the exact t quantile (`student_t.ts`). For `n = 1`
 * the std and interval are NaN; for `n = 0` everything is NaN.
 *
 * @module
 */
import { studentTQuantile } from "./student_t.ts";

/** Summary of a sample. */
export interface SampleSummary {
  /** Number of non-NaN values used. */
  n: number;
  /** Number of NaN values ignored. */
  nanCount: number;
  /** Mean of the non-NaN values. */
  mean: number;
  /** Sample standard deviation (divisor `n - 1`). */
  std: number;
  /** Standard error of the mean, `std / sqrt(n)`. */
  sem: number;
  /** The t quantile used, `t_{(1 + confidence) / 2, n - 1}`. */
  t: number;
  /** Half-width of the interval, `t * sem`. */
  halfWidth: number;
  /** Lower end of the confidence interval. */
  ciLow: number;
  /** Upper end of the confidence interval. */
  ciHigh: number;
  /** The confidence level. */
  confidence: number;
}

/**
 * Mean, sample std and Student-t confidence interval of the non-NaN `values` (see the module doc).
 *
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * const s = summarize([1, 2, 3, 4, 5, NaN]);
 * console.log(s.mean, s.n, s.nanCount, s.ciLow.toFixed(4), s.ciHigh.toFixed(4)); // 3 5 1 1.0368 4.9632
 * ```
 */
export function summarize(values: ArrayLike<number>, confidence = 0.95): SampleSummary {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`summarize: confidence must be in (0, 1)`);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) continue;
    n++;
    sum += values[i];
  }
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i])) ss += (values[i] - mean) ** 2;
  }
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : NaN;
  const sem = std / Math.sqrt(n);
  const t = n > 1 ? studentTQuantile((1 + confidence) / 2, n - 1) : NaN;
  const halfWidth = t * sem;
  return {
    n,
    nanCount: values.length - n,
    mean,
    std,
    sem,
    t,
    halfWidth,
    ciLow: mean - halfWidth,
    ciHigh: mean + halfWidth,
    confidence,
  };
}
