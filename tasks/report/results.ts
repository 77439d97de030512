/**
 * `results.json`: everything the report is made from, and nothing else. One record per run, keyed by
 * {dataset, arch, pretraining, probe, loss, explainer, seed}, with the metrics that run measured; plus
 * the environment (adapter, versions, seeds, timings per stage), the Figure 4 equivalent-probe numbers,
 * qualitative heatmap grids and loss curves.
 *
 * Units: accuracy, F1, GridPG and EPG are percentages (0..100); deletion curves hold the mean
 * target-class probability per deletion fraction and `auc` is their trapezoidal area over the fraction
 * axis (0..1); Gini is in [0, 1]; entropy is in bits. Metrics a run did not measure are absent or null
 * (JSON has no NaN: writers store NaN as null). A classification-only record has `explainer: null`;
 * accuracy may also be repeated on every explainer's record of the same probe (the report takes one
 * value per seed).
 *
 * Example record:
 * ```json
 * { "dataset": "fashion-mnist", "arch": "bcos_resnet_small", "pretraining": "dino", "probe": "linear",
 *   "loss": "bce", "explainer": "bcos", "seed": 0,
 *   "metrics": { "accuracy": 88.1, "gridpg": { "2x2": 81.5, "3x3": 64.0 }, "gini": 0.61, "entropy": 7.9,
 *     "deletion": { "order": "lerf", "fractions": [0, 0.5, 1], "curve": [0.9, 0.7, 0.1], "auc": 0.6 } } }
 * ```
 *
 * @module
 */
import { writeTextAtomic } from "../pipeline/fs.ts";
import {
  arr,
  bool,
  ConfigError,
  nullable,
  num,
  obj,
  oneOf,
  optional,
  record,
  type Schema,
  str,
} from "../pipeline/schema.ts";

/** The format tag of `results.json`. */
export const RESULTS_FORMAT = "howtoprobe.results/1";

/** What identifies a run. */
export interface RunKey {
  /** Dataset: `fashion-mnist`, `fashion-scenes`, `imagenet`, `voc2007`, `coco2014`, ... */
  dataset: string;
  /** Backbone architecture (`bcos_` prefix = B-cos). */
  arch: string;
  /** Pre-training paradigm. */
  pretraining: string;
  /** Probe head: `linear`, `mlp2`, `mlp3`, `bcos_mlp2`, `bcos_mlp3`. */
  probe: string;
  /** Probe loss. */
  loss: "ce" | "bce";
  /** Explainer, or null for a classification-only record. */
  explainer: string | null;
  /** Probe seed. */
  seed: number;
}

/** A pixel-deletion result. */
export interface DeletionResult {
  /** Deletion order. */
  order: "lerf" | "morf";
  /** Deleted fractions, increasing, in [0, 1]. */
  fractions: number[];
  /** Mean target probability per fraction (null: missing). */
  curve: (number | null)[];
  /** Trapezoidal area under the curve. */
  auc: number | null;
}

/** One EPG size bin. */
export interface EpgBinResult {
  /** Lower edge (fraction of the image area, inclusive). */
  lo: number;
  /** Upper edge (exclusive, except 1). */
  hi: number;
  /** Mean EPG (%) of the pairs in the bin (null: none). */
  percent: number | null;
  /** Pairs in the bin. */
  count: number;
}

/** Metrics of one run (all optional). */
export interface RunMetrics {
  /** Top-1 accuracy (%), single-label. */
  accuracy?: number | null;
  /** F1 (%), multi-label. */
  f1?: number | null;
  /** GridPG (%) by grid, keyed `2x2`, `3x3`. */
  gridpg?: Record<string, number | null>;
  /** EPG (%), overall and by box-area bin. */
  epg?: { overall: number | null; bins: EpgBinResult[] } | null;
  /** Pixel deletion. */
  deletion?: DeletionResult | null;
  /** Gini index of the positive map. */
  gini?: number | null;
  /** Entropy (bits) of the smoothed, normalised positive map. */
  entropy?: number | null;
}

/** One run. */
export interface RunRecord extends RunKey {
  /** What it measured. */
  metrics: RunMetrics;
}

/** Time spent on a stage. */
export interface StageTiming {
  /** Stage name. */
  stage: string;
  /** Artifact key. */
  key?: string;
  /** Seconds (of the run that finished it). */
  seconds: number;
  /** Items of a map stage. */
  items?: number;
  /** Outcome in the last run (`ran`, `cached`, ...). */
  status?: string;
}

