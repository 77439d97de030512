/**
 * Helpers shared by the table builders: which datasets are single-label (accuracy, GridPG) or
 * multi-label (F1, EPG), the grid sizes present, and metric getters.
 *
 * @module
 */
import type { RunMetrics } from "../results.ts";
import type { RunIndex } from "../run_index.ts";

/**
 * Datasets with single-label metrics (accuracy or GridPG) in any run.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { singleLabelDatasets } from "./common.ts";
 * const idx = new RunIndex([{ dataset: "d", arch: "a", pretraining: "p", probe: "linear", loss: "ce", explainer: null, seed: 0, metrics: { accuracy: 50 } }]);
 * console.log(singleLabelDatasets(idx)); // ["d"]
 * ```
 */
export function singleLabelDatasets(idx: RunIndex): string[] {
  return idx.values("dataset", {}, (r) => r.metrics.accuracy != null || r.metrics.gridpg !== undefined);
}

/**
 * Grid names (`2x2`, `3x3`, ...) present in any run's GridPG (of `dataset`, if given), by grid side.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { gridSizes } from "./common.ts";
 * const idx = new RunIndex([{ dataset: "d", arch: "a", pretraining: "p", probe: "linear", loss: "ce", explainer: "bcos", seed: 0, metrics: { gridpg: { "3x3": 1, "2x2": 2 } } }]);
 * console.log(gridSizes(idx)); // ["2x2", "3x3"]
 * ```
 */
export function gridSizes(idx: RunIndex, dataset?: string): string[] {
  const names = new Set<string>();
  for (const r of idx.runs) {
    if (dataset !== undefined && r.dataset !== dataset) continue;
    for (const k of Object.keys(r.metrics.gridpg ?? {})) names.add(k);
  }
  return [...names].sort((a, b) => parseInt(a) - parseInt(b) || a.localeCompare(b));
}

/**
 * The task score of a run: F1 for multi-label runs, else accuracy.
 *
 * @example
 * ```ts
 * import { taskScore } from "./common.ts";
 * console.log(taskScore({ f1: 60, accuracy: 70 }), taskScore({ accuracy: 70 })); // 60 70
 * ```
 */
export function taskScore(m: RunMetrics): number | null | undefined {
  return m.f1 ?? m.accuracy;
}

/**
 * GridPG of one grid size.
 *
 * @example
 * ```ts
 * import { gridpgOf } from "./common.ts";
 * console.log(gridpgOf("2x2")({ gridpg: { "2x2": 81 } })); // 81
 * ```
 */
export function gridpgOf(size: string): (m: RunMetrics) => number | null | undefined {
  return (m) => m.gridpg?.[size];
}
