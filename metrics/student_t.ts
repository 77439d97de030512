/**
 * Student's t distribution: CDF and quantile, for confidence intervals over a handful of seeds.
 *
 * The CDF uses the regularised incomplete beta function, `P(T <= t) = 1 - I_x(df/2, 1/2) / 2` for
 * `t >= 0` with `x = df / (df + t^2)`, evaluated by its continued fraction (modified Lentz); `ln Gamma`
 * comes from the Stirling series after shifting the argument above 10. The quantile inverts the CDF by
 * bisection to ~1e-12 relative, so it matches printed t tables to every digit they show (e.g.
 * `t(0.975, 4) = 2.776445`). `df` may be any positive real; `df = Infinity` is the standard normal.
 *
 * @module
 */

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);
/** Stirling series coefficients of x^-1, x^-3, ..., x^-11 (B_2k / (2k (2k - 1))). */
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360];

/**
 * Natural log of the gamma function for `x > 0` (Stirling series, absolute error ~1e-15).
 *
 * @example
 * ```ts
 * import { lnGamma } from "./student_t.ts";
 * console.log(Math.exp(lnGamma(5))); // ~24 (4!)
 * ```
 */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma: x must be > 0, got ${x}`);
  let shift = 0;
  while (x < 10) {
    shift += Math.log(x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  let series = 0;
  for (let k = STIRLING.length - 1; k >= 0; k--) series = series * inv2 + STIRLING[k];
  series *= inv;
  return (x - 0.5) * Math.log(x) - x + HALF_LN_2PI + series - shift;
}

/** Continued fraction of the incomplete beta (valid and fast for `x < (a + 1) / (a + b + 2)`). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let j = 1; j <= 100000; j++) {
    const m = Math.floor(j / 2);
    const coef = j % 2 === 1
      ? (-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))
      : (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + coef * d;
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    c = 1 + coef / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return 1 / f;
}

/**
 * Regularised incomplete beta function `I_x(a, b)` for `a, b > 0`, `0 <= x <= 1`.
 *
 * @example
 * ```ts
 * import { incompleteBeta } from "./student_t.ts";
 * console.log(incompleteBeta(0.3, 1, 1)); // 0.3 (uniform CDF, up to rounding)
 * ```
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incompleteBeta: a, b must be > 0`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incompleteBeta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const lnFront = a * Math.log(x) + b * Math.log1p(-x) - (lnGamma(a) + lnGamma(b) - lnGamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) / a) * betaContinuedFraction(a, b, x);
  return 1 - (Math.exp(lnFront) / b) * betaContinuedFraction(b, a, 1 - x);
}

/** Standard normal CDF: erf by its Taylor series for |z| / sqrt2 < 2, else erfc by continued fraction. */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  let erfc: number;
  if (x < 2) {
    let term = x;
    let sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (-x * x) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    erfc = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let k = 60; k >= 1; k--) f = (k / 2) / (x + f);
    erfc = Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
  }
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * CDF of Student's t with `df` degrees of freedom (`df > 0`, or `Infinity` for the normal).
 *
 * @example
 * ```ts
 * import { studentTCdf } from "./student_t.ts";
 * console.log(studentTCdf(1, 1)); // 0.75 (Cauchy: 1/2 + atan(1)/pi)
 * ```
 */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCdf: df must be > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (df === Infinity) return normalCdf(t);
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * Quantile of Student's t: the `t` with `P(T <= t) = p`, for `0 < p < 1`.
 *
 * @example
 * ```ts
 * import { studentTQuantile } from "./student_t.ts";
 * console.log(studentTQuantile(0.975, 4).toFixed(6)); // "2.776445"
 * ```
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
