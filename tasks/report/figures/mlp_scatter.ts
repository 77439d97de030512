/**
 * Task score vs localisation as probes get deeper (the paper's Figure 8 / E7 / E8): one scatter plot
 * per (dataset, backbone) for the preferred explainer (B-cos on B-cos backbones, IntGrad otherwise) and
 * the BCE probes when present; per pre-training a path linear -> B-cos MLP-2 -> B-cos MLP-3 (solid) and
 * linear -> MLP-2 -> MLP-3 (dashed); hollow marker = linear.
 *
 * @module
 */
import { INK, paletteColor } from "../../../core/io/plot/color.ts";
import { linePlot, type LineSeries } from "../../../core/io/plot/line_plot.ts";
import { displayName } from "../names.ts";
import type { RunIndex } from "../run_index.ts";
import { taskScore } from "../tables/common.ts";
import { locMetric } from "../tables/mlp.ts";
import { type Figure, figureFile, preferredExplainer } from "./figure.ts";

/**
 * Builds the MLP-probe scatter plots.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { mlpFigures } from "./mlp_scatter.ts";
 * const base = { dataset: "d", arch: "bcos_x", pretraining: "dino", loss: "bce" as const, explainer: "bcos", seed: 0 };
 * const figs = mlpFigures(new RunIndex([
 *   { ...base, probe: "linear", metrics: { accuracy: 70, gridpg: { "2x2": 70 } } },
 *   { ...base, probe: "bcos_mlp2", metrics: { accuracy: 72, gridpg: { "2x2": 80 } } },
 * ]));
 * console.log(figs.length); // 1
 * ```
 */
export function mlpFigures(idx: RunIndex): Figure[] {
  const out: Figure[] = [];
  const withExpl = (r: { explainer: string | null }) => r.explainer !== null;
  for (const dataset of idx.values("dataset", {}, withExpl)) {
    const loc = locMetric(idx, dataset);
    for (const arch of idx.values("arch", { dataset }, withExpl)) {
      const explainer = preferredExplainer(idx, { dataset, arch }, ["intgrad", "lrp"]);
      if (!explainer) continue;
      const losses = idx.values("loss", { dataset, arch, explainer });
      const loss = losses.includes("bce") ? "bce" : losses[0];
      if (!idx.find({ dataset, arch, explainer, loss }).some((r) => r.probe !== "linear")) continue;
      const series: LineSeries[] = [];
      idx.values("pretraining", { dataset, arch, explainer, loss }).forEach((p, i) => {
        const color = paletteColor(i + 2);
        const key = { dataset, arch, pretraining: p, loss };
        const point = (probe: string) => ({
          x: idx.stat({ ...key, probe }, taskScore)?.mean ?? NaN,
          y: idx.stat({ ...key, probe, explainer }, loc.get)?.mean ?? NaN,
        });
        const lin = point("linear");
        for (const [family, dashed] of [["bcos_mlp", false], ["mlp", true]] as const) {
          const pts = [2, 3].map((d) => point(`${family}${d}`)).filter((q) =>
            Number.isFinite(q.x) && Number.isFinite(q.y)
          );
          if (pts.length === 0) continue;
          const path = [lin, ...pts];
          series.push({ x: path.map((q) => q.x), y: path.map((q) => q.y), color, dashed, thickness: 2 });
          series.push({
            x: pts.map((q) => q.x),
            y: pts.map((q) => q.y),
            color,
            line: false,
            markers: "filled",
          });
        }
        series.push({
          label: displayName("pretraining", p),
          x: [lin.x],
          y: [lin.y],
          color,
          line: false,
          markers: "hollow",
        });
      });
      const title = `${displayName("explainer", explainer)} on ${displayName("arch", arch)}, ${
        displayName("loss", loss)
      } probes`;
      out.push({
        file: figureFile("fig8", [dataset, arch, explainer, loss]),
        caption: `${title} (${
          displayName("dataset", dataset)
        }): linear (hollow) to 2- and 3-layer MLPs (filled); solid = B-cos MLP, dashed = MLP`,
        canvas: linePlot({
          title,
          series,
          xLabel: loc.name === "EPG" ? "F1 (%)" : "accuracy (%)",
          yLabel: `${loc.name} (%)`,
          extraLegend: [
            { label: "B-cos MLP", color: INK, style: "line" },
            { label: "MLP", color: INK, style: "dashed" },
          ],
          width: 640,
          height: 420,
        }),
      });
    }
  }
  return out;
}
