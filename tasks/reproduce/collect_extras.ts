/**
 * The parts of results.json besides the runs: Figure 4's equivalent probes, the qualitative grids and
 * the loss curves (each left out when empty).
 *
 * @module
 */
import type { PipelineResult } from "../pipeline/runner.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import type { ResultsFile } from "../report/results.ts";
import { collectLossCurves } from "./collect_curves.ts";
import { collectEquivalent } from "./collect_equivalent.ts";
import { collectQualitative } from "./collect_qualitative.ts";

/**
 * `equivalentProbes`, `qualitative` and `lossCurves` of a finished pipeline.
 *
 * @example
 * ```ts ignore
 * const results = { ...base, runs: await collectRuns(config, r), ...await collectExtras(config, r) };
 * ```
 */
export async function collectExtras(
  config: PipelineConfig,
  run: PipelineResult,
): Promise<Pick<ResultsFile, "equivalentProbes" | "qualitative" | "lossCurves">> {
  const equivalentProbes = await collectEquivalent(config, run);
  const qualitative = await collectQualitative(config, run);
  const lossCurves = await collectLossCurves(config, run);
  return {
    ...(equivalentProbes.length ? { equivalentProbes } : {}),
    ...(qualitative.length ? { qualitative } : {}),
    ...(lossCurves.length ? { lossCurves } : {}),
  };
}
