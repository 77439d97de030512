/**
 * Pixel deletion (Samek et al. 2017), defined here because the paper's code has none.
 *
 * Definition. For image `x` (`[C, H, W]`), attribution map `a` (`[H, W]`) and target class `c`:
 *
 * - Order the `N = H * W` pixels by attribution: least important first (`"lerf"`, the paper's setting:
 *   ascending `a`) or most important first (`"morf"`: descending `a`). Ties are broken by the row-major
 *   pixel index, smaller first, in both orders, so the order is deterministic (`-0` ties with `+0`; a
 *   stable radix sort, O(H * W) per map). Maps must not hold NaN.
 * - For each fraction `f` (default `0, 0.05, ..., 1`, i.e. `i / 20`), delete the first
 *   `k(f) = Math.round(f * N)` pixels of that order (half-way cases round up): every channel of a
 *   deleted pixel is set to the replacement value (a scalar, or one value per channel, e.g. the dataset
 *   mean / the model's zero input; default 0). The order uses the raw, signed, unsmoothed attribution.
 * - Run the model on every masked image and record the target-class probability `p(f)`.
 * - The curve is `f -> p(f)`; its area is the trapezoidal rule over the fraction axis,
 *   `AUC = sum_i (f_{i+1} - f_i) * (p(f_i) + p(f_{i+1})) / 2` (not renormalised: over `[0, 1]` it is the
 *   mean height of the curve). Under LeRF a higher, flatter curve (larger AUC) means the pixels the
 *   explanation ranks least important are indeed unimportant to the model; under MoRF a lower AUC is better.
 *
 * {@link deletionSteps} yields one batch of masked images per fraction, for the caller to run the model
 * on; {@link deletionCurve} turns the recorded probabilities into curves and areas.
 *
 * @module
 */
import type { HostTensor } from "../core/host_tensor.ts";
import { mapBatchDims } from "./map_batch.ts";
import { radixWorkspace, sortPermutationFloat32 } from "./radix_sort.ts";

/** Which pixels go first: least relevant first (`"lerf"`, default) or most relevant first (`"morf"`). */
export type DeletionOrder = "lerf" | "morf";

/** The default fractions `0, 0.05, ..., 1`, computed as `i / 20` (correctly rounded, no drift). */
export const DEFAULT_DELETION_FRACTIONS: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20);

/** Options of {@link deletionSteps}. */
export interface DeletionOptions {
  /** Fractions of pixels to delete, each in [0, 1] (default {@link DEFAULT_DELETION_FRACTIONS}). */
  fractions?: readonly number[];
  /** Value written into deleted pixels: one for all channels, or one per channel (default 0). */
  replacement?: number | ArrayLike<number>;
  /** Deletion order (default `"lerf"`). */
  order?: DeletionOrder;
}

/** One step of the deletion sweep. */
export interface DeletionStep {
  /** Index of the step in the fraction list. */
  step: number;
  /** Fraction of pixels requested. */
  fraction: number;
  /** Pixels actually deleted per image, `round(fraction * H * W)`. */
  deleted: number;
  /** The masked batch `[B, C, H, W]`, a fresh array owned by the caller. */
  images: HostTensor;
}

/**
 * Number of pixels deleted at fraction `f` of `numPixels`: `Math.round(f * numPixels)`.
 *
 * @example
 * ```ts
 * import { deletedCount } from "./deletion.ts";
 * console.log(deletedCount(0.05, 196), deletedCount(0.25, 4)); // 10 1
 * ```
 */
export function deletedCount(fraction: number, numPixels: number): number {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`deletion: fraction ${fraction} outside [0, 1]`);
  }
  return Math.round(fraction * numPixels);
}

/**
 * Deletion order of each map of `[B, H, W]`: row `b` of the result (`[B, H * W]`, row-major) lists the
 * pixel indices of map `b` in the order they are deleted (see the module doc; ties by pixel index).
 *
 * @example
 * ```ts
 * import { deletionOrder } from "./deletion.ts";
 * const maps = { shape: [1, 2, 2], data: Float32Array.of(0.4, 0.1, 0.3, 0.1) };
 * console.log(deletionOrder(maps, "lerf")); // Uint32Array [1, 3, 2, 0]
 * console.log(deletionOrder(maps, "morf")); // Uint32Array [0, 2, 1, 3]
 * ```
 */
export function deletionOrder(maps: HostTensor, order: DeletionOrder = "lerf"): Uint32Array {
  const { b, h, w } = mapBatchDims(maps, "deletionOrder");
  if (order !== "lerf" && order !== "morf") throw new RangeError(`deletionOrder: unknown order ${order}`);
  const n = h * w;
  const out = new Uint32Array(b * n);
  const ws = radixWorkspace(n);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < n; j++) {
      if (Number.isNaN(maps.data[i * n + j])) {
        throw new RangeError(`deletionOrder: map ${i} has NaN at pixel ${j}`);
      }
    }
    out.set(sortPermutationFloat32(maps.data, i * n, n, order === "morf", ws), i * n);
  }
  return out;
}

