/**
 * Quadrature rules on [0, 1] for Integrated Gradients (as captum's `approximation_methods`):
 * Riemann sums (`riemann_left`, `riemann_right`, `riemann_middle`, `riemann_trapezoid`) and
 * Gauss-Legendre (`gausslegendre`, captum's default), whose nodes and weights are computed here by
 * Newton's method on the Legendre polynomial (no tables).
 *
 * @module
 */

/** The quadrature rules of {@link quadrature}. */
export type QuadratureRule =
  | "riemann_left"
  | "riemann_right"
  | "riemann_middle"
  | "riemann_trapezoid"
  | "gausslegendre";

/** Nodes `alphas` in [0, 1] and weights summing to 1. */
export interface Quadrature {
  /** Interpolation coefficients. */
  alphas: Float64Array;
  /** Step weights (sum to 1). */
  weights: Float64Array;
}

/**
 * Gauss-Legendre nodes and weights on [-1, 1] (like `numpy.polynomial.legendre.leggauss`), ascending.
 *
 * @example
 * ```ts
 * import { gaussLegendre } from "./quadrature.ts";
 * const { nodes, weights } = gaussLegendre(2);
 * console.log(nodes[1].toFixed(6), weights[0]); // 0.577350 1
 * ```
 */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`gaussLegendre: n must be a positive integer, got ${n}`);
  }
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    // Initial guess (Tricomi), then Newton on P_n.
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 1;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pPrev = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pPrev)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    // Recompute the derivative at the converged root.
    let p0 = 1;
    let p1 = x;
    for (let k = 2; k <= n; k++) {
      const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    dp = n === 1 ? 1 : (n * (x * p1 - p0)) / (x * x - 1);
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  return { nodes, weights };
}

/**
 * Nodes and weights of `rule` with `steps` points on [0, 1] (captum's conventions: Riemann steps of
 * `1 / steps` at the left ends, right ends or midpoints; trapezoid over `linspace(0, 1, steps)`;
 * Gauss-Legendre mapped from [-1, 1]).
 *
 * @example
 * ```ts
 * import { quadrature } from "./quadrature.ts";
 * const q = quadrature("riemann_trapezoid", 3);
 * console.log([...q.alphas], [...q.weights]); // [0, 0.5, 1] [0.25, 0.5, 0.25]
 * ```
 */
export function quadrature(rule: QuadratureRule, steps: number): Quadrature {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`quadrature: steps must be >= 1, got ${steps}`);
  }
  const alphas = new Float64Array(steps);
  const weights = new Float64Array(steps);
  switch (rule) {
    case "riemann_left":
    case "riemann_right":
    case "riemann_middle": {
      const shift = rule === "riemann_left" ? 0 : rule === "riemann_right" ? 1 : 0.5;
      for (let i = 0; i < steps; i++) {
        alphas[i] = (i + shift) / steps;
        weights[i] = 1 / steps;
      }
      break;
    }
    case "riemann_trapezoid": {
      if (steps < 2) throw new RangeError("quadrature: the trapezoid rule needs at least 2 steps");
      for (let i = 0; i < steps; i++) {
        alphas[i] = i / (steps - 1);
        weights[i] = (i === 0 || i === steps - 1 ? 0.5 : 1) / (steps - 1);
      }
      break;
    }
    case "gausslegendre": {
      const g = gaussLegendre(steps);
      for (let i = 0; i < steps; i++) {
        alphas[i] = 0.5 * (g.nodes[i] + 1);
        weights[i] = 0.5 * g.weights[i];
      }
      break;
    }
    default:
      throw new RangeError(`quadrature: unknown rule '${rule as string}'`);
  }
  return { alphas, weights };
}
