/**
 * Shared plumbing of the pre-training methods: the modules / optimiser bookkeeping of
 * {@link TrainMethod}, host-batch upload, and the backbone that a finished run exports.
 *
 * @module
 */
import type { Module } from "../../nn/module.ts";
import type { LrSchedule } from "../../optim/schedule.ts";
import type { Optimizer } from "../../optim/optimizer.ts";
import { fromArray, type Tensor } from "../../tensor.ts";
import type { Backbone } from "../arch.ts";
import type { HostImages, StepContext, TrainBatch, TrainMethod } from "../method.ts";

/** A pre-training method: a {@link TrainMethod} that names the backbone a finished run exports. */
export interface PretrainMethod extends TrainMethod {
  /** The backbone to export (supervised: the network; MoCo: the query encoder; BYOL: the online
   * network; DINO: the teacher). */
  readonly exported: Backbone;
}

/**
 * Uploads one host view as a `[B, C, H, W]` tensor.
 *
 * @example
 * ```ts ignore
 * const x = uploadImages(batch.views[0]);
 * ```
 */
export function uploadImages(v: HostImages): Tensor {
  return fromArray(v.shape, v.data);
}

/**
 * Concatenates host views of equal shape along the batch axis (one forward pass for several crops).
 *
 * @example
 * ```ts ignore
 * const both = concatViews([batch.views[0], batch.views[1]]); // [2B, C, H, W]
 * ```
 */
export function concatViews(views: readonly HostImages[]): HostImages {
  const [, c, h, w] = views[0].shape;
  for (const v of views) {
    if (v.shape[1] !== c || v.shape[2] !== h || v.shape[3] !== w) {
      throw new RangeError(`concatViews: view [${v.shape}] differs from [${views[0].shape}]`);
    }
  }
  const n = views.reduce((s, v) => s + v.shape[0], 0);
  const data = new Float32Array(n * c * h * w);
  let off = 0;
  for (const v of views) {
    data.set(v.data, off);
    off += v.data.length;
  }
  return { data, shape: [n, c, h, w] };
}

/** Base class: modules by prefix, one optimiser with a schedule, train/eval, dispose. */
export abstract class MethodBase implements PretrainMethod {
  abstract readonly name: string;
  abstract readonly modules: Readonly<Record<string, Module>>;
  abstract readonly optimizer: Optimizer;
  abstract readonly exported: Backbone;
  /** The learning-rate schedule by global step. */
  protected abstract readonly schedule: LrSchedule;

  /** Records the step's forward, backward and updates; returns the scalar loss. */
  protected abstract run(batch: TrainBatch, ctx: StepContext): Tensor;

  /** Sets the learning rate of `ctx.step`, then runs the step. */
  step(batch: TrainBatch, ctx: StepContext): Tensor {
    this.optimizer.lr = this.schedule(ctx.step);
    return this.run(batch, ctx);
  }

  /** Training or evaluation mode for every module. */
  setTraining(on: boolean): void {
    for (const m of Object.values(this.modules)) m.train(on);
  }

  /** Frees modules and optimiser state. */
  dispose(): void {
    this.optimizer.dispose();
    for (const m of Object.values(this.modules)) m.dispose();
  }
}
