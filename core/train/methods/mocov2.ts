/**
 * MoCo v2: a query encoder (backbone + 2-layer MLP projection head) trained with InfoNCE against
 * a momentum key encoder (an exponential moving average of the query encoder's parameters, updated
 * before the keys are computed, as in MoCo) and a queue of negative keys kept on the GPU (the newest
 * batch of keys replaces the oldest, `K` a multiple of the batch size). Temperature 0.2.
 * Not implemented: shuffle-BN (single device; the key encoder uses its own batch statistics).
 *
 * @module
 */
import { backward, noGrad } from "../../autograd.ts";
import type { Module } from "../../nn/module.ts";
import { paramSeed } from "../../nn/init.ts";
import { randNormal } from "../../ops/random.ts";
import { Ema } from "../../optim/ema.ts";
import type { Optimizer } from "../../optim/optimizer.ts";
import type { LrSchedule } from "../../optim/schedule.ts";
import { keep, type Tensor, tidy } from "../../tensor.ts";
import { type ArchConfig, type Backbone, buildBackbone } from "../arch.ts";
import { MlpHead } from "../heads.ts";
import type { StepContext, TrainBatch } from "../method.ts";
import { makeOptimizer, makeSchedule, type OptimConfig } from "../optim_config.ts";
import { infoNceLoss, l2Normalize } from "../ssl_losses.ts";
import { writeAt } from "../write_at.ts";
import { MethodBase, uploadImages } from "./base.ts";

/** Options of {@link MocoV2Method}. */
export interface MocoOptions {
  /** The backbone. */
  arch: ArchConfig;
  /** Steps of the run. */
  totalSteps: number;
  /** Queue length K (default 1024; must be a multiple of the batch size). */
  queueSize?: number;
  /** Projection width (default 64). */
  projDim?: number;
  /** Hidden width of the projection head (default 2 x feature width). */
  hidden?: number;
  /** InfoNCE temperature (default 0.2). */
  temperature?: number;
  /** Key-encoder momentum (default 0.99). */
  momentum?: number;
  /** Optimiser (default AdamW lr 1e-3, weight decay 1e-4). */
  optim?: OptimConfig;
}

/** MoCo v2. */
export class MocoV2Method extends MethodBase {
  /** `mocov2`. */
  readonly name = "mocov2";
  /** Checkpointed modules by prefix. */
  readonly modules: Readonly<Record<string, Module>>;
  /** The optimiser. */
  readonly optimizer: Optimizer;
  /** The exported backbone. */
  readonly exported: Backbone;
  /** Learning rate by step. */
  protected readonly schedule: LrSchedule;
  /** The queue of negative keys [K, projDim] (unit rows). */
  readonly queue: Tensor;
  readonly #key: Backbone;
  readonly #projQ: MlpHead;
  readonly #projK: MlpHead;
  readonly #ema: Ema;
  readonly #t: number;
  readonly #m: number;
  #ptr = 0;

  /**
   * Creates the instance.
   *
   * @param o arch, totalSteps, queueSize, projDim, hidden, temperature, momentum, optim
   * @example
   * ```ts ignore
   * const moco = new MocoV2Method({ arch: { name: "resnet_small" }, totalSteps: 500 });
   * ```
   */
  constructor(o: MocoOptions) {
    super();
    const seed = o.arch.seed ?? 0;
    this.exported = buildBackbone(o.arch);
    this.#key = buildBackbone(o.arch);
    const D = this.exported.featureDim;
    const head = {
      inDim: D,
      hidden: o.hidden ?? 2 * D,
      outDim: o.projDim ?? 64,
      layers: 2,
      bcos: this.exported.bcos,
      bn: this.exported.bcos,
      seed: paramSeed(seed, "proj"),
    };
    this.#projQ = new MlpHead(head);
    this.#projK = new MlpHead(head);
    this.modules = {
      encoder: this.exported.module,
      projector: this.#projQ,
      key_encoder: this.#key.module,
      key_projector: this.#projK,
    };
    const qParams = [...this.exported.module.parameters(), ...this.#projQ.parameters()];
    const kParams = [...this.#key.module.parameters(), ...this.#projK.parameters()];
    this.#m = o.momentum ?? 0.99;
    this.#ema = new Ema({ params: qParams, shadow: kParams, decay: this.#m });
    this.#t = o.temperature ?? 0.2;
    const K = o.queueSize ?? 1024;
    this.queue = keep(tidy(() => l2Normalize(randNormal([K, head.outDim], paramSeed(seed, "queue")))));
    const optim = o.optim ?? { kind: "adamw", lr: 1e-3, weightDecay: 1e-4 };
    this.optimizer = makeOptimizer(qParams, optim);
    this.schedule = makeSchedule(optim, o.totalSteps);
  }

  /** The queue as checkpoint state. */
  stateTensors(): Record<string, Tensor> {
    return { queue: this.queue };
  }

  /** The queue pointer. */
  stateJson(): Record<string, unknown> {
    return { queuePtr: this.#ptr };
  }

  /** Restores the queue pointer. */
  loadStateJson(s: Record<string, unknown>): void {
    this.#ptr = Number(s.queuePtr ?? 0);
  }

  /** Records one step. */
  protected run(batch: TrainBatch, _ctx: StepContext): Tensor {
    const N = batch.size;
    const [K, D] = this.queue.shape;
    if (K % N !== 0) throw new RangeError(`MoCo: queue size ${K} is not a multiple of the batch size ${N}`);
    const x1 = uploadImages(batch.views[0]);
    const x2 = uploadImages(batch.views[1]);
    const q = l2Normalize(this.#projQ.forward(this.exported.embed(x1)));
    const k = noGrad(() => {
      this.#ema.update(this.#m);
      return l2Normalize(this.#projK.forward(this.#key.embed(x2)));
    });
    const loss = infoNceLoss(q, k, this.queue, this.#t);
    backward(loss);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    writeAt(this.queue, k, this.#ptr * D);
    this.#ptr = (this.#ptr + N) % K;
    return loss;
  }

  /** Frees modules, optimiser state and extra state. */
  override dispose(): void {
    super.dispose();
    this.queue.dispose();
  }
}
