/**
 * EPG by box size, CE vs BCE (the paper's Figure 2a): one grouped bar chart per (dataset, backbone,
 * explainer) of linear probes on the preferred pre-training (DINO when present), groups = all pairs and
 * each size bin.
 *
 * @module
 */
import { groupedBarChart } from "../../../core/io/plot/bar_chart.ts";
import { LOSS_COLORS } from "../../../core/io/plot/color.ts";
import { displayName } from "../names.ts";
import type { RunMetrics } from "../results.ts";
import type { RunIndex } from "../run_index.ts";
import { binHeader } from "../tables/epg.ts";
import { type Figure, figureFile, preferredPretraining } from "./figure.ts";

/**
 * Builds the EPG-by-size bar charts.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { epgBarFigures } from "./epg_bars.ts";
 * const base = { dataset: "voc", arch: "a", pretraining: "dino", probe: "linear", explainer: "lrp", seed: 0 };
 * const figs = epgBarFigures(new RunIndex([{ ...base, loss: "ce", metrics: { epg: { overall: 30, bins: [{ lo: 0, hi: 1, percent: 30, count: 4 }] } } }]));
 * console.log(figs.length); // 1
 * ```
 */
export function epgBarFigures(idx: RunIndex): Figure[] {
  const out: Figure[] = [];
  const has = (r: { explainer: string | null; metrics: RunMetrics }) =>
    r.explainer !== null && r.metrics.epg != null;
  for (const dataset of idx.values("dataset", {}, has)) {
    for (const arch of idx.values("arch", { dataset, probe: "linear" }, has)) {
      const pretraining = preferredPretraining(idx, { dataset, arch, probe: "linear" });
      if (!pretraining) continue;
      const key = { dataset, arch, pretraining, probe: "linear" };
      for (const explainer of idx.values("explainer", key, has) as string[]) {
        const bins = new Map<string, { lo: number; hi: number }>();
        for (const r of idx.find({ ...key, explainer })) {
          for (const b of r.metrics.epg?.bins ?? []) bins.set(`${b.lo}-${b.hi}`, b);
        }
        const binList = [...bins.values()].sort((a, b) => a.lo - b.lo);
        const getters = [
          (m: RunMetrics) => m.epg?.overall,
          ...binList.map((b) => (m: RunMetrics) =>
            m.epg?.bins.find((x) => x.lo === b.lo && x.hi === b.hi)?.percent
          ),
        ];
        const series = (["ce", "bce"] as const).map((loss) => {
          const stats = getters.map((g) => idx.stat({ ...key, loss, explainer }, g));
          return {
            label: displayName("loss", loss),
            color: LOSS_COLORS[loss],
            values: stats.map((s) => s?.mean ?? NaN),
            lo: stats.map((s) => s?.ciLow ?? NaN),
            hi: stats.map((s) => s?.ciHigh ?? NaN),
          };
        });
        const title = `EPG: ${displayName("explainer", explainer)}, ${displayName("arch", arch)} ${
          displayName("pretraining", pretraining)
        } (${displayName("dataset", dataset)})`;
        out.push({
          file: figureFile("fig2a", [dataset, arch, pretraining, explainer]),
          caption: `${title}, by box area`,
          canvas: groupedBarChart({
            title,
            groups: ["all", ...binList.map((b) => binHeader(b.lo, b.hi))],
            series,
            xLabel: "box area (fraction of the image)",
            yLabel: "EPG (%)",
            yRange: [0, 100],
            valueLabels: true,
          }),
        });
      }
    }
  }
  return out;
}
