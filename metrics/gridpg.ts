/**
 * Grid pointing game (GridPG; Böhle et al. 2021, as used by "How to Probe").
 *
 * Setting: an `n x n` grid image whose cells hold images of distinct classes. For each cell there is one
 * attribution map: the explanation of the logit of that cell's class. Per map `A` with target cell `R`:
 *
 * 1. (option `smooth`, default on) `A <- avgPool(A)` with a `kernelSize x kernelSize` kernel (default 5),
 *    stride 1, zero padding `(k - 1) / 2`, always divided by `k^2` (see `smoothing.ts`);
 * 2. positive part `A+ = max(A, 0)`;
 * 3. score `s = sum_{p in R} A+[p] / sum_p A+[p]`, in [0, 1].
 *
 * Maps with no positive mass after step 2 (`sum A+ = 0`, e.g. all-negative maps) or with NaN values are
 * skipped: their score is NaN, they are counted in `skipped`, and the mean is over the rest. The mean is
 * reported as a percentage, `100 * mean(s)`, over all evaluated cells of all grids.
 *
 * @module
 */
import type { HostTensor } from "../core/host_tensor.ts";
import { mapBatchDims, nanMean } from "./map_batch.ts";
import { type Box, boxSum, gridCellBox } from "./regions.ts";
import { DEFAULT_SMOOTHING_KERNEL, smoothMapInto } from "./smoothing.ts";

/** Options of {@link gridPG}. */
export interface GridPGOptions {
  /** Average-pool each map before scoring (default true, as in the paper's protocol). */
  smooth?: boolean;
  /** Odd pooling kernel size (default 5: 5x5, stride 1, pad 2). */
  kernelSize?: number;
}

/** Per-map GridPG scores and their mean. */
export interface GridPGResult {
  /** Per map: positive mass inside its target cell / total positive mass, in [0, 1]; NaN if skipped. */
  fractions: Float64Array;
  /** `100 * mean` of the non-NaN fractions (NaN when every map was skipped). */
  meanPercent: number;
  /** Number of maps scored. */
  evaluated: number;
  /** Number of maps skipped (no positive mass, or NaN values). */
  skipped: number;
}

/**
 * GridPG of maps `[B, H, W]` against one target box per map (`cells[b]`, half-open pixel box, usually
 * from {@link gridCellBox}). See the module doc for the exact definition.
 *
 * @example
 * ```ts
 * import { gridPG } from "./gridpg.ts";
 * // 2x2 map, all positive mass in the top-left pixel, target cell = top-left pixel, no smoothing.
 * const maps = { shape: [1, 2, 2], data: Float32Array.of(3, 0, -1, 0) };
 * const r = gridPG(maps, [{ x0: 0, y0: 0, x1: 1, y1: 1 }], { smooth: false });
 * console.log(r.meanPercent); // 100
 * ```
 */
export function gridPG(maps: HostTensor, cells: readonly Box[], options: GridPGOptions = {}): GridPGResult {
  const { b, h, w } = mapBatchDims(maps);
  if (cells.length !== b) throw new RangeError(`gridPG: ${b} maps but ${cells.length} target cells`);
  const smooth = options.smooth ?? true;
  const kernelSize = options.kernelSize ?? DEFAULT_SMOOTHING_KERNEL;
  const n = h * w;
  const buf = new Float64Array(n);
  const tmp = new Float64Array(smooth ? n : 0);
  const fractions = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    if (smooth) smoothMapInto(maps.data, i * n, h, w, kernelSize, buf, tmp);
    else for (let j = 0; j < n; j++) buf[j] = maps.data[i * n + j];
    let total = 0;
    for (let j = 0; j < n; j++) {
      const v = buf[j] > 0 ? buf[j] : buf[j] === buf[j] ? 0 : NaN;
      buf[j] = v;
      total += v;
    }
    fractions[i] = total > 0 ? boxSum(buf, 0, h, w, cells[i]) / total : NaN;
  }
  const { mean, count, nanCount } = nanMean(fractions);
  return { fractions, meanPercent: 100 * mean, evaluated: count, skipped: nanCount };
}

/**
 * GridPG where map `b` explains the class in cell `cellIndices[b]` (row-major, `row * n + col`) of an
 * `n x n` grid spanning the whole map; cells come from {@link gridCellBox} (exact `H/n x W/n` tiles when
 * `n` divides `H` and `W`, otherwise floor-rounded boundaries).
 *
 * @example
 * ```ts
 * import { gridPGOnGrid } from "./gridpg.ts";
 * const data = new Float32Array(16);
 * data[0] = 1; // top-left pixel of a 4x4 map
 * const r = gridPGOnGrid({ shape: [1, 4, 4], data }, 2, [0], { smooth: false });
 * console.log(r.fractions[0]); // 1
 * ```
 */
export function gridPGOnGrid(
  maps: HostTensor,
  n: number,
  cellIndices: ArrayLike<number>,
  options: GridPGOptions = {},
): GridPGResult {
  const { h, w } = mapBatchDims(maps);
  const cells = Array.from(cellIndices, (c) => gridCellBox(n, c, h, w));
  return gridPG(maps, cells, options);
}
