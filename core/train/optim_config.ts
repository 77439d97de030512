/**
 * Optimiser and learning-rate schedule from a small JSON-able configuration, so that runs record and
 * resume them exactly. The schedule is linear warm-up (from 0.01 x) then cosine to 0, per step.
 *
 * @module
 */
import { Adam, AdamW } from "../optim/adam.ts";
import type { Optimizer, Params } from "../optim/optimizer.ts";
import { type LrSchedule, warmupCosine } from "../optim/schedule.ts";
import { SGD } from "../optim/sgd.ts";

/** An optimiser configuration. */
export interface OptimConfig {
  /** `sgd` (momentum), `adam` or `adamw`. */
  kind: "sgd" | "adam" | "adamw";
  /** Peak learning rate. */
  lr: number;
  /** Weight decay (L2 for SGD / Adam, decoupled for AdamW). */
  weightDecay: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /** Warm-up as a fraction of the run (default 0.05). */
  warmupFraction?: number;
}

/**
 * Builds the optimiser of a configuration over `params`.
 *
 * @example
 * ```ts ignore
 * const opt = makeOptimizer(model.parameters(), { kind: "adam", lr: 1e-3, weightDecay: 0 });
 * ```
 */
export function makeOptimizer(params: Params, c: OptimConfig): Optimizer {
  switch (c.kind) {
    case "sgd":
      return new SGD({ params, lr: c.lr, momentum: c.momentum ?? 0.9, weightDecay: c.weightDecay });
    case "adam":
      return new Adam({ params, lr: c.lr, weightDecay: c.weightDecay });
    case "adamw":
      return new AdamW({ params, lr: c.lr, weightDecay: c.weightDecay });
    default:
      throw new RangeError(`unknown optimiser '${(c as OptimConfig).kind}'`);
  }
}

/**
 * The per-step schedule: warm-up over `warmupFraction` of `totalSteps` (at least 1 step when the
 * fraction is positive) from 0.01 x lr, then cosine to 0.
 *
 * @example
 * ```ts
 * import { makeSchedule } from "./optim_config.ts";
 * const s = makeSchedule({ kind: "adam", lr: 1e-3, weightDecay: 0, warmupFraction: 0.1 }, 100);
 * console.log(s(10)); // 0.001
 * ```
 */
export function makeSchedule(c: OptimConfig, totalSteps: number): LrSchedule {
  const f = c.warmupFraction ?? 0.05;
  const warmupSteps = f > 0 ? Math.min(totalSteps, Math.max(1, Math.round(f * totalSteps))) : 0;
  return warmupCosine({ base: c.lr, warmupSteps, totalSteps: Math.max(totalSteps, warmupSteps) });
}
