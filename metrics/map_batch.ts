/**
 * Shape handling shared by the metrics: a batch of attribution maps is a {@link HostTensor} of shape
 * `[B, H, W]` (row-major); a single map of shape `[H, W]` is read as a batch of one.
 *
 * @module
 */
import type { HostTensor } from "../core/host_tensor.ts";

/** Batch size, height and width of a batch of maps. */
export interface MapBatchDims {
  /** Number of maps. */
  b: number;
  /** Rows per map. */
  h: number;
  /** Columns per map. */
  w: number;
}

/**
 * Reads `[B, H, W]` (or `[H, W]`, as `B = 1`) from a map batch and checks that the data length matches.
 *
 * @example
 * ```ts
 * import { mapBatchDims } from "./map_batch.ts";
 * const dims = mapBatchDims({ shape: [2, 3, 4], data: new Float32Array(24) });
 * console.log(dims); // { b: 2, h: 3, w: 4 }
 * ```
 */
export function mapBatchDims(maps: HostTensor, what = "maps"): MapBatchDims {
  const s = maps.shape;
  let dims: MapBatchDims;
  if (s.length === 3) dims = { b: s[0], h: s[1], w: s[2] };
  else if (s.length === 2) dims = { b: 1, h: s[0], w: s[1] };
  else throw new RangeError(`${what}: expected shape [B, H, W] or [H, W], got [${s}]`);
  for (const d of [dims.b, dims.h, dims.w]) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${what}: invalid shape [${s}]`);
  }
  if (maps.data.length !== dims.b * dims.h * dims.w) {
    throw new RangeError(
      `${what}: shape [${s}] needs ${dims.b * dims.h * dims.w} values, got ${maps.data.length}`,
    );
  }
  return dims;
}

/**
 * Mean of the finite (non-NaN) entries of `values` and how many were NaN; the mean is NaN when every entry
 * is NaN (or there are none).
 *
 * @example
 * ```ts
 * import { nanMean } from "./map_batch.ts";
 * console.log(nanMean([1, NaN, 3])); // { mean: 2, count: 2, nanCount: 1 }
 * ```
 */
export function nanMean(values: ArrayLike<number>): { mean: number; count: number; nanCount: number } {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  return { mean: count > 0 ? sum / count : NaN, count, nanCount: values.length - count };
}
