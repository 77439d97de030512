/**
 * Weighted ridge regression with an unpenalised intercept, in float64 (scikit-learn's `Ridge` with
 * `sample_weight`, as LIME fits it): minimises `sum_i w_i (y_i - b - x_i . beta)^2 + alpha |beta|^2` by
 * centring on the weighted means and solving the normal equations with a Cholesky factorisation.
 *
 * @module
 */

/** A fitted linear model. */
export interface RidgeFit {
  /** Coefficients, one per feature. */
  coef: Float64Array;
  /** Intercept. */
  intercept: number;
  /** Weighted R^2 of the fit on its data (LIME's `score`). */
  score: number;
}

/**
 * Fits `y ~ b + X beta` (`X` given as `n` rows of `d` features).
 *
 * @example
 * ```ts
 * import { weightedRidge } from "./ridge.ts";
 * const X = [[1, 0], [0, 1], [1, 1], [0, 0]];
 * const fit = weightedRidge(X, [3, 5, 8, 0], [1, 1, 1, 1], 1e-9);
 * console.log(fit.coef[0].toFixed(3), fit.coef[1].toFixed(3), fit.intercept.toFixed(3)); // 3.000 5.000 0.000
 * ```
 */
export function weightedRidge(
  X: readonly ArrayLike<number>[],
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  alpha = 1,
): RidgeFit {
  const n = X.length;
  const d = n ? X[0].length : 0;
  if (y.length !== n || w.length !== n) {
    throw new RangeError(`weightedRidge: ${n} rows, ${y.length} targets, ${w.length} weights`);
  }
  let sw = 0;
  for (let i = 0; i < n; i++) sw += w[i];
  if (!(sw > 0)) throw new RangeError("weightedRidge: the weights sum to zero");
  const xm = new Float64Array(d);
  let ym = 0;
  for (let i = 0; i < n; i++) {
    ym += w[i] * y[i];
    for (let j = 0; j < d; j++) xm[j] += w[i] * X[i][j];
  }
  ym /= sw;
  for (let j = 0; j < d; j++) xm[j] /= sw;
  // A = Xc^T W Xc + alpha I, rhs = Xc^T W yc.
  const A = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  const xc = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xc[j] = X[i][j] - xm[j];
    const wy = w[i] * (y[i] - ym);
    for (let j = 0; j < d; j++) {
      const wx = w[i] * xc[j];
      rhs[j] += xc[j] * wy;
      for (let k = 0; k <= j; k++) A[j * d + k] += wx * xc[k];
    }
  }
  for (let j = 0; j < d; j++) {
    A[j * d + j] += alpha;
    for (let k = 0; k < j; k++) A[k * d + j] = A[j * d + k];
  }
  const coef = choleskySolve(A, rhs, d);
  let intercept = ym;
  for (let j = 0; j < d; j++) intercept -= xm[j] * coef[j];
  let ssr = 0, sst = 0;
  for (let i = 0; i < n; i++) {
    let p = intercept;
    for (let j = 0; j < d; j++) p += X[i][j] * coef[j];
    ssr += w[i] * (y[i] - p) ** 2;
    sst += w[i] * (y[i] - ym) ** 2;
  }
  return { coef, intercept, score: sst > 0 ? 1 - ssr / sst : 1 };
}

/**
 * Solves `A x = b` for a symmetric positive definite `A` (`d x d`, row-major) by Cholesky.
 *
 * @example
 * ```ts
 * import { choleskySolve } from "./ridge.ts";
 * console.log([...choleskySolve(new Float64Array([4, 2, 2, 3]), new Float64Array([2, 1]), 2)]); // [0.5, 0]
 * ```
 */
export function choleskySolve(A: Float64Array, b: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      if (i === j) {
        if (!(s > 0)) throw new RangeError("choleskySolve: the matrix is not positive definite");
        L[i * d + i] = Math.sqrt(s);
      } else L[i * d + j] = s / L[j * d + j];
    }
  }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * d + k] * z[k];
    z[i] = s / L[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < d; k++) s -= L[k * d + i] * x[k];
    x[i] = s / L[i * d + i];
  }
  return x;
}
