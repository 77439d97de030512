/**
 * Accuracy vs GridPG, CE to BCE (the paper's Figure 5 / E1 / E2): one scatter plot per (dataset,
 * backbone, explainer) of linear probes, one colour per pre-training, a hollow marker for CE and a
 * filled one for BCE joined by a line, error bars = confidence intervals over seeds.
 *
 * @module
 */
import { INK, paletteColor } from "../../../core/io/plot/color.ts";
import { linePlot, type LineSeries } from "../../../core/io/plot/line_plot.ts";
import { displayName } from "../names.ts";
import type { RunIndex } from "../run_index.ts";
import type { Stat } from "../stat.ts";
import { gridpgOf, gridSizes, singleLabelDatasets } from "../tables/common.ts";
import { type Figure, figureFile } from "./figure.ts";

const err = (s: Stat | null) => ({ lo: [s?.ciLow ?? NaN], hi: [s?.ciHigh ?? NaN] });

/**
 * Builds the accuracy-vs-GridPG scatter plots (smallest grid).
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { accuracyScatterFigures } from "./accuracy_scatter.ts";
 * const base = { dataset: "d", arch: "a", pretraining: "dino", probe: "linear", explainer: "bcos", seed: 0 };
 * const figs = accuracyScatterFigures(new RunIndex([
 *   { ...base, loss: "ce", metrics: { accuracy: 70, gridpg: { "2x2": 40 } } },
 *   { ...base, loss: "bce", metrics: { accuracy: 71, gridpg: { "2x2": 80 } } },
 * ]));
 * console.log(figs.length); // 1
 * ```
 */
export function accuracyScatterFigures(idx: RunIndex): Figure[] {
  const out: Figure[] = [];
  for (const dataset of singleLabelDatasets(idx)) {
    const size = gridSizes(idx, dataset)[0];
    if (!size) continue;
    const get = gridpgOf(size);
    const has = (r: { explainer: string | null; metrics: { gridpg?: Record<string, number | null> } }) =>
      r.explainer !== null && r.metrics.gridpg?.[size] != null;
    for (const c of idx.combos(["arch", "explainer"], { dataset, probe: "linear" }, has)) {
      const series: LineSeries[] = [];
      idx.values("pretraining", { dataset, arch: c.arch, probe: "linear" }, has).forEach((p, i) => {
        const key = { dataset, arch: c.arch, pretraining: p, probe: "linear" };
        const color = paletteColor(i + 2);
        const acc = {
          ce: idx.stat({ ...key, loss: "ce" }, (m) => m.accuracy),
          bce: idx.stat({ ...key, loss: "bce" }, (m) => m.accuracy),
        };
        const loc = {
          ce: idx.stat({ ...key, loss: "ce", explainer: c.explainer }, get),
          bce: idx.stat({ ...key, loss: "bce", explainer: c.explainer }, get),
        };
        series.push({
          x: [acc.ce?.mean ?? NaN, acc.bce?.mean ?? NaN],
          y: [loc.ce?.mean ?? NaN, loc.bce?.mean ?? NaN],
          color,
          thickness: 2,
        });
        for (const loss of ["ce", "bce"] as const) {
          series.push({
            label: loss === "bce" ? displayName("pretraining", p) : undefined,
            x: [acc[loss]?.mean ?? NaN],
            y: [loc[loss]?.mean ?? NaN],
            color,
            line: false,
            markers: loss === "ce" ? "hollow" : "filled",
            yErr: err(loc[loss]),
            xErr: err(acc[loss]),
          });
        }
      });
      const title = `${displayName("explainer", c.explainer)} on ${displayName("arch", c.arch)} (${
        displayName("dataset", dataset)
      })`;
      out.push({
        file: figureFile("fig5", [dataset, c.arch, c.explainer]),
        caption: `Accuracy vs GridPG ${size}, ${title}: hollow = CE, filled = BCE`,
        canvas: linePlot({
          title,
          series,
          xLabel: "accuracy (%)",
          yLabel: `GridPG ${size} (%)`,
          extraLegend: [{ label: "CE", color: INK, style: "hollow" }, {
            label: "BCE",
            color: INK,
            style: "filled",
          }],
          width: 640,
          height: 420,
        }),
      });
    }
  }
  return out;
}
