/**
 * Spherical k-means (k-means on cosine similarity): vectors are unit-normalised, assigned to the centre
 * of largest dot product, centres are the normalised means of their members; k-means++ seeding on the
 * cosine distance, seeded. Used by ViT-CX to cluster feature maps into masks.
 *
 * @module
 */
import { Rng } from "../../core/data/rng.ts";

/** Options of {@link sphericalKMeans}. */
export interface KMeansOptions {
  /** Seed of the k-means++ initialisation (default 0). */
  seed?: number;
  /** Maximum Lloyd iterations (default 50). */
  maxIterations?: number;
}

/**
 * Clusters `vectors` (each of the same length; zero vectors go to cluster 0) into at most `k`
 * clusters by cosine similarity; returns the cluster of each vector (clusters numbered 0 .. k'-1,
 * all non-empty).
 *
 * @example
 * ```ts
 * import { sphericalKMeans } from "./kmeans.ts";
 * const labels = sphericalKMeans([[1, 0], [0.9, 0.1], [0, 1], [0.1, 1]], 2);
 * console.log(labels[0] === labels[1], labels[0] !== labels[2], labels[2] === labels[3]); // true true true
 * ```
 */
export function sphericalKMeans(
  vectors: readonly ArrayLike<number>[],
  k: number,
  opts: KMeansOptions = {},
): number[] {
  const n = vectors.length;
  if (n === 0) return [];
  const dim = vectors[0].length;
  const unit = vectors.map((v) => {
    let s = 0;
    for (let i = 0; i < dim; i++) s += v[i] * v[i];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    return Float64Array.from({ length: dim }, (_, i) => v[i] * inv);
  });
  const kk = Math.max(1, Math.min(k, n));
  const rng = new Rng(opts.seed ?? 0);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < dim; i++) s += a[i] * b[i];
    return s;
  };
  // k-means++ on the cosine distance 1 - cos.
  const centres: Float64Array[] = [Float64Array.from(unit[rng.int(n)])];
  const best = unit.map((u) => 1 - dot(u, centres[0]));
  while (centres.length < kk) {
    const total = best.reduce((s, d) => s + Math.max(d, 0), 0);
    let pick = 0;
    if (total > 0) {
      let r = rng.float() * total;
      for (pick = 0; pick < n - 1; pick++) {
        r -= Math.max(best[pick], 0);
        if (r <= 0) break;
      }
    } else break; // fewer distinct directions than k
    centres.push(Float64Array.from(unit[pick]));
    unit.forEach((u, i) => (best[i] = Math.min(best[i], 1 - dot(u, centres[centres.length - 1]))));
  }
  const labels = new Array<number>(n).fill(-1);
  for (let it = 0; it < (opts.maxIterations ?? 50); it++) {
    let changed = false;
    unit.forEach((u, i) => {
      let arg = 0;
      let hi = -Infinity;
      centres.forEach((c, j) => {
        const d = dot(u, c);
        if (d > hi) [hi, arg] = [d, j];
      });
      if (labels[i] !== arg) [labels[i], changed] = [arg, true];
    });
    if (!changed) break;
    centres.forEach((c, j) => {
      c.fill(0);
      unit.forEach((u, i) => {
        if (labels[i] === j) { for (let d = 0; d < dim; d++) c[d] += u[d]; }
      });
      const norm = Math.sqrt(dot(c, c));
      if (norm > 0) { for (let d = 0; d < dim; d++) c[d] /= norm; }
    });
  }
  // Renumber to the non-empty clusters.
  const map = new Map<number, number>();
  return labels.map((l) => {
    if (!map.has(l)) map.set(l, map.size);
    return map.get(l)!;
  });
}
