/**
 * Gathers the finished stages' artifacts into results.json runs: one record per (probe cell,
 * explainer) with the probe's accuracy and the explainer's metrics (a record with `explainer: null`
 * when a backbone has no applicable explainer); and for each VOC / COCO entry, one record per (BCE
 * cell, explainer) with `dataset` set to it, the multi-label probe's micro F1 and the EPG.
 *
 * @module
 */
import type { RunRecord } from "../report/results.ts";
import type { PipelineResult } from "../pipeline/runner.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import type { PairMetrics } from "./evaluate.ts";
import { probeCells } from "./stages.ts";
import { fileMultiLabel } from "./multilabel_stages.ts";

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch {
    return null;
  }
}

/**
 * The results.json runs of a finished pipeline.
 *
 * @example
 * ```ts ignore
 * const runs = await collectRuns(config, pipelineResult);
 * ```
 */
export async function collectRuns(config: PipelineConfig, run: PipelineResult): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (const cell of probeCells(config)) {
    const probeDir = run.dirs.get(cell.stage);
    const result = probeDir
      ? await readJson<{ accuracy: number | null }>(`${probeDir}/run/result.json`)
      : null;
    const accuracy = result?.accuracy == null ? null : 100 * result.accuracy;
    const key = {
      dataset: config.data.dataset,
      arch: cell.arch,
      pretraining: cell.pretraining,
      probe: cell.probe,
      loss: cell.loss,
      seed: cell.seed,
    };
    const explainDir = run.dirs.get(`explain:${cell.stage.slice("probe:".length)}`);
    const metrics = explainDir
      ? await readJson<Record<string, PairMetrics>>(`${explainDir}/metrics.json`)
      : null;
    if (!metrics || Object.keys(metrics).length === 0) {
      runs.push({ ...key, explainer: null, metrics: { accuracy } });
      continue;
    }
    for (const [explainer, m] of Object.entries(metrics)) {
      runs.push({ ...key, explainer, metrics: { accuracy, ...m } });
    }
  }
  for (const m of fileMultiLabel(config)) {
    for (const cell of probeCells(config).filter((c) => c.loss === "bce")) {
      const rest = cell.stage.slice("probe:".length);
      const probeDir = run.dirs.get(`probe:${m.dataset}.${rest}`);
      const result = probeDir ? await readJson<{ microF1?: number }>(`${probeDir}/run/result.json`) : null;
      const f1 = result?.microF1 == null ? null : 100 * result.microF1;
      const key = {
        dataset: m.dataset,
        arch: cell.arch,
        pretraining: cell.pretraining,
        probe: cell.probe,
        loss: cell.loss,
        seed: cell.seed,
      };
      const explainDir = run.dirs.get(`explain:${m.dataset}.${rest}`);
      const metrics = explainDir
        ? await readJson<Record<string, { epg: PairMetrics["epg"] }>>(`${explainDir}/metrics.json`)
        : null;
      if (!metrics || Object.keys(metrics).length === 0) {
        runs.push({ ...key, explainer: null, metrics: { f1 } });
        continue;
      }
      for (const [explainer, e] of Object.entries(metrics)) {
        runs.push({ ...key, explainer, metrics: { f1, epg: e.epg } });
      }
    }
  }
  return runs;
}
