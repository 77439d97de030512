/**
 * Supervised pre-training: backbone + classifier head ({@link ClassifierHead}) trained with softmax
 * cross-entropy (conventional default) or per-class BCE (B-cos default, as B-cos v2 trains its models;
 * off-label target `bceOff`, default 0).
 *
 * @module
 */
import { backward } from "../../autograd.ts";
import type { Module } from "../../nn/module.ts";
import { bceTargets, bceWithLogits, crossEntropy } from "../../ops/loss.ts";
import type { Optimizer } from "../../optim/optimizer.ts";
import type { LrSchedule } from "../../optim/schedule.ts";
import { fromArray, type Tensor } from "../../tensor.ts";
import { type ArchConfig, type Backbone, buildBackbone } from "../arch.ts";
import { ClassifierHead } from "../heads.ts";
import type { StepContext, TrainBatch } from "../method.ts";
import { makeOptimizer, makeSchedule, type OptimConfig } from "../optim_config.ts";
import { MethodBase, uploadImages } from "./base.ts";

/** Options of {@link SupervisedMethod}. */
export interface SupervisedOptions {
  /** The backbone. */
  arch: ArchConfig;
  /** Classes. */
  numClasses: number;
  /** Steps of the run (for the schedule). */
  totalSteps: number;
  /** Loss; default `bce` for B-cos backbones, `ce` otherwise. */
  loss?: "ce" | "bce";
  /** Off-label target of the BCE (default 0). */
  bceOff?: number;
  /** Optimiser (default Adam, lr 1e-3, no weight decay). */
  optim?: OptimConfig;
}

/** Supervised training of a backbone with a classifier head. */
export class SupervisedMethod extends MethodBase {
  /** `supervised`. */
  readonly name = "supervised";
  /** Checkpointed modules by prefix. */
  readonly modules: Readonly<Record<string, Module>>;
  /** The optimiser. */
  readonly optimizer: Optimizer;
  /** The exported backbone. */
  readonly exported: Backbone;
  /** The classifier head. */
  readonly head: ClassifierHead;
  /** The loss in use. */
  readonly loss: "ce" | "bce";
  /** Learning rate by step. */
  protected readonly schedule: LrSchedule;
  readonly #numClasses: number;
  readonly #bceOff: number;

  /**
   * Creates the instance.
   *
   * @param o arch, numClasses, totalSteps, loss, optim
   * @example
   * ```ts ignore
   * const m = new SupervisedMethod({ arch: { name: "resnet_small" }, numClasses: 10, totalSteps: 1000 });
   * ```
   */
  constructor(o: SupervisedOptions) {
    super();
    const bb = buildBackbone(o.arch);
    this.exported = bb;
    this.head = new ClassifierHead(
      bb.featureDim,
      o.numClasses,
      bb.bcos,
      bb.fixedSize !== null,
      o.arch.seed ?? 0,
    );
    this.modules = { backbone: bb.module, head: this.head };
    this.loss = o.loss ?? (bb.bcos ? "bce" : "ce");
    this.#numClasses = o.numClasses;
    this.#bceOff = o.bceOff ?? 0;
    const optim = o.optim ?? { kind: "adam", lr: 1e-3, weightDecay: 0 };
    this.optimizer = makeOptimizer([...bb.module.parameters(), ...this.head.parameters()], optim);
    this.schedule = makeSchedule(optim, o.totalSteps);
  }

  /** Logits [N, C] of images `x` (in the current train/eval mode). */
  logits(x: Tensor): Tensor {
    return this.head.forward(this.exported.featureMap(x));
  }

  /** The loss of `logits` against labels [N] (class indices). */
  lossOf(logits: Tensor, labels: Tensor): Tensor {
    if (this.loss === "ce") return crossEntropy(logits, labels);
    const t = bceTargets(labels, this.#numClasses, this.#bceOff);
    return bceWithLogits(logits, t, { reduction: "sum_over_classes_mean_over_batch" });
  }

  /** Records one step. */
  protected run(batch: TrainBatch, _ctx: StepContext): Tensor {
    const x = uploadImages(batch.views[0]);
    const y = fromArray([batch.size], batch.labels);
    const loss = this.lossOf(this.logits(x), y);
    backward(loss);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    return loss;
  }
}
