/**
 * BYOL: an online network (backbone + projector + predictor) regresses the projections of a target
 * network (backbone + projector, an exponential moving average of the online one) with the normalised
 * MSE `2 - 2 cos`, symmetrised over the two views. The target momentum follows BYOL's cosine schedule
 * `tau = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2`, from `tau_base` to 1; the target is updated after
 * each optimiser step. Both views go through the online network as one batch.
 *
 * @module
 */
import { backward, noGrad } from "../../autograd.ts";
import type { Module } from "../../nn/module.ts";
import { add } from "../../ops/elementwise.ts";
import { slice } from "../../ops/layout.ts";
import type { Optimizer } from "../../optim/optimizer.ts";
import type { LrSchedule } from "../../optim/schedule.ts";
import type { Tensor } from "../../tensor.ts";
import type { Backbone } from "../arch.ts";
import type { StepContext, TrainBatch } from "../method.ts";
import { byolLoss } from "../ssl_losses.ts";
import { concatViews, MethodBase, uploadImages } from "./base.ts";
import { buildMomentumPair, type MomentumPair, type MomentumPairOptions } from "./momentum_pair.ts";

/** Options of {@link ByolMethod}: the backbone, schedule length, widths, momentum and optimiser (default AdamW lr 1e-3, weight decay 1e-4). */
export type ByolOptions = Pick<
  MomentumPairOptions,
  "arch" | "totalSteps" | "projDim" | "hidden" | "momentum" | "optim"
>;

/**
 * BYOL's target momentum at `step` of `total`.
 *
 * @example
 * ```ts
 * import { cosineMomentum } from "./byol.ts";
 * console.log(cosineMomentum(0.99, 0, 100), cosineMomentum(0.99, 100, 100)); // 0.99 1
 * ```
 */
export function cosineMomentum(base: number, step: number, total: number): number {
  return 1 - (1 - base) * (Math.cos(Math.PI * Math.min(step, total) / Math.max(total, 1)) + 1) / 2;
}

/** Splits a batch of `parts * n` rows into `parts` tensors of `n` rows. */
export function splitRows(x: Tensor, parts: number): Tensor[] {
  const n = x.shape[0] / parts;
  return Array.from({ length: parts }, (_, i) => {
    const start = x.shape.map((_, d) => (d === 0 ? i * n : 0));
    const end = x.shape.map((s, d) => (d === 0 ? (i + 1) * n : s));
    return slice(x, start, end);
  });
}

/** BYOL. */
export class ByolMethod extends MethodBase {
  /** `byol`. */
  readonly name = "byol";
  /** Checkpointed modules by prefix. */
  readonly modules: Readonly<Record<string, Module>>;
  /** The optimiser. */
  readonly optimizer: Optimizer;
  /** The exported backbone. */
  readonly exported: Backbone;
  /** Learning rate by step. */
  protected readonly schedule: LrSchedule;
  readonly #pair: MomentumPair;

  /**
   * Creates the instance.
   *
   * @param o arch, totalSteps, projDim, hidden, momentum, optim
   * @example
   * ```ts ignore
   * const byol = new ByolMethod({ arch: { name: "bcos_resnet_small" }, totalSteps: 500 });
   * ```
   */
  constructor(o: ByolOptions) {
    super();
    const pair = buildMomentumPair({
      ...o,
      projLayers: 2,
      defaultOptim: { kind: "adamw", lr: 1e-3, weightDecay: 1e-4 },
    });
    this.#pair = pair;
    this.exported = pair.online;
    this.modules = {
      online: pair.online.module,
      projector: pair.proj,
      predictor: pair.pred,
      target: pair.momentum.module,
      target_projector: pair.momentumProj,
    };
    this.optimizer = pair.optimizer;
    this.schedule = pair.schedule;
  }

  /** Records one step. */
  protected run(batch: TrainBatch, ctx: StepContext): Tensor {
    const { online, proj, pred, momentum, momentumProj, ema, baseMomentum } = this.#pair;
    const x = uploadImages(concatViews(batch.views.slice(0, 2)));
    const [p1, p2] = splitRows(pred.forward(proj.forward(online.embed(x))), 2);
    const [z1, z2] = noGrad(() => splitRows(momentumProj.forward(momentum.embed(x)), 2));
    const loss = add(byolLoss(p1, z2), byolLoss(p2, z1));
    backward(loss);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    ema.update(cosineMomentum(baseMomentum, ctx.step, ctx.totalSteps));
    return loss;
  }
}