/** Where and how the results were produced. */
export interface Environment {
  /** The WebGPU adapter (null: unknown). */
  adapter: {
    name: string;
    vendor?: string;
    architecture?: string;
    description?: string;
    isFallback?: boolean;
  } | null;
  /** Runtime and project versions. */
  versions: Record<string, string>;
  /** Seeds of the runs. */
  seeds: number[];
  /** Timings per stage. */
  stages: StageTiming[];
  /** Host facts (OS, CPU count, ...). */
  host?: Record<string, string>;
  /** ISO start time. */
  startedAt?: string;
  /** ISO end time. */
  finishedAt?: string;
}

/** One probe of the Figure 4 demonstration. */
export interface EquivalentProbe {
  /** Label (e.g. `probe 1 (trained)`, `probe 2 (shifted)`). */
  label: string;
  /** CE loss on the evaluation set. */
  ceLoss: number | null;
  /** BCE loss (not shift invariant). */
  bceLoss?: number | null;
  /** Accuracy (%). */
  accuracy?: number | null;
  /** GridPG (%) of the explained class. */
  gridpg: number | null;
}

/** The Figure 4 demonstration: probes with identical CE loss but different attributions. */
export interface EquivalentProbesResult {
  /** Dataset. */
  dataset: string;
  /** Backbone. */
  arch: string;
  /** Pre-training. */
  pretraining: string;
  /** Explainer. */
  explainer: string;
  /** The class explained. */
  target: string;
  /** Norm of the shift vector added to every class weight. */
  shiftNorm?: number | null;
  /** The probes. */
  probes: EquivalentProbe[];
  /** Free text. */
  note?: string;
}

/** A qualitative picture: inline values or a file (relative to results.json). */
export interface QualitativeCell {
  /** `signed`: [H, W] map (blue-white-red); `rgba`: [4, H, W] in [0, 1]; `image`: [C, H, W] in [0, 1]. */
  kind: "signed" | "rgba" | "image";
  /** Shape as above. */
  shape: number[];
  /** Values, row-major (or `file`). */
  data?: number[];
  /** A `.png` (used as is) or `.f32` (raw little-endian float32 of `shape`) file. */
  file?: string;
}

/** A qualitative grid (rows x columns of pictures). */
export interface QualitativeGrid {
  /** Title. */
  title: string;
  /** Row captions. */
  rowLabels: string[];
  /** Column captions. */
  colLabels: string[];
  /** Cells (null: missing). */
  cells: (QualitativeCell | null)[][];
}

/** A loss curve. */
export interface LossCurve {
  /** Which plot it goes on (e.g. `pretrain`, `probe`). */
  group: string;
  /** Legend label. */
  label: string;
  /** x values (epochs or steps). */
  x: number[];
  /** Loss per x (null: missing). */
  loss: (number | null)[];
  /** x-axis label (default `epoch`). */
  xLabel?: string;
}

/** The whole file. */
export interface ResultsFile {
  /** {@link RESULTS_FORMAT}. */
  format: typeof RESULTS_FORMAT;
  /** Preset name. */
  preset?: string;
  /** Preset description. */
  description?: string;
  /** ISO creation time. */
  createdAt?: string;
  /** Environment. */
  environment: Environment;
  /** The runs. */
  runs: RunRecord[];
  /** Figure 4 demonstrations. */
  equivalentProbes?: EquivalentProbesResult[];
  /** Qualitative grids. */
  qualitative?: QualitativeGrid[];
  /** Loss curves. */
  lossCurves?: LossCurve[];
  /** Free-form notes shown in the report. */
  notes?: string[];
}

const pct = (doc: string) => nullable(num({ doc, min: 0, max: 100 }));
const text = (doc: string) => str({ doc, nonEmpty: true });

