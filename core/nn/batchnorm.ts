/**
 * `BatchNorm2d` (torch keys `weight`, `bias`, `running_mean`, `running_var`) and the uncentred B-cos
 * variant (keys `weight`, `running_var`; no mean subtraction, no bias).
 *
 * @module
 */
import { batchNorm2d } from "../ops/norm.ts";
import { ones, zeros } from "../ops/elementwise.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/** Options of {@link BatchNorm2d}. */
export interface BatchNormConfig {
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** Running-statistics momentum; default 0.1. */
  momentum?: number;
  /** false: B-cos uncentred BN (no mean subtraction, no bias). Default true. */
  centred?: boolean;
  /** Learnable scale (and, when centred, shift); default true. */
  affine?: boolean;
}

/** Batch normalisation over [N, C, ...]. */
export class BatchNorm2d extends Module {
  /** Scale, or undefined without affine. */
  readonly weight?: Tensor;
  /** Shift (centred affine only). */
  readonly bias?: Tensor;
  /** Running mean (centred only). */
  readonly runningMean?: Tensor;
  /** Running variance. */
  readonly runningVar: Tensor;
  /** The options. */
  readonly config: Required<BatchNormConfig>;

  /**
   * @param channels C
   * @param config eps, momentum, centred, affine
   * @example
   * ```ts ignore
   * const bn = new BatchNorm2d(64);
   * const bcosBn = new BatchNorm2d(64, { centred: false });
   * ```
   */
  constructor(readonly channels: number, config: BatchNormConfig = {}) {
    super();
    this.config = { eps: 1e-5, momentum: 0.1, centred: true, affine: true, ...config };
    const { centred, affine } = this.config;
    if (affine) this.weight = this.param("weight", ones([channels]));
    if (affine && centred) this.bias = this.param("bias", zeros([channels]));
    if (centred) this.runningMean = this.buffer("running_mean", zeros([channels]));
    this.runningVar = this.buffer("running_var", ones([channels]));
  }

  /** Normalises with batch statistics in training, running statistics in eval. */
  forward(x: Tensor): Tensor {
    return batchNorm2d(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.config.momentum,
      eps: this.config.eps,
      centred: this.config.centred,
    });
  }
}
