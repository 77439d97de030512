/**
 * GridPG per explainer, CE vs BCE, with confidence intervals: one grouped bar chart per (dataset,
 * backbone, pre-training, grid) of linear probes.
 *
 * @module
 */
import { groupedBarChart } from "../../../core/io/plot/bar_chart.ts";
import { LOSS_COLORS } from "../../../core/io/plot/color.ts";
import { displayName } from "../names.ts";
import type { RunIndex } from "../run_index.ts";
import { gridpgOf, gridSizes, singleLabelDatasets } from "../tables/common.ts";
import { type Figure, figureFile } from "./figure.ts";

/**
 * Builds the GridPG bar charts.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { gridpgBarFigures } from "./gridpg_bars.ts";
 * const base = { dataset: "d", arch: "a", pretraining: "dino", probe: "linear", explainer: "bcos", seed: 0 };
 * const figs = gridpgBarFigures(new RunIndex([{ ...base, loss: "ce", metrics: { gridpg: { "2x2": 40 } } }]));
 * console.log(figs.length, figs[0].file); // 1 "figures/gridpg_d_a_dino_2x2.png"
 * ```
 */
export function gridpgBarFigures(idx: RunIndex): Figure[] {
  const out: Figure[] = [];
  for (const dataset of singleLabelDatasets(idx)) {
    for (const size of gridSizes(idx, dataset)) {
      const has = (r: { explainer: string | null; metrics: { gridpg?: Record<string, number | null> } }) =>
        r.explainer !== null && r.metrics.gridpg?.[size] != null;
      for (const c of idx.combos(["arch", "pretraining"], { dataset, probe: "linear" }, has)) {
        const key = { dataset, ...c, probe: "linear" };
        const explainers = idx.values("explainer", key, has) as string[];
        const series = (["ce", "bce"] as const).map((loss) => {
          const stats = explainers.map((e) => idx.stat({ ...key, loss, explainer: e }, gridpgOf(size)));
          return {
            label: displayName("loss", loss),
            color: LOSS_COLORS[loss],
            values: stats.map((s) => s?.mean ?? NaN),
            lo: stats.map((s) => s?.ciLow ?? NaN),
            hi: stats.map((s) => s?.ciHigh ?? NaN),
          };
        });
        const title = `GridPG ${size}: ${displayName("arch", c.arch)}, ${
          displayName("pretraining", c.pretraining)
        }, ${displayName("dataset", dataset)}`;
        out.push({
          file: figureFile("gridpg", [dataset, c.arch, c.pretraining, size]),
          caption: `${title} (linear probes, mean and ${Math.round(idx.confidence * 100)}% CI over seeds)`,
          canvas: groupedBarChart({
            title,
            groups: explainers.map((e) => displayName("explainer", e)),
            series,
            yLabel: "GridPG (%)",
            yRange: [0, 100],
            valueLabels: true,
          }),
        });
      }
    }
  }
  return out;
}