const METRICS = obj({
  accuracy: optional(pct("top-1 accuracy (%)")),
  f1: optional(pct("F1 (%)")),
  gridpg: optional(record(pct("GridPG (%)"), { doc: "GridPG by grid (`2x2`, `3x3`)" })),
  epg: optional(nullable(obj({
    overall: pct("EPG overall (%)"),
    bins: arr(
      obj({
        lo: num({ doc: "lower edge", min: 0, max: 1 }),
        hi: num({ doc: "upper edge", min: 0, max: 1 }),
        percent: pct("EPG in the bin (%)"),
        count: num({ doc: "pairs", int: true, min: 0 }),
      }, { doc: "bin" }),
      { doc: "size bins" },
    ),
  }, { doc: "EPG" }))),
  deletion: optional(nullable(obj({
    order: oneOf(["lerf", "morf"] as const, { doc: "order" }),
    fractions: arr(num({ doc: "fraction", min: 0, max: 1 }), { doc: "fractions", min: 2 }),
    curve: arr(nullable(num({ doc: "probability" })), { doc: "curve" }),
    auc: nullable(num({ doc: "AUC" })),
  }, { doc: "deletion" }))),
  gini: optional(nullable(num({ doc: "Gini", min: 0, max: 1 }))),
  entropy: optional(nullable(num({ doc: "entropy (bits)", min: 0 }))),
}, { doc: "metrics" });

const RUN = obj({
  dataset: text("dataset"),
  arch: text("architecture"),
  pretraining: text("pre-training"),
  probe: text("probe"),
  loss: oneOf(["ce", "bce"] as const, { doc: "loss" }),
  explainer: nullable(text("explainer")),
  seed: num({ doc: "seed", int: true, min: 0 }),
  metrics: METRICS,
}, { doc: "run" });

const CELL = nullable(obj({
  kind: oneOf(["signed", "rgba", "image"] as const, { doc: "kind" }),
  shape: arr(num({ doc: "dim", int: true, min: 1 }), { doc: "shape", min: 2, max: 3 }),
  data: optional(arr(num({ doc: "value" }), { doc: "values" })),
  file: optional(text("file")),
}, { doc: "cell" }));

/** The schema of `results.json` (see the module doc). */
export const RESULTS_SCHEMA: Schema<unknown> = obj({
  format: oneOf([RESULTS_FORMAT] as const, { doc: "format tag" }),
  preset: optional(str({ doc: "preset" })),
  description: optional(str({ doc: "description" })),
  createdAt: optional(str({ doc: "creation time" })),
  environment: obj({
    adapter: nullable(obj({
      name: str({ doc: "adapter name" }),
      vendor: optional(str({ doc: "vendor" })),
      architecture: optional(str({ doc: "architecture" })),
      description: optional(str({ doc: "description" })),
      isFallback: optional(bool({ doc: "software adapter" })),
    }, { doc: "adapter" })),
    versions: record(str({ doc: "version" }), { doc: "versions" }),
    seeds: arr(num({ doc: "seed", int: true, min: 0 }), { doc: "seeds" }),
    stages: arr(
      obj({
        stage: text("stage"),
        key: optional(str({ doc: "key" })),
        seconds: num({ doc: "seconds", min: 0 }),
        items: optional(num({ doc: "items", int: true, min: 0 })),
        status: optional(str({ doc: "status" })),
      }, { doc: "stage timing" }),
      { doc: "stages" },
    ),
    host: optional(record(str({ doc: "value" }), { doc: "host" })),
    startedAt: optional(str({ doc: "start" })),
    finishedAt: optional(str({ doc: "end" })),
  }, { doc: "environment" }),
  runs: arr(RUN, { doc: "runs" }),
  equivalentProbes: optional(arr(
    obj({
      dataset: text("dataset"),
      arch: text("arch"),
      pretraining: text("pretraining"),
      explainer: text("explainer"),
      target: text("target class"),
      shiftNorm: optional(nullable(num({ doc: "shift norm", min: 0 }))),
      probes: arr(
        obj({
          label: text("label"),
          ceLoss: nullable(num({ doc: "CE loss", min: 0 })),
          bceLoss: optional(nullable(num({ doc: "BCE loss", min: 0 }))),
          accuracy: optional(pct("accuracy")),
          gridpg: pct("GridPG"),
        }, { doc: "probe" }),
        { doc: "probes", min: 1 },
      ),
      note: optional(str({ doc: "note" })),
    }, { doc: "equivalent probes" }),
    { doc: "equivalent probes" },
  )),
  qualitative: optional(arr(
    obj({
      title: str({ doc: "title" }),
      rowLabels: arr(str({ doc: "row" }), { doc: "rows" }),
      colLabels: arr(str({ doc: "col" }), { doc: "cols" }),
      cells: arr(arr(CELL, { doc: "row" }), { doc: "cells" }),
    }, { doc: "grid" }),
    { doc: "qualitative grids" },
  )),
  lossCurves: optional(arr(
    obj({
      group: text("group"),
      label: text("label"),
      x: arr(num({ doc: "x" }), { doc: "x" }),
      loss: arr(nullable(num({ doc: "loss" })), { doc: "loss" }),
      xLabel: optional(str({ doc: "x label" })),
    }, { doc: "curve" }),
    { doc: "loss curves" },
  )),
  notes: optional(arr(str({ doc: "note" }), { doc: "notes" })),
}, { doc: "results" }) as unknown as Schema<unknown>;