/**
 * Yields, for each fraction, the batch `[B, C, H, W]` with the first `round(fraction * H * W)` pixels of
 * each image's deletion order replaced (all channels). `maps` is `[B, H, W]` with the images' `H, W`.
 *
 * @example
 * ```ts
 * import { deletionSteps } from "./deletion.ts";
 * const images = { shape: [1, 1, 2, 2], data: Float32Array.of(1, 2, 3, 4) };
 * const maps = { shape: [1, 2, 2], data: Float32Array.of(0.4, 0.1, 0.3, 0.1) };
 * for (const s of deletionSteps(images, maps, { fractions: [0, 0.5, 1] })) {
 *   console.log(s.fraction, s.images.data); // 0 [1,2,3,4] / 0.5 [1,0,3,0] / 1 [0,0,0,0]
 * }
 * ```
 */
export function* deletionSteps(
  images: HostTensor,
  maps: HostTensor,
  options: DeletionOptions = {},
): Generator<DeletionStep> {
  if (images.shape.length !== 4) throw new RangeError(`deletionSteps: images must be [B, C, H, W]`);
  const [b, c, h, w] = images.shape;
  const md = mapBatchDims(maps, "deletionSteps maps");
  if (md.b !== b || md.h !== h || md.w !== w) {
    throw new RangeError(`deletionSteps: maps [${maps.shape}] do not match images [${images.shape}]`);
  }
  if (images.data.length !== b * c * h * w) {
    throw new RangeError(`deletionSteps: images data length mismatch`);
  }
  const rep = new Float32Array(c);
  const r = options.replacement ?? 0;
  if (typeof r === "number") rep.fill(r);
  else if (r.length === c) rep.set(r);
  else throw new RangeError(`deletionSteps: ${r.length} replacement values for ${c} channels`);
  const fractions = options.fractions ?? DEFAULT_DELETION_FRACTIONS;
  const n = h * w;
  const counts = fractions.map((f) => deletedCount(f, n));
  const order = deletionOrder(maps, options.order ?? "lerf");
  for (let s = 0; s < fractions.length; s++) {
    const data = images.data.slice();
    const k = counts[s];
    for (let i = 0; i < b; i++) {
      const ord = i * n;
      for (let ch = 0; ch < c; ch++) {
        const base = (i * c + ch) * n;
        const v = rep[ch];
        for (let j = 0; j < k; j++) data[base + order[ord + j]] = v;
      }
    }
    yield { step: s, fraction: fractions[s], deleted: k, images: { shape: [b, c, h, w], data } };
  }
}

/**
 * Trapezoidal area under `y(x)`: `sum_i (x[i+1] - x[i]) * (y[i] + y[i+1]) / 2` (0 for fewer than two points).
 *
 * @example
 * ```ts
 * import { trapezoidAuc } from "./deletion.ts";
 * console.log(trapezoidAuc([0, 0.5, 1], [1, 1, 0])); // 0.75
 * ```
 */
export function trapezoidAuc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) {
    throw new RangeError(`trapezoidAuc: ${x.length} x values but ${y.length} y values`);
  }
  let a = 0;
  for (let i = 0; i + 1 < x.length; i++) a += ((x[i + 1] - x[i]) * (y[i] + y[i + 1])) / 2;
  return a;
}

/** Deletion curves and areas. */
export interface DeletionCurve {
  /** The fraction axis. */
  fractions: readonly number[];
  /** Mean target-class probability over the images, per step. */
  curve: Float64Array;
  /** Trapezoidal AUC of each image's own curve. */
  perImageAuc: Float64Array;
  /** Trapezoidal AUC of the mean curve (equal to the mean of `perImageAuc`). */
  auc: number;
}

/**
 * Curves and areas from the target-class probabilities recorded at each step: `probabilities[s][b]` is
 * image `b`'s probability at step `s` (on {@link deletionSteps}' step `s` batch).
 *
 * @example
 * ```ts
 * import { deletionCurve } from "./deletion.ts";
 * const r = deletionCurve([[1, 0.8], [0.6, 0.4], [0.2, 0]], [0, 0.5, 1]);
 * console.log(r.curve, r.auc); // [0.9, 0.5, 0.1] 0.5
 * ```
 */
export function deletionCurve(
  probabilities: readonly ArrayLike<number>[],
  fractions: readonly number[] = DEFAULT_DELETION_FRACTIONS,
): DeletionCurve {
  const steps = fractions.length;
  if (probabilities.length !== steps) {
    throw new RangeError(
      `deletionCurve: ${probabilities.length} steps of probabilities for ${steps} fractions`,
    );
  }
  const b = steps > 0 ? probabilities[0].length : 0;
  const curve = new Float64Array(steps);
  for (let s = 0; s < steps; s++) {
    const p = probabilities[s];
    if (p.length !== b) {
      throw new RangeError(`deletionCurve: step ${s} has ${p.length} images, expected ${b}`);
    }
    let sum = 0;
    for (let i = 0; i < b; i++) sum += p[i];
    curve[s] = b > 0 ? sum / b : NaN;
  }
  const perImageAuc = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    let a = 0;
    for (let s = 0; s + 1 < steps; s++) {
      a += ((fractions[s + 1] - fractions[s]) * (probabilities[s][i] + probabilities[s + 1][i])) / 2;
    }
    perImageAuc[i] = a;
  }
  return { fractions, curve, perImageAuc, auc: trapezoidAuc(fractions, curve) };
}
