/**
 * The loss curve of a training run as a PNG: every step's loss (light) and its running mean over a
 * window (dark), with the epoch boundaries marked on the x axis by the per-epoch means.
 *
 * @module
 */
import { writePng } from "../io/png.ts";
import { linePlot } from "../io/plot/line_plot.ts";
import { MUTED, PALETTE } from "../io/plot/color.ts";
import type { History } from "./loop.ts";

/**
 * Running mean of `values` over the last `window` entries (fewer at the start).
 *
 * @example
 * ```ts
 * import { runningMean } from "./loss_curve.ts";
 * console.log(runningMean([1, 3, 5, 7], 2)); // [1, 2, 4, 6]
 * ```
 */
export function runningMean(values: readonly number[], window: number): number[] {
  const w = Math.max(1, Math.floor(window));
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= w) sum -= values[i - w];
    out.push(sum / Math.min(i + 1, w));
  }
  return out;
}

/**
 * Writes the loss curve of `history` to `path` (PNG, atomically). The window of the running mean is
 * a fiftieth of the run (at least 1 step).
 *
 * @example
 * ```ts ignore
 * await writeLossCurve("runs/moco/loss.png", result.history, "MoCo v2 resnet_small");
 * ```
 */
export async function writeLossCurve(path: string, history: History, title: string): Promise<void> {
  const y = history.losses;
  if (y.length === 0) return;
  const x = y.map((_, i) => i + 1);
  const window = Math.max(1, Math.round(y.length / 50));
  const canvas = linePlot({
    title,
    xLabel: "step",
    yLabel: "loss",
    series: [
      { x, y, color: MUTED, thickness: 1 },
      { label: `mean of ${window} steps`, x, y: runningMean(y, window), color: PALETTE[0] },
    ],
  });
  await writePng(path, canvas.toImage());
}
