/**
 * The report of a reproduction run: the `results.json` schema ({@link validateResults}), the tables
 * and figures re-making the paper's (BCE vs CE, EPG by box size, deletion, Gini/entropy, MLP probes,
 * equivalent probes), and {@link writeReport}, which writes `report.md`, `tables/*.csv` and
 * `figures/*.png`.
 *
 * @example
 * ```ts ignore
 * import { readResults, writeReport } from "./mod.ts";
 * await writeReport(await readResults("runs/fmnist/results.json"), "runs/fmnist", { resultsDir: "runs/fmnist" });
 * ```
 *
 * @module
 */
export {
  type DeletionResult,
  type Environment,
  type EpgBinResult,
  type EquivalentProbe,
  type EquivalentProbesResult,
  type LossCurve,
  type QualitativeCell,
  type QualitativeGrid,
  readResults,
  RESULTS_FORMAT,
  RESULTS_SCHEMA,
  type ResultsFile,
  type RunKey,
  runKeyString,
  type RunMetrics,
  type RunRecord,
  type StageTiming,
  validateResults,
  writeResults,
} from "./results.ts";
export { buildReport, type Report, type ReportOptions, writeReport } from "./report.ts";
export { type KeyFilter, RunIndex } from "./run_index.ts";
export { formatNumber, formatStat, MISSING, pairedDelta, type Stat, statOf } from "./stat.ts";
export {
  type Cell,
  type Column,
  missingCells,
  renderCsv,
  renderMarkdownTable,
  type Row,
  slug,
  type Table,
} from "./table.ts";
export { environmentMarkdown, hostFacts, stageTimings, stageTimingsCsv } from "./environment.ts";
export { bceVsCeTable } from "./tables/bce_ce.ts";
export { binHeader, epgTable } from "./tables/epg.ts";
export { deletionTable } from "./tables/deletion.ts";
export { complexityTable } from "./tables/complexity.ts";
export { type LocMetric, locMetric, mlpTable } from "./tables/mlp.ts";
export { equivalentProbesTable } from "./tables/equivalent.ts";
export type { Figure } from "./figures/figure.ts";
