/**
 * Learning-rate schedules as pure functions of the step (or epoch) index: `(step) => lr`. They carry no
 * state, so resuming from a checkpoint only needs the step counter. Schedules compose with
 * {@link sequential} and {@link perEpoch}; the same functions schedule other scalars such as the EMA
 * momentum of BYOL teachers (a cosine from 0.996 up to 1).
 *
 * @module
 */

/** A learning rate (or any scalar) as a function of the step index, counted from 0. */
export type LrSchedule = (step: number) => number;

function checkStep(step: number): void {
  if (!Number.isFinite(step) || step < 0) throw new RangeError(`schedule: step must be >= 0, got ${step}`);
}

function checkCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`schedule: ${name} must be an integer >= 0, got ${n}`);
  }
}

/**
 * The constant schedule.
 *
 * @example
 * ```ts
 * import { constantLr } from "./schedule.ts";
 * console.log(constantLr(0.1)(1000)); // 0.1
 * ```
 */
export function constantLr(base: number): LrSchedule {
  return (step) => (checkStep(step), base);
}

/** Options of {@link linearWarmup}. */
export interface LinearWarmupOptions {
  /** The learning rate reached at the end of the warm-up. */
  base: number;
  /** Steps of the warm-up. */
  warmupSteps: number;
  /** Factor of `base` at step 0 (default 0.01). */
  startFactor?: number;
  /** Factor of `base` at `warmupSteps` and after (default 1). */
  endFactor?: number;
}

/**
 * Linear warm-up like PyTorch's `LinearLR`: `base * (s + (e - s) * min(step, W) / W)` with start factor
 * `s` and end factor `e`; constant after `W` steps.
 *
 * @example
 * ```ts
 * import { linearWarmup } from "./schedule.ts";
 * const lr = linearWarmup({ base: 1, warmupSteps: 10, startFactor: 0 });
 * console.log(lr(0), lr(5), lr(20)); // 0 0.5 1
 * ```
 */
export function linearWarmup(opts: LinearWarmupOptions): LrSchedule {
  const { base, warmupSteps: w, startFactor = 0.01, endFactor = 1 } = opts;
  checkCount("warmupSteps", w);
  return (step) => {
    checkStep(step);
    const f = w === 0 ? endFactor : startFactor + (endFactor - startFactor) * Math.min(step, w) / w;
    return base * f;
  };
}

/** Options of {@link cosineAnnealing}. */
export interface CosineOptions {
  /** Value at step 0. */
  base: number;
  /** Steps of the cosine; the value stays at `minLr` after. */
  totalSteps: number;
  /** Value reached at `totalSteps` (default 0; may exceed `base` for an increasing cosine). */
  minLr?: number;
}

/**
 * Cosine annealing (PyTorch's `CosineAnnealingLR` in closed form, without restarts):
 * `minLr + (base - minLr) * (1 + cos(pi * min(step, T) / T)) / 2`.
 *
 * @example
 * ```ts
 * import { cosineAnnealing } from "./schedule.ts";
 * const lr = cosineAnnealing({ base: 1, totalSteps: 100 });
 * console.log(lr(0), lr(50), lr(100)); // 1 0.5 0
 * // BYOL's teacher momentum: from 0.996 up to 1
 * const tau = cosineAnnealing({ base: 0.996, minLr: 1, totalSteps: 1000 });
 * console.log(tau(1000)); // 1
 * ```
 */
export function cosineAnnealing(opts: CosineOptions): LrSchedule {
  const { base, totalSteps: t, minLr = 0 } = opts;
  checkCount("totalSteps", t);
  return (step) => {
    checkStep(step);
    if (t === 0 || step >= t) return minLr;
    return minLr + (base - minLr) * (1 + Math.cos(Math.PI * step / t)) / 2;
  };
}

/**
 * Runs `schedules[i]` from `milestones[i - 1]` on, with its step counted from that milestone (PyTorch's
 * `SequentialLR`). Needs one milestone fewer than schedules, increasing.
 *
 * @example
 * ```ts
 * import { constantLr, linearWarmup, sequential } from "./schedule.ts";
 * const lr = sequential([linearWarmup({ base: 1, warmupSteps: 4, startFactor: 0 }), constantLr(0.5)], [4]);
 * console.log(lr(2), lr(4)); // 0.5 0.5
 * ```
 */
