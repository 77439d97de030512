/**
 * The stages that only feed the report, added after the matrix so that the matrix's stages and keys
 * stay as they were: `qualitative:<probe stage>` for each backbone's linear probes of the first seed
 * (when `report.qualitativeImages > 0`) and `equivalent:<probe stage>` for each conventional
 * backbone's linear CE probe of the first seed (when `report.equivalentProbes`).
 *
 * @module
 */
import type { PipelineConfig } from "../pipeline/config.ts";
import type { Stage } from "../pipeline/stage.ts";
import { equivalentStage } from "./equivalent_stage.ts";
import { qualitativeStage } from "./qualitative_stage.ts";
import type { ProbeCell } from "./stages.ts";

/**
 * The cells whose qualitative maps are drawn: linear probes of the first seed with an explainer.
 *
 * @example
 * ```ts ignore
 * const cells = qualitativeCells(config, probeCells(config));
 * ```
 */
export function qualitativeCells(config: PipelineConfig, cells: readonly ProbeCell[]): ProbeCell[] {
  if (config.report.qualitativeImages === 0) return [];
  return cells.filter((c) => c.probe === "linear" && c.seed === config.seeds[0] && c.explainers.length > 0);
}

/**
 * The cells of the Figure 4 demonstration: linear CE probes of the first seed on conventional
 * (non-B-cos) backbones with an explainer.
 *
 * @example
 * ```ts ignore
 * const cells = equivalentCells(config, probeCells(config));
 * ```
 */
export function equivalentCells(config: PipelineConfig, cells: readonly ProbeCell[]): ProbeCell[] {
  if (!config.report.equivalentProbes) return [];
  return cells.filter((c) =>
    c.probe === "linear" && c.loss === "ce" && c.seed === config.seeds[0] && !c.arch.startsWith("bcos_") &&
    c.explainers.length > 0
  );
}

/**
 * The report-only stages of a config.
 *
 * @example
 * ```ts ignore
 * stages.push(...reportStages(config, probeCells(config)));
 * ```
 */
export function reportStages(config: PipelineConfig, cells: readonly ProbeCell[]): Stage[] {
  return [
    ...qualitativeCells(config, cells).map((c) => qualitativeStage(c, config)),
    ...equivalentCells(config, cells).map((c) => equivalentStage(c, config)),
  ];
}