/**
 * Validates parsed `results.json` content (throws a `ConfigError` naming the bad field, e.g.
 * `'runs[3].metrics.gridpg.2x2': expected number >= 0, <= 100 or null, got 120`). Also checks that each
 * cell has `data` or `file` and that no two runs share a key.
 *
 * @example
 * ```ts
 * import { validateResults } from "./results.ts";
 * const r = validateResults({ format: "howtoprobe.results/1", environment: { adapter: null, versions: {}, seeds: [0], stages: [] }, runs: [] });
 * console.log(r.runs.length); // 0
 * ```
 */
export function validateResults(value: unknown): ResultsFile {
  const r = RESULTS_SCHEMA.check(value, "$") as ResultsFile;
  const seen = new Map<string, number>();
  r.runs.forEach((run, i) => {
    const k = runKeyString(run);
    if (seen.has(k)) throw new ConfigError(`runs[${i}]`, `same key as runs[${seen.get(k)}] (${k})`);
    seen.set(k, i);
    const d = run.metrics.deletion;
    if (d && d.curve.length !== d.fractions.length) {
      throw new ConfigError(
        `runs[${i}].metrics.deletion.curve`,
        `${d.curve.length} values for ${d.fractions.length} fractions`,
      );
    }
  });
  r.qualitative?.forEach((g, i) =>
    g.cells.forEach((row, a) =>
      row.forEach((cell, b) => {
        if (cell && cell.data === undefined && cell.file === undefined) {
          throw new ConfigError(`qualitative[${i}].cells[${a}][${b}]`, "needs `data` or `file`");
        }
      })
    )
  );
  return r;
}

/**
 * A run's key as one string (`dataset/arch/pretraining/probe/loss/explainer/seed`).
 *
 * @example
 * ```ts
 * import { runKeyString } from "./results.ts";
 * console.log(runKeyString({ dataset: "d", arch: "a", pretraining: "p", probe: "linear", loss: "ce", explainer: null, seed: 0 }));
 * // "d/a/p/linear/ce/-/0"
 * ```
 */
export function runKeyString(k: RunKey): string {
  return [k.dataset, k.arch, k.pretraining, k.probe, k.loss, k.explainer ?? "-", k.seed].join("/");
}

/**
 * Reads and validates a `results.json` file.
 *
 * @example
 * ```ts ignore
 * const results = await readResults("runs/fmnist/results.json");
 * ```
 */
export async function readResults(path: string): Promise<ResultsFile> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  try {
    return validateResults(json);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/**
 * Writes a results file atomically after validating it; NaN and infinite numbers become null (as JSON
 * has no NaN), so metrics that could not be computed read as missing. Returns the validated content.
 *
 * @example
 * ```ts
 * import { writeResults } from "./results.ts";
 * const path = `${await Deno.makeTempDir()}/results.json`;
 * const r = await writeResults(path, {
 *   format: "howtoprobe.results/1",
 *   environment: { adapter: null, versions: {}, seeds: [0], stages: [] },
 *   runs: [{ dataset: "d", arch: "a", pretraining: "dino", probe: "linear", loss: "bce", explainer: "bcos", seed: 0,
 *     metrics: { gridpg: { "2x2": NaN } } }],
 * });
 * console.log(r.runs[0].metrics.gridpg); // { "2x2": null }
 * ```
 */
export async function writeResults(path: string, results: ResultsFile): Promise<ResultsFile> {
  const text = JSON.stringify(results, null, 1);
  const valid = validateResults(JSON.parse(text));
  await writeTextAtomic(path, text + "\n");
  return valid;
}
