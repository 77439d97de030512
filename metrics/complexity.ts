/**
 * Compactness (Gini index, Chalasani et al. 2018) and complexity (entropy, Tseng et al. 2020) of
 * attribution maps, batched over `[B, H, W]`.
 *
 * Gini (compactness; higher = sparser). On the positive part of the UNSMOOTHED map,
 * `x = max(a, 0)` flattened to `n = H * W` values and sorted ascending `x_(1) <= ... <= x_(n)`:
 *
 * `G = 1 - 2 * sum_{k=1..n} ((n - k + 1/2) / n) * x_(k) / sum_j x_j`
 *
 * (Hurley & Rickard's form; equivalently `sum_k (2k - n - 1) x_(k) / (n * sum_j x_j)`, Quantus'
 * "Sparseness" without its epsilon). It is 0 for a constant positive map and `1 - 1/n` for a map with a
 * single positive pixel (the maximum). All-zero (no positive mass) or NaN maps give NaN.
 *
 * Entropy (complexity; lower = simpler). By default the map is first average-pooled (kernel 5, stride 1,
 * pad 2, divisor 25: `smoothing.ts`), then its positive part is taken (the same order as GridPG; option
 * `order: "clamp-then-smooth"` clamps first), then normalised to a distribution `p = x / sum x`, and
 *
 * `E = -sum_{p_i > 0} p_i * log2(p_i)` bits (with `0 * log 0 = 0`),
 *
 * between 0 (one pixel) and `log2(H * W)` (uniform). Zero-mass or NaN maps give NaN.
 *
 * @module
 */
import type { HostTensor } from "../core/host_tensor.ts";
import { mapBatchDims } from "./map_batch.ts";
import { radixWorkspace, sortPermutationFloat32 } from "./radix_sort.ts";
import { DEFAULT_SMOOTHING_KERNEL, smoothMapInto } from "./smoothing.ts";

/**
 * Gini index of the positive part of each (unsmoothed) map of `[B, H, W]`; NaN where a map has no positive
 * mass or holds NaN. O(B * H * W) (radix sort of the float32 values).
 *
 * @example
 * ```ts
 * import { giniIndex } from "./complexity.ts";
 * const maps = { shape: [2, 2, 2], data: Float32Array.of(0, 0, 5, -1, 1, 1, 1, 1) };
 * console.log(giniIndex(maps)); // Float64Array [0.75, 0]  (one-hot: 1 - 1/4; uniform: 0)
 * ```
 */
export function giniIndex(maps: HostTensor): Float64Array {
  const { b, h, w } = mapBatchDims(maps, "giniIndex");
  const n = h * w;
  const x = new Float32Array(n);
  const ws = radixWorkspace(n);
  const out = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    let total = 0;
    for (let j = 0; j < n; j++) {
      const v = maps.data[i * n + j];
      const p = v > 0 ? v : v === v ? 0 : NaN;
      x[j] = p;
      total += p;
    }
    if (!(total > 0)) {
      out[i] = NaN;
      continue;
    }
    const perm = sortPermutationFloat32(x, 0, n, false, ws);
    let s = 0;
    for (let k = 0; k < n; k++) s += (n - k - 0.5) * x[perm[k]]; // 0-based k: (n - (k+1) + 1/2)
    out[i] = 1 - (2 * s) / (n * total);
  }
  return out;
}

/** Options of {@link attributionEntropy}. */
export interface EntropyOptions {
  /** Average-pool before normalising (default true). */
  smooth?: boolean;
  /** Odd pooling kernel size (default 5). */
  kernelSize?: number;
  /** Smooth the signed map then clamp (default, as GridPG), or clamp then smooth. */
  order?: "smooth-then-clamp" | "clamp-then-smooth";
}

/**
 * Entropy in bits of each map of `[B, H, W]` as a distribution over pixels (smoothed, positive part,
 * normalised to sum 1; see the module doc). NaN where a map has no positive mass or holds NaN.
 *
 * @example
 * ```ts
 * import { attributionEntropy } from "./complexity.ts";
 * const maps = { shape: [1, 2, 2], data: Float32Array.of(1, 1, 1, 1) };
 * console.log(attributionEntropy(maps, { smooth: false })); // Float64Array [2]
 * ```
 */
export function attributionEntropy(maps: HostTensor, options: EntropyOptions = {}): Float64Array {
  const { b, h, w } = mapBatchDims(maps, "attributionEntropy");
  const smooth = options.smooth ?? true;
  const kernelSize = options.kernelSize ?? DEFAULT_SMOOTHING_KERNEL;
  const order = options.order ?? "smooth-then-clamp";
  if (order !== "smooth-then-clamp" && order !== "clamp-then-smooth") {
    throw new RangeError(`attributionEntropy: unknown order ${order}`);
  }
  const n = h * w;
  const x = new Float64Array(n);
  const clamped = new Float64Array(smooth && order === "clamp-then-smooth" ? n : 0);
  const tmp = new Float64Array(smooth ? n : 0);
  const out = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    const off = i * n;
    if (!smooth) x.set(maps.data.subarray(off, off + n));
    else if (order === "smooth-then-clamp") smoothMapInto(maps.data, off, h, w, kernelSize, x, tmp);
    else {
      for (let j = 0; j < n; j++) {
        const v = maps.data[off + j];
        clamped[j] = v > 0 ? v : v === v ? 0 : NaN;
      }
      smoothMapInto(clamped, 0, h, w, kernelSize, x, tmp);
    }
    let total = 0;
    for (let j = 0; j < n; j++) {
      const v = x[j] > 0 ? x[j] : x[j] === x[j] ? 0 : NaN;
      x[j] = v;
      total += v;
    }
    if (!(total > 0)) {
      out[i] = NaN;
      continue;
    }
    let e = 0;
    for (let j = 0; j < n; j++) {
      if (x[j] > 0) {
        const p = x[j] / total;
        e -= p * Math.log2(p);
      }
    }
    out[i] = e;
  }
  return out;
}
