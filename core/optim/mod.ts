/**
 * Optimisers (SGD, Adam, AdamW) updating parameters in place on the GPU, learning-rate schedules,
 * exponential moving averages of parameters, and global gradient-norm clipping.
 *
 * @example
 * ```ts ignore
 * import { clipGradNorm, SGD, warmupCosine } from "./mod.ts";
 *
 * const opt = new SGD({ params, lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
 * const schedule = warmupCosine({ base: 0.1, warmupSteps: 500, totalSteps: 50_000 });
 * for (let step = 0; step < 50_000; step++) {
 *   tidy(() => backward(loss(step)));
 *   clipGradNorm(params, 5).dispose();
 *   opt.lr = schedule(step);
 *   opt.step();
 *   opt.zeroGrad();
 * }
 * ```
 *
 * @module
 */
export * from "./optimizer.ts";
export * from "./sgd.ts";
export * from "./adam.ts";
export * from "./schedule.ts";
export * from "./ema.ts";
export * from "./clip.ts";
export * from "./state_dict.ts";