export function sequential(schedules: readonly LrSchedule[], milestones: readonly number[]): LrSchedule {
  if (schedules.length === 0 || milestones.length !== schedules.length - 1) {
    throw new RangeError(`sequential: ${schedules.length} schedules need ${schedules.length - 1} milestones`);
  }
  milestones.forEach((m, i) => {
    if (!(m >= 0) || (i > 0 && m <= milestones[i - 1])) {
      throw new RangeError(`sequential: milestones must be increasing and >= 0, got [${milestones}]`);
    }
  });
  const list = [...schedules];
  const bounds = [...milestones];
  return (step) => {
    checkStep(step);
    let i = 0;
    while (i < bounds.length && step >= bounds[i]) i++;
    return list[i](step - (i === 0 ? 0 : bounds[i - 1]));
  };
}

/** Options of {@link warmupCosine}. */
export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of the warm-up. */
  base: number;
  /** Steps of linear warm-up. */
  warmupSteps: number;
  /** Total steps, warm-up included; the cosine ends here. */
  totalSteps: number;
  /** Factor of `base` at step 0 (default 0.01). */
  startFactor?: number;
  /** Final learning rate (default 0). */
  minLr?: number;
}

/**
 * Linear warm-up from `startFactor * base` to `base` over `warmupSteps`, then a cosine from `base` to
 * `minLr` over the remaining `totalSteps - warmupSteps` (`LinearLR` followed by `CosineAnnealingLR` in
 * a `SequentialLR`). Works per step or per epoch alike.
 *
 * @example
 * ```ts
 * import { warmupCosine } from "./schedule.ts";
 * const lr = warmupCosine({ base: 0.1, warmupSteps: 5, totalSteps: 105, startFactor: 0.01 });
 * console.log(lr(0), lr(5), lr(55), lr(105)); // 0.001 0.1 0.05 0
 * ```
 */
export function warmupCosine(opts: WarmupCosineOptions): LrSchedule {
  const { base, warmupSteps, totalSteps, startFactor = 0.01, minLr = 0 } = opts;
  checkCount("warmupSteps", warmupSteps);
  checkCount("totalSteps", totalSteps);
  if (totalSteps < warmupSteps) {
    throw new RangeError(`warmupCosine: totalSteps ${totalSteps} < warmupSteps ${warmupSteps}`);
  }
  const cosine = cosineAnnealing({ base, totalSteps: totalSteps - warmupSteps, minLr });
  if (warmupSteps === 0) return cosine;
  return sequential([linearWarmup({ base, warmupSteps, startFactor }), cosine], [warmupSteps]);
}

/** Options of {@link stepDecay}. */
export interface StepDecayOptions {
  /** Learning rate before the first milestone. */
  base: number;
  /** Steps (or epochs) at which the rate is multiplied by `gamma`, increasing. */
  milestones: readonly number[];
  /** Multiplier at each milestone (default 0.1). */
  gamma?: number;
}

/**
 * Step decay like PyTorch's `MultiStepLR`: `base * gamma^k` with `k` the number of milestones `<= step`.
 *
 * @example
 * ```ts
 * import { stepDecay } from "./schedule.ts";
 * const lr = stepDecay({ base: 0.1, milestones: [60, 80], gamma: 0.1 });
 * console.log(lr(59), lr(60), lr(80)); // 0.1 0.010000000000000002 0.0010000000000000002
 * ```
 */
export function stepDecay(opts: StepDecayOptions): LrSchedule {
  const { base, gamma = 0.1 } = opts;
  const milestones = [...opts.milestones];
  milestones.forEach((m, i) => {
    if (!(m >= 0) || (i > 0 && m < milestones[i - 1])) {
      throw new RangeError(`stepDecay: milestones must be non-decreasing and >= 0, got [${milestones}]`);
    }
  });
  return (step) => {
    checkStep(step);
    let k = 0;
    while (k < milestones.length && milestones[k] <= step) k++;
    return base * gamma ** k;
  };
}

/**
 * Turns a per-epoch schedule into a per-step one: step `s` uses epoch `floor(s / stepsPerEpoch)`, or the
 * fractional epoch `s / stepsPerEpoch` with `fractional` (a smooth per-iteration cosine).
 *
 * @example
 * ```ts
 * import { perEpoch, stepDecay } from "./schedule.ts";
 * const lr = perEpoch(stepDecay({ base: 1, milestones: [2], gamma: 0.5 }), 100);
 * console.log(lr(199), lr(200)); // 1 0.5
 * ```
 */
export function perEpoch(schedule: LrSchedule, stepsPerEpoch: number, fractional = false): LrSchedule {
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch <= 0) {
    throw new RangeError(`perEpoch: stepsPerEpoch must be a positive integer, got ${stepsPerEpoch}`);
  }
  return (step) => {
    checkStep(step);
    return schedule(fractional ? step / stepsPerEpoch : Math.floor(step / stepsPerEpoch));
  };
}
