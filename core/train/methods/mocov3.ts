/**
 * MoCo v3 (Chen, Xie, He 2021): a base encoder (backbone + 3-layer MLP projector with BN, its output
 * BN without parameters) followed by a 2-layer MLP predictor, trained with the symmetric in-batch
 * contrastive loss `ctr(q1, k2) + ctr(q2, k1)` ({@link mocoV3Loss}, temperature 0.2) against the keys
 * of a momentum encoder (backbone + projector, an exponential moving average of the base encoder's).
 * No queue: the other keys of the batch are the negatives. As in MoCo v3, the momentum follows BYOL's
 * cosine schedule from 0.99 to 1 and the momentum encoder is updated before it computes the keys; each
 * view goes through the encoders as its own batch (batch-norm statistics per view). For B-cos
 * backbones the heads use B-cos layers without ReLU and uncentred BN. The base encoder's backbone is
 * exported.
 *
 * @module
 */
import { backward, noGrad } from "../../autograd.ts";
import type { Module } from "../../nn/module.ts";
import { add } from "../../ops/elementwise.ts";
import type { Optimizer } from "../../optim/optimizer.ts";
import type { LrSchedule } from "../../optim/schedule.ts";
import type { Tensor } from "../../tensor.ts";
import type { ArchConfig, Backbone } from "../arch.ts";
import type { StepContext, TrainBatch } from "../method.ts";
import type { OptimConfig } from "../optim_config.ts";
import { mocoV3Loss } from "../ssl_losses.ts";
import { buildMomentumPair, type MomentumPair } from "./momentum_pair.ts";
import { MethodBase, uploadImages } from "./base.ts";
import { cosineMomentum } from "./byol.ts";

/** Options of {@link MocoV3Method}. */
export interface MocoV3Options {
  /** The backbone. */
  arch: ArchConfig;
  /** Steps of the run. */
  totalSteps: number;
  /** Projection width (default 64). */
  projDim?: number;
  /** Hidden width of projector and predictor (default 2 x feature width). */
  hidden?: number;
  /** Contrastive temperature (default 0.2). */
  temperature?: number;
  /** Base momentum of the momentum encoder (default 0.99; cosine schedule to 1). */
  momentum?: number;
  /** Optimiser (default AdamW lr 1e-3, weight decay 0.1). */
  optim?: OptimConfig;
}

/** MoCo v3. */
export class MocoV3Method extends MethodBase {
  /** `mocov3`. */
  readonly name = "mocov3";
  /** Checkpointed modules by prefix. */
  readonly modules: Readonly<Record<string, Module>>;
  /** The optimiser. */
  readonly optimizer: Optimizer;
  /** The exported backbone (the base encoder's). */
  readonly exported: Backbone;
  /** Learning rate by step. */
  protected readonly schedule: LrSchedule;
  readonly #pair: MomentumPair;
  readonly #t: number;

  /**
   * Creates the instance.
   *
   * @param o arch, totalSteps, projDim, hidden, temperature, momentum, optim
   * @example
   * ```ts ignore
   * const moco = new MocoV3Method({ arch: { name: "vit_tiny" }, totalSteps: 500 });
   * ```
   */
  constructor(o: MocoV3Options) {
    super();
    const pair = buildMomentumPair({
      ...o,
      projLayers: 3,
      projLastBn: true,
      defaultOptim: { kind: "adamw", lr: 1e-3, weightDecay: 0.1 },
    });
    this.#pair = pair;
    this.exported = pair.online;
    this.modules = {
      base_encoder: pair.online.module,
      projector: pair.proj,
      predictor: pair.pred,
      momentum_encoder: pair.momentum.module,
      momentum_projector: pair.momentumProj,
    };
    this.#t = o.temperature ?? 0.2;
    this.optimizer = pair.optimizer;
    this.schedule = pair.schedule;
  }

  /** Records one step. */
  protected run(batch: TrainBatch, ctx: StepContext): Tensor {
    if (batch.views.length < 2) throw new RangeError("MoCo v3 needs two views");
    const { online, proj, pred, momentum, momentumProj, ema, baseMomentum } = this.#pair;
    const x = batch.views.slice(0, 2).map(uploadImages);
    const [q1, q2] = x.map((v) => pred.forward(proj.forward(online.embed(v))));
    const [k1, k2] = noGrad(() => {
      ema.update(cosineMomentum(baseMomentum, ctx.step, ctx.totalSteps));
      return x.map((v) => momentumProj.forward(momentum.embed(v)));
    });
    const loss = add(mocoV3Loss(q1, k2, this.#t), mocoV3Loss(q2, k1, this.#t));
    backward(loss);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    return loss;
  }
}
