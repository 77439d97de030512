/**
 * Explanation and classification metrics of the "How to Probe" reproduction, as pure batched functions
 * over host tensors: attribution maps are `[B, H, W]` {@link HostTensor}s. Each function's JSDoc (and
 * its file's module doc) states the exact definition used.
 *
 * - localisation: {@link gridPG} / {@link gridPGOnGrid} (grid pointing game, smoothed 5x5 by default) and
 *   {@link energyPointingGame} (EPG over box unions, with disjoint size bins);
 * - stability: {@link deletionSteps} (masked batches, LeRF or MoRF) and {@link deletionCurve} (curve, AUC);
 * - compactness / complexity: {@link giniIndex} and {@link attributionEntropy};
 * - classification: {@link topOneAccuracy} and {@link multiLabelF1};
 * - over seeds: {@link summarize} (mean, std, Student-t CI, NaN-aware);
 * - helpers: {@link avgPool2d}, {@link gridCellBox}, {@link boxUnionMask}, {@link trapezoidAuc}.
 *
 * @example
 * ```ts
 * import { energyPointingGame, giniIndex, gridPGOnGrid } from "./mod.ts";
 * // Four 4x4 maps of a 2x2 grid, map c explaining the class of cell c; here all mass sits in cell 0.
 * const data = new Float32Array(4 * 16);
 * for (let c = 0; c < 4; c++) data[c * 16] = 1;
 * const maps = { shape: [4, 4, 4], data };
 * console.log(gridPGOnGrid(maps, 2, [0, 1, 2, 3], { smooth: false }).meanPercent); // 25
 * console.log(energyPointingGame(maps, Array(4).fill([{ x0: 0, y0: 0, x1: 2, y1: 2 }])).meanPercent); // 100
 * console.log(giniIndex(maps)[0]); // 0.9375 (= 1 - 1/16)
 * ```
 *
 * @module
 */
export type { HostTensor } from "../core/host_tensor.ts";
export { type MapBatchDims, mapBatchDims, nanMean } from "./map_batch.ts";
export { avgPool2d, checkKernelSize, DEFAULT_SMOOTHING_KERNEL, smoothMapInto } from "./smoothing.ts";
export { type Box, boxSum, boxUnionMask, gridCellBox } from "./regions.ts";
export { gridPG, gridPGOnGrid, type GridPGOptions, type GridPGResult } from "./gridpg.ts";
export {
  energyPointingGame,
  EPG_SIZE_BIN_EDGES,
  type EPGBin,
  type EPGOptions,
  type EPGResult,
} from "./epg.ts";
export {
  DEFAULT_DELETION_FRACTIONS,
  deletedCount,
  type DeletionCurve,
  deletionCurve,
  type DeletionOptions,
  type DeletionOrder,
  deletionOrder,
  type DeletionStep,
  deletionSteps,
  trapezoidAuc,
} from "./deletion.ts";
export { attributionEntropy, type EntropyOptions, giniIndex } from "./complexity.ts";
export { type ClassScores, multiLabelF1, type MultiLabelScores, topOneAccuracy } from "./classification.ts";
export { type RadixWorkspace, radixWorkspace, sortPermutationFloat32 } from "./radix_sort.ts";
export { type SampleSummary, summarize } from "./stats.ts";
export { incompleteBeta, lnGamma, studentTCdf, studentTQuantile } from "./student_t.ts";
export { energyInsideGpu, entropyGpu } from "./gpu.ts";
