/**
 * Turns the `equivalent:<probe stage>` artifacts into results.json's Figure 4 entries: one per
 * (backbone, explainer), with the trained and the shifted probe's CE loss, BCE loss, accuracy and GridPG.
 *
 * @module
 */
import type { PipelineResult } from "../pipeline/runner.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import { displayName } from "../report/names.ts";
import type { EquivalentProbesResult } from "../report/results.ts";
import type { EquivalentArtifact } from "./equivalent_stage.ts";
import { equivalentCells } from "./report_stages.ts";
import { probeCells } from "./stages.ts";

/**
 * The equivalent-probe results of a finished pipeline.
 *
 * @example
 * ```ts ignore
 * const eq = await collectEquivalent(config, pipelineResult);
 * ```
 */
export async function collectEquivalent(
  config: PipelineConfig,
  run: PipelineResult,
): Promise<EquivalentProbesResult[]> {
  const out: EquivalentProbesResult[] = [];
  for (const c of equivalentCells(config, probeCells(config))) {
    const dir = run.dirs.get(`equivalent:${c.stage.slice("probe:".length)}`);
    if (!dir) continue;
    let art: EquivalentArtifact;
    try {
      art = JSON.parse(await Deno.readTextFile(`${dir}/equivalent.json`)) as EquivalentArtifact;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw new Error(`${dir}/equivalent.json: ${(e as Error).message}`);
    }
    const labels = ["probe 1 (trained)", "probe 2 (shifted)"];
    for (const item of art.items) {
      const differ = item.maxAbs > 0 ? (100 * item.maxAbsDiff) / item.maxAbs : null;
      out.push({
        dataset: config.data.dataset,
        arch: c.arch,
        pretraining: c.pretraining,
        explainer: item.explainer,
        target: `each cell's class (${item.grid} grids)`,
        shiftNorm: art.shiftNorm,
        probes: art.probes.map((p, i) => ({
          label: labels[i],
          ceLoss: p.ceLoss,
          bceLoss: p.bceLoss,
          accuracy: p.accuracy,
          gridpg: item.gridpg[i],
        })),
        note: `${displayName("arch", c.arch)} ${displayName("pretraining", c.pretraining)} ` +
          `${
            displayName("explainer", item.explainer)
          }: linear CE probe, seed ${c.seed}; the two probes' grid ` +
          `maps differ by up to ${differ === null ? "n/a" : `${differ.toFixed(1)}%`} of the largest |map|.`,
      });
    }
  }
  return out;
}
