/**
 * Which test images a qualitative grid shows: `k` images chosen by a seeded permutation, preferring
 * distinct classes (the first image of each class met in permutation order, then the next images of the
 * permutation when there are fewer classes than rows). The choice depends only on the labels, `k` and the
 * seed, so every column of a grid (every probe and explainer) shows the same images.
 *
 * @module
 */
import { Rng } from "../../core/data/rng.ts";

/**
 * Indices of the `k` test images of a qualitative grid (fewer when there are fewer images).
 *
 * @example
 * ```ts
 * import { pickQualitativeImages } from "./qualitative_pick.ts";
 * const picked = pickQualitativeImages([0, 0, 1, 1, 2, 2], 3, 0);
 * console.log(new Set(picked.map((i) => [0, 0, 1, 1, 2, 2][i])).size); // 3
 * ```
 */
export function pickQualitativeImages(labels: ArrayLike<number>, k: number, seed: number): number[] {
  const order = Rng.derive(seed, 11).permutation(labels.length);
  const seen = new Set<number>();
  const first: number[] = [];
  const rest: number[] = [];
  for (const i of order) {
    if (seen.has(labels[i])) rest.push(i);
    else {
      seen.add(labels[i]);
      first.push(i);
    }
  }
  return [...first, ...rest].slice(0, Math.max(0, k));
}
