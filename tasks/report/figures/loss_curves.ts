/**
 * Training loss curves: one line plot per curve group (e.g. `pretrain`, `probe`), at most 10 series
 * each (the rest are listed in the caption as left out).
 *
 * @module
 */
import { linePlot } from "../../../core/io/plot/line_plot.ts";
import type { LossCurve } from "../results.ts";
import { type Figure, figureFile } from "./figure.ts";

/** Series per plot before the rest are left out. */
export const MAX_CURVES_PER_PLOT = 10;

/**
 * Builds the loss-curve plots.
 *
 * @example
 * ```ts
 * import { lossCurveFigures } from "./loss_curves.ts";
 * const figs = lossCurveFigures([{ group: "probe", label: "linear ce", x: [1, 2, 3], loss: [2.3, 1.2, 0.9] }]);
 * console.log(figs[0].file); // "figures/loss_probe.png"
 * ```
 */
export function lossCurveFigures(curves: readonly LossCurve[]): Figure[] {
  const groups = new Map<string, LossCurve[]>();
  for (const c of curves) {
    if (!groups.has(c.group)) groups.set(c.group, []);
    groups.get(c.group)!.push(c);
  }
  return [...groups.entries()].map(([group, list]) => {
    const shown = list.slice(0, MAX_CURVES_PER_PLOT);
    const left = list.length - shown.length;
    return {
      file: figureFile("loss", [group]),
      caption: `Training loss: ${group}${
        left > 0 ? ` (${left} more curves in results.json, not drawn)` : ""
      }`,
      canvas: linePlot({
        title: `Training loss: ${group}`,
        series: shown.map((c) => ({ label: c.label, x: c.x, y: c.loss.map((v) => v ?? NaN) })),
        xLabel: shown[0].xLabel ?? "epoch",
        yLabel: "loss",
        width: 760,
        height: 420,
      }),
    };
  });
}
