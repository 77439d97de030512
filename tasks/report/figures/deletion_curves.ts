/**
 * Pixel-deletion curves, CE vs BCE (the paper's Figure 2b): one line plot per (dataset, backbone,
 * explainer) of linear probes on the preferred pre-training, the mean curve over seeds with a shaded
 * confidence band.
 *
 * @module
 */
import { LOSS_COLORS } from "../../../core/io/plot/color.ts";
import { linePlot, type LineSeries } from "../../../core/io/plot/line_plot.ts";
import { displayName } from "../names.ts";
import type { RunMetrics } from "../results.ts";
import type { RunIndex } from "../run_index.ts";
import { statOf } from "../stat.ts";
import { type Figure, figureFile, preferredPretraining } from "./figure.ts";

/**
 * Builds the deletion-curve plots.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { deletionFigures } from "./deletion_curves.ts";
 * const base = { dataset: "d", arch: "a", pretraining: "dino", probe: "linear", explainer: "bcos", seed: 0 };
 * const del = { order: "lerf" as const, fractions: [0, 0.5, 1], curve: [0.9, 0.5, 0.1], auc: 0.5 };
 * console.log(deletionFigures(new RunIndex([{ ...base, loss: "ce", metrics: { deletion: del } }])).length); // 1
 * ```
 */
export function deletionFigures(idx: RunIndex): Figure[] {
  const out: Figure[] = [];
  const has = (r: { explainer: string | null; metrics: RunMetrics }) =>
    r.explainer !== null && r.metrics.deletion != null;
  for (const dataset of idx.values("dataset", {}, has)) {
    for (const arch of idx.values("arch", { dataset, probe: "linear" }, has)) {
      const pretraining = preferredPretraining(idx, { dataset, arch, probe: "linear" });
      if (!pretraining) continue;
      const key = { dataset, arch, pretraining, probe: "linear" };
      for (const explainer of idx.values("explainer", key, has) as string[]) {
        const series: LineSeries[] = [];
        let order = "lerf";
        for (const loss of ["ce", "bce"] as const) {
          const runs = idx.find({ ...key, loss, explainer }, has);
          if (runs.length === 0) continue;
          const fr = runs[0].metrics.deletion!.fractions;
          order = runs[0].metrics.deletion!.order;
          const same = runs.filter((r) =>
            JSON.stringify(r.metrics.deletion!.fractions) === JSON.stringify(fr)
          );
          const stats = fr.map((_, k) =>
            statOf(new Map(same.map((r) => [r.seed, r.metrics.deletion!.curve[k]])), idx.confidence)
          );
          const auc = idx.stat({ ...key, loss, explainer }, (m) => m.deletion?.auc);
          series.push({
            label: `${displayName("loss", loss)}${auc ? ` (AUC ${auc.mean.toFixed(3)})` : ""}`,
            x: fr,
            y: stats.map((s) => s?.mean ?? NaN),
            band: { lo: stats.map((s) => s?.ciLow ?? NaN), hi: stats.map((s) => s?.ciHigh ?? NaN) },
            color: LOSS_COLORS[loss],
          });
        }
        const title = `Deletion: ${displayName("explainer", explainer)}, ${displayName("arch", arch)} ${
          displayName("pretraining", pretraining)
        }`;
        out.push({
          file: figureFile("fig2b", [dataset, arch, pretraining, explainer]),
          caption: `${title} (${
            displayName("dataset", dataset)
          }), ${order}: target-class probability vs fraction deleted`,
          canvas: linePlot({
            title,
            series,
            xLabel: `fraction of pixels deleted (${order})`,
            yLabel: "target probability",
            xRange: [0, 1],
            yRange: [0, 1],
            width: 720,
            height: 420,
          }),
        });
      }
    }
  }
  return out;
}
