/**
 * `Linear` with torch's keys (`weight` [out, in], optional `bias` [out]) and torch's default init.
 *
 * @module
 */
import { linear } from "../ops/matmul.ts";
import type { Tensor } from "../tensor.ts";
import { paramSeed, uniformFanIn } from "./init.ts";
import { Module } from "./module.ts";

/** A fully connected layer over the last axis. */
export class Linear extends Module {
  /** Weight [out, in]. */
  readonly weight: Tensor;
  /** Bias [out] when enabled. */
  readonly bias?: Tensor;

  /**
   * @param inFeatures input width
   * @param outFeatures output width
   * @param opts bias (default true), seed
   * @example
   * ```ts ignore
   * const fc = new Linear(2048, 1000);
   * ```
   */
  constructor(inFeatures: number, outFeatures: number, opts: { bias?: boolean; seed?: number } = {}) {
    super();
    const seed = opts.seed ?? 0;
    this.weight = this.param(
      "weight",
      uniformFanIn([outFeatures, inFeatures], inFeatures, paramSeed(seed, "w")),
    );
    if (opts.bias ?? true) {
      this.bias = this.param("bias", uniformFanIn([outFeatures], inFeatures, paramSeed(seed, "b")));
    }
  }

  /** `x · weightᵀ + bias` over the last axis. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
