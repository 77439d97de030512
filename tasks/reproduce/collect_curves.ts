/**
 * Gathers results.json's loss curves from the training runs' `history.json` (the loss of every step):
 * group `pretrain` (one curve per trained backbone; an imported backbone has a curve only when its
 * checkpoint directory holds the `history.json` of the run that made it), group `probe` (every probe
 * cell) and `probe (<dataset>)` (multi-label probes). The x axis is the step, from 1. A curve longer than
 * {@link MAX_CURVE_POINTS} steps is stored as that many bucket means (x: each bucket's last step), so
 * results.json stays small on long runs; every run's `history.json` keeps the loss of every step.
 *
 * @module
 */
import type { PipelineResult } from "../pipeline/runner.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import { displayName } from "../report/names.ts";
import type { LossCurve } from "../report/results.ts";
import { fileMultiLabel } from "./multilabel_stages.ts";
import { probeCells } from "./stages.ts";

/** Per-step losses of a `history.json`, or null when there is none. */
async function stepLosses(path: string): Promise<(number | null)[] | null> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
    throw e;
  }
  const h = JSON.parse(text) as { losses?: unknown };
  if (!Array.isArray(h.losses)) throw new Error(`${path}: 'losses' is not a list`);
  return h.losses.map((v) => (typeof v === "number" && Number.isFinite(v) ? v : null));
}

/** A short legend label: backbone, pre-training and, for probes, head, loss and seed. */
function label(
  arch: string,
  pretraining: string,
  probe?: { probe: string; loss: string; seed: number },
): string {
  const parts = [displayName("arch", arch), displayName("pretraining", pretraining)];
  if (probe) parts.push(displayName("probe", probe.probe), displayName("loss", probe.loss), `s${probe.seed}`);
  return parts.join(" ");
}

/** The most points a loss curve keeps in results.json. */
export const MAX_CURVE_POINTS = 1000;

/**
 * Per-step losses (step 1, 2, ...) as at most `maxPoints` points: consecutive equal-size buckets of steps,
 * each the mean of its finite losses (null when it has none), at the bucket's last step.
 *
 * @example
 * ```ts
 * import { downsampleCurve } from "./collect_curves.ts";
 * console.log(downsampleCurve([1, 2, 3, 4, null, 6], 3)); // { x: [2, 4, 6], loss: [1.5, 3.5, 6] }
 * ```
 */
export function downsampleCurve(
  loss: readonly (number | null)[],
  maxPoints: number,
): { x: number[]; loss: (number | null)[] } {
  if (loss.length <= maxPoints) return { x: loss.map((_, i) => i + 1), loss: [...loss] };
  const x: number[] = [], out: (number | null)[] = [];
  for (let b = 0; b < maxPoints; b++) {
    const start = Math.floor((b * loss.length) / maxPoints);
    const end = Math.floor(((b + 1) * loss.length) / maxPoints);
    let sum = 0, count = 0;
    for (let i = start; i < end; i++) {
      const v = loss[i];
      if (v === null) continue;
      sum += v;
      count++;
    }
    x.push(end);
    out.push(count ? sum / count : null);
  }
  return { x, loss: out };
}

function curve(group: string, label: string, steps: (number | null)[]): LossCurve {
  const { x, loss } = downsampleCurve(steps, MAX_CURVE_POINTS);
  return { group, label, x, loss, xLabel: "step" };
}

/**
 * The loss curves of a finished pipeline.
 *
 * @example
 * ```ts ignore
 * const curves = await collectLossCurves(config, pipelineResult);
 * ```
 */
export async function collectLossCurves(config: PipelineConfig, run: PipelineResult): Promise<LossCurve[]> {
  const curves: LossCurve[] = [];
  const add = async (group: string, label: string, paths: (string | null)[]) => {
    for (const p of paths) {
      const loss = p ? await stepLosses(p) : null;
      if (loss && loss.length > 0) {
        curves.push(curve(group, label, loss));
        return;
      }
    }
  };
  for (const b of config.backbones) {
    const dir = run.dirs.get(`pretrain:${b.arch}.${b.pretraining}`);
    await add("pretrain", label(b.arch, b.pretraining), [
      dir ? `${dir}/run/history.json` : null,
      b.checkpoint ? `${b.checkpoint}/history.json` : null,
    ]);
  }
  const cells = probeCells(config);
  for (const c of cells) {
    const dir = run.dirs.get(c.stage);
    await add("probe", label(c.arch, c.pretraining, c), [dir ? `${dir}/run/history.json` : null]);
  }
  for (const m of fileMultiLabel(config)) {
    for (const c of cells.filter((x) => x.loss === "bce")) {
      const rest = c.stage.slice("probe:".length);
      const dir = run.dirs.get(`probe:${m.dataset}.${rest}`);
      await add(`probe (${m.dataset})`, label(c.arch, c.pretraining, c), [
        dir ? `${dir}/run/history.json` : null,
      ]);
    }
  }
  return curves;
}
