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
import { paramSeed } from "../../nn/init.ts";
import type { Module } from "../../nn/module.ts";
import { add } from "../../ops/elementwise.ts";
import { Ema } from "../../optim/ema.ts";
import type { Optimizer } from "../../optim/optimizer.ts";
import type { LrSchedule } from "../../optim/schedule.ts";
import type { Tensor } from "../../tensor.ts";
import { type ArchConfig, type Backbone, buildBackbone } from "../arch.ts";
import { MlpHead } from "../heads.ts";
import type { StepContext, TrainBatch } from "../method.ts";
import { makeOptimizer, makeSchedule, type OptimConfig } from "../optim_config.ts";
import { mocoV3Loss } from "../ssl_losses.ts";
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
  readonly #momentumEncoder: Backbone;
  readonly #proj: MlpHead;
  readonly #pred: MlpHead;
  readonly #projM: MlpHead;
  readonly #ema: Ema;
  readonly #base: number;
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
    const seed = o.arch.seed ?? 0;
    this.exported = buildBackbone(o.arch);
    this.#momentumEncoder = buildBackbone(o.arch);
    const D = this.exported.featureDim;
    const P = o.projDim ?? 64;
    const H = o.hidden ?? 2 * D;
    const bcos = this.exported.bcos;
    const proj = {
      inDim: D,
      hidden: H,
      outDim: P,
      layers: 3,
      bcos,
      lastBn: true,
      seed: paramSeed(seed, "proj"),
    };
    this.#proj = new MlpHead(proj);
    this.#projM = new MlpHead(proj);
    this.#pred = new MlpHead({
      inDim: P,
      hidden: H,
      outDim: P,
      layers: 2,
      bcos,
      seed: paramSeed(seed, "pred"),
    });
    this.modules = {
      base_encoder: this.exported.module,
      projector: this.#proj,
      predictor: this.#pred,
      momentum_encoder: this.#momentumEncoder.module,
      momentum_projector: this.#projM,
    };
    const base = [...this.exported.module.parameters(), ...this.#proj.parameters()];
    const momentum = [...this.#momentumEncoder.module.parameters(), ...this.#projM.parameters()];
    this.#base = o.momentum ?? 0.99;
    this.#ema = new Ema({ params: base, shadow: momentum, decay: this.#base });
    this.#t = o.temperature ?? 0.2;
    const optim = o.optim ?? { kind: "adamw", lr: 1e-3, weightDecay: 0.1 };
    this.optimizer = makeOptimizer([...base, ...this.#pred.parameters()], optim);
    this.schedule = makeSchedule(optim, o.totalSteps);
  }

  /** Records one step. */
  protected run(batch: TrainBatch, ctx: StepContext): Tensor {
    if (batch.views.length < 2) throw new RangeError("MoCo v3 needs two views");
    const x = batch.views.slice(0, 2).map(uploadImages);
    const [q1, q2] = x.map((v) => this.#pred.forward(this.#proj.forward(this.exported.embed(v))));
    const [k1, k2] = noGrad(() => {
      this.#ema.update(cosineMomentum(this.#base, ctx.step, ctx.totalSteps));
      return x.map((v) => this.#projM.forward(this.#momentumEncoder.embed(v)));
    });
    const loss = add(mocoV3Loss(q1, k2, this.#t), mocoV3Loss(q2, k1, this.#t));
    backward(loss);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    return loss;
  }
}
