/**
 * Energy pointing game (EPG; Wang et al. 2020, Score-CAM), as used by "How to Probe" on ImageNet boxes,
 * VOC and COCO.
 *
 * Per (image, present class) pair there is one attribution map `A` (the explanation of that class's
 * logit) and the list of that class's boxes in the image. With `R` the union of the boxes (pixel
 * convention of `regions.ts`: half-open `x0 <= x < x1, y0 <= y < y1` by default, or inclusive upper edges
 * with `inclusive: true`; clipped to the image):
 *
 * 1. (option `smooth`, default OFF: EPG is computed on the raw map unless asked) average pooling as in
 *    `smoothing.ts`;
 * 2. positive part `A+ = max(A, 0)`;
 * 3. `EPG = sum_{p in R} A+[p] / sum_p A+[p]`, in [0, 1].
 *
 * Skipped pairs (score NaN, excluded from every mean): an empty box list or a union covering no pixel
 * (`skippedNoBox`), and maps with no positive mass or with NaN values (`skippedNoPositive`).
 *
 * Size bins: each pair also has `areaFraction = |R| / (H * W)`. Bins are DISJOINT, with default edges
 * `[0.25, 0.5, 0.75]`: `[0, 0.25)`, `[0.25, 0.5)`, `[0.5, 0.75)`, `[0.75, 1]` (the paper's "<25%, <50%,
 * <75%, <=100%" columns read as size classes, as in its Table C2). Every mean is reported as a percentage.
 *
 * @module
 */
import type { HostTensor } from "../core/host_tensor.ts";
import { mapBatchDims, nanMean } from "./map_batch.ts";
import { type Box, boxUnionMask } from "./regions.ts";
import { DEFAULT_SMOOTHING_KERNEL, smoothMapInto } from "./smoothing.ts";

/** Default disjoint size-bin edges (fractions of the image area). */
export const EPG_SIZE_BIN_EDGES: readonly number[] = [0.25, 0.5, 0.75];

/** Options of {@link energyPointingGame}. */
export interface EPGOptions {
  /** Boxes include their upper edges `x1`, `y1` (default false: half-open boxes). */
  inclusive?: boolean;
  /** Average-pool each map before scoring (default false). */
  smooth?: boolean;
  /** Odd pooling kernel size when smoothing (default 5). */
  kernelSize?: number;
  /** Increasing inner edges of the disjoint size bins (default {@link EPG_SIZE_BIN_EDGES}). */
  binEdges?: readonly number[];
}

/** Mean EPG of one size bin. */
export interface EPGBin {
  /** Lower edge (inclusive), as a fraction of the image area. */
  lo: number;
  /** Upper edge: exclusive, except for the last bin whose upper edge 1 is inclusive. */
  hi: number;
  /** Mean EPG (percent) of the scored pairs in the bin; NaN if none. */
  meanPercent: number;
  /** Number of scored (non-skipped) pairs in the bin. */
  count: number;
}

/** EPG scores per pair, overall and per size bin. */
export interface EPGResult {
  /** Per pair: EPG in [0, 1], NaN if skipped. */
  fractions: Float64Array;
  /** Per pair: union-of-boxes area / image area (0 for an empty box list). */
  areaFractions: Float64Array;
  /** Per pair: index of its size bin (-1 for skipped pairs). */
  bin: Int32Array;
  /** `100 * mean` of the non-NaN fractions. */
  meanPercent: number;
  /** Number of pairs scored. */
  evaluated: number;
  /** Pairs skipped because their box union is empty. */
  skippedNoBox: number;
  /** Pairs skipped because the map has no positive mass (or has NaN values). */
  skippedNoPositive: number;
  /** Disjoint size bins, smallest first. */
  bins: EPGBin[];
}

/**
 * EPG of maps `[N, H, W]` (one per (image, present class) pair) against `boxes[n]`, the boxes of pair
 * `n`'s class in its image. See the module doc for the exact definition, skipping and binning.
 *
 * @example
 * ```ts
 * import { energyPointingGame } from "./epg.ts";
 * const maps = { shape: [1, 2, 2], data: Float32Array.of(3, 1, 0, -5) };
 * const r = energyPointingGame(maps, [[{ x0: 0, y0: 0, x1: 1, y1: 1 }]]);
 * console.log(r.fractions[0], r.bin[0]); // 0.75 1 (the box covers 25% of the image: bin [0.25, 0.5))
 * ```
 */
export function energyPointingGame(
  maps: HostTensor,
  boxes: readonly (readonly Box[])[],
  options: EPGOptions = {},
): EPGResult {
  const { b, h, w } = mapBatchDims(maps);
  if (boxes.length !== b) throw new RangeError(`energyPointingGame: ${b} maps but ${boxes.length} box lists`);
  const edges = options.binEdges ?? EPG_SIZE_BIN_EDGES;
  for (let i = 0; i < edges.length; i++) {
    if (!(edges[i] > (i > 0 ? edges[i - 1] : 0) && edges[i] < 1)) {
      throw new RangeError(
        `energyPointingGame: bin edges must increase strictly inside (0, 1), got [${edges}]`,
      );
    }
  }
  const smooth = options.smooth ?? false;
  const kernelSize = options.kernelSize ?? DEFAULT_SMOOTHING_KERNEL;
  const n = h * w;
  const mask = new Uint8Array(n);
  const buf = new Float64Array(smooth ? n : 0);
  const tmp = new Float64Array(smooth ? n : 0);
  const fractions = new Float64Array(b);
  const areaFractions = new Float64Array(b);
  const bin = new Int32Array(b);
  let skippedNoBox = 0;
  let skippedNoPositive = 0;
  for (let i = 0; i < b; i++) {
    const area = boxUnionMask(boxes[i], h, w, mask, options.inclusive ?? false);
    areaFractions[i] = n > 0 ? area / n : 0;
    fractions[i] = NaN;
    bin[i] = -1;
    if (area === 0) {
      skippedNoBox++;
      continue;
    }
    let src: ArrayLike<number> = maps.data;
    let off = i * n;
    if (smooth) {
      smoothMapInto(maps.data, off, h, w, kernelSize, buf, tmp);
      src = buf;
      off = 0;
    }
    let total = 0;
    let inside = 0;
    for (let j = 0; j < n; j++) {
      const v = src[off + j];
      if (v > 0) {
        total += v;
        if (mask[j] === 1) inside += v;
      } else if (v !== v) total = NaN;
    }
    if (!(total > 0)) {
      skippedNoPositive++;
      continue;
    }
    fractions[i] = inside / total;
    let k = 0;
    while (k < edges.length && areaFractions[i] >= edges[k]) k++;
    bin[i] = k;
  }
  const bins: EPGBin[] = [];
  for (let k = 0; k <= edges.length; k++) {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < b; i++) {
      if (bin[i] === k) {
        sum += fractions[i];
        count++;
      }
    }
    bins.push({
      lo: k === 0 ? 0 : edges[k - 1],
      hi: k === edges.length ? 1 : edges[k],
      meanPercent: count > 0 ? (100 * sum) / count : NaN,
      count,
    });
  }
  const { mean, count } = nanMean(fractions);
  return {
    fractions,
    areaFractions,
    bin,
    meanPercent: 100 * mean,
    evaluated: count,
    skippedNoBox,
    skippedNoPositive,
    bins,
  };
}
