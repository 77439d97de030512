/**
 * Quickshift superpixels (Vedaldi & Soatto 2008), following scikit-image's `quickshift`: pixels are
 * points `(ratio * Lab colour, row, col)`; the density of each is a Gaussian Parzen estimate
 * `sum exp(-d^2 / (2 kernel^2))` over a `(2 * ceil(3 kernel) + 1)^2` window; each pixel links to the
 * nearest pixel of higher density in that window (ties broken by seeded normal noise of scale 1e-5 on
 * the densities, as scikit-image; its exact noise can be passed as `perturbation`); links longer than `maxDist` are cut; the roots of the resulting forest are the segments,
 * numbered by increasing root index. LIME's image default: kernel 4, max_dist 200, ratio 0.2.
 *
 * @module
 */
import { Rng } from "../../core/data/rng.ts";
import { rgbToLab } from "./color.ts";

/** Options of {@link quickshift}. */
export interface QuickshiftOptions {
  /** Gaussian kernel width of the density (default 4). */
  kernelSize?: number;
  /** Maximal link length (default 200). */
  maxDist?: number;
  /** Weight of colour against position (default 0.2). */
  ratio?: number;
  /** Convert RGB to Lab first (default true). */
  convertToLab?: boolean;
  /** Seed of the tie-breaking perturbation (default 42). */
  seed?: number;
  /** Scale of the tie-breaking perturbation (default 1e-5; 0 for none). */
  tieBreak?: number;
  /** Explicit per-pixel density perturbation instead of the seeded one (to reproduce other runs). */
  perturbation?: ArrayLike<number>;
}

/**
 * Segments an interleaved RGB image (`H * W * 3` values in [0, 1]); returns one label per pixel,
 * `0 .. n - 1`.
 *
 * @example
 * ```ts
 * import { quickshift } from "./quickshift.ts";
 * const img = new Float64Array(8 * 8 * 3).fill(0.5);
 * const labels = quickshift(img, 8, 8, { kernelSize: 2, maxDist: 6 });
 * console.log(labels.length); // 64
 * ```
 */
export function quickshift(
  rgb: ArrayLike<number>,
  H: number,
  W: number,
  opts: QuickshiftOptions = {},
): Int32Array {
  if (rgb.length !== H * W * 3) {
    throw new RangeError(`quickshift: ${rgb.length} values for a ${H}x${W} RGB image`);
  }
  const kernel = opts.kernelSize ?? 4;
  if (!(kernel >= 1)) throw new RangeError(`quickshift: kernelSize must be >= 1, got ${kernel}`);
  const ratio = opts.ratio ?? 0.2;
  const maxDist = opts.maxDist ?? 200;
  const lab = opts.convertToLab ?? true ? rgbToLab(rgb) : Float64Array.from(rgb);
  const img = lab.map((v) => v * ratio);
  const inv = -0.5 / (kernel * kernel);
  const kw = Math.ceil(3 * kernel);
  const N = H * W;
  // Channels as separate planes for the inner loops.
  const L = new Float64Array(N), A = new Float64Array(N), Bc = new Float64Array(N);
  for (let p = 0; p < N; p++) {
    L[p] = img[p * 3];
    A[p] = img[p * 3 + 1];
    Bc[p] = img[p * 3 + 2];
  }
  const density = new Float64Array(N);
  for (let r = 0; r < H; r++) {
    const r0 = Math.max(r - kw, 0), r1 = Math.min(r + kw + 1, H);
    for (let c = 0; c < W; c++) {
      const c0 = Math.max(c - kw, 0), c1 = Math.min(c + kw + 1, W);
      const p = r * W + c;
      const l = L[p], a = A[p], b = Bc[p];
      let s = 0;
      for (let rr = r0; rr < r1; rr++) {
        const dr2 = (r - rr) * (r - rr);
        for (let cc = c0, q = rr * W + c0; cc < c1; cc++, q++) {
          const dl = l - L[q], da = a - A[q], db = b - Bc[q];
          s += Math.exp((dl * dl + da * da + db * db + dr2 + (c - cc) * (c - cc)) * inv);
        }
      }
      density[p] = s;
    }
  }
  const tie = opts.tieBreak ?? 1e-5;
  if (opts.perturbation) {
    if (opts.perturbation.length !== N) throw new RangeError(`quickshift: perturbation needs ${N} values`);
    for (let p = 0; p < N; p++) density[p] += opts.perturbation[p];
  } else if (tie > 0) {
    // Normal noise of scale `tie`, as scikit-image (Box-Muller on the seeded generator).
    const rng = new Rng(opts.seed ?? 42);
    for (let p = 0; p < N; p++) {
      density[p] += tie * Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
    }
  }
  const parent = new Int32Array(N);
  for (let r = 0; r < H; r++) {
    const r0 = Math.max(r - kw, 0), r1 = Math.min(r + kw + 1, H);
    for (let c = 0; c < W; c++) {
      const c0 = Math.max(c - kw, 0), c1 = Math.min(c + kw + 1, W);
      const p = r * W + c;
      const d = density[p];
      let closest = Infinity;
      let best = p;
      const l = L[p], a = A[p], b = Bc[p];
      for (let rr = r0; rr < r1; rr++) {
        const dr2 = (r - rr) * (r - rr);
        for (let cc = c0, q = rr * W + c0; cc < c1; cc++, q++) {
          if (density[q] > d) {
            const dl = l - L[q], da = a - A[q], db = b - Bc[q];
            const e = dl * dl + da * da + db * db + dr2 + (c - cc) * (c - cc);
            if (e < closest) {
              closest = e;
              best = q;
            }
          }
        }
      }
      parent[p] = Math.sqrt(closest) > maxDist ? p : best;
    }
  }
  // Flatten the forest: every pixel points at its root.
  for (let changed = true; changed;) {
    changed = false;
    for (let p = 0; p < N; p++) {
      const g = parent[parent[p]];
      if (g !== parent[p]) [parent[p], changed] = [g, true];
    }
  }
  return relabel(parent);
}

/**
 * Renumbers arbitrary integer labels to `0 .. n - 1` in increasing order of the original label (as
 * `numpy.unique(..., return_inverse=True)`).
 *
 * @example
 * ```ts
 * import { relabel } from "./quickshift.ts";
 * console.log([...relabel(Int32Array.of(7, 3, 7, 9))]); // [1, 0, 1, 2]
 * ```
 */
export function relabel(labels: ArrayLike<number>): Int32Array {
  const unique = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const index = new Map(unique.map((v, i) => [v, i]));
  return Int32Array.from(labels, (v) => index.get(v)!);
}
