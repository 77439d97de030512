/**
 * The contract between the training loop and a training method (supervised, MoCo v2, BYOL, DINO,
 * MoCo v3, probe): the method owns its modules, optimiser and extra state, and records one step at a
 * time; the loop owns data order, logging, checkpoints and resumption.
 *
 * @module
 */
import type { Module } from "../nn/module.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import type { Rng } from "../data/rng.ts";
import type { Tensor } from "../tensor.ts";

/** One view of a batch: `[B, C, H, W]` host pixels. */
export interface HostImages {
  /** `B*C*H*W` values. */
  data: Float32Array;
  /** `[B, C, H, W]`. */
  shape: [number, number, number, number];
}

/** A training batch on the host. */
export interface TrainBatch {
  /** The augmented views of the batch (supervised and probes use one; SSL methods two or more). */
  views: HostImages[];
  /** `[B]` class indices, or `[B * numClasses]` 0/1 targets for multi-label data. */
  labels: Float32Array;
  /** Number of samples. */
  size: number;
  /** Dataset indices of the samples. */
  indices: number[];
}

/** Where the loop stands when it calls {@link TrainMethod.step}. */
export interface StepContext {
  /** Global step index, from 0. */
  step: number;
  /** Steps of the whole run. */
  totalSteps: number;
  /** Epoch index, from 0. */
  epoch: number;
  /** The loop's RNG (its state is checkpointed); methods may draw from it. */
  rng: Rng;
}

/** A training method. */
export interface TrainMethod {
  /** Method name, recorded in checkpoints (`supervised`, `mocov2`, `byol`, `dino`, `mocov3`, `probe`). */
  readonly name: string;
  /** Every module whose parameters and buffers belong in a checkpoint, by prefix. */
  readonly modules: Readonly<Record<string, Module>>;
  /** The optimiser (its state is checkpointed). */
  readonly optimizer: Optimizer;
  /**
   * Records one training step: forward passes, loss, backward, optimiser and EMA updates. Returns the
   * scalar loss tensor (the loop copies it into its GPU log; nothing is read back). Called inside a
   * `tidy` scope.
   */
  step(batch: TrainBatch, ctx: StepContext): Tensor;
  /** Extra GPU state saved in checkpoints (MoCo queue, DINO centre), by name. */
  stateTensors?(): Record<string, Tensor>;
  /** Extra JSON state saved in checkpoints (queue pointer). */
  stateJson?(): Record<string, unknown>;
  /** Restores {@link TrainMethod.stateJson}'s output. */
  loadStateJson?(state: Record<string, unknown>): void;
  /** Switches every module to training (true) or evaluation (false) mode. */
  setTraining(on: boolean): void;
  /** Frees modules, optimiser state and extra state. */
  dispose(): void;
}
