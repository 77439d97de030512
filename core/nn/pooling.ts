/**
 * Pooling and activation modules (no parameters).
 *
 * @module
 */
import { adaptiveAvgPool2d, maxPool2d } from "../ops/pool.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/** Max pooling (torch semantics). */
export class MaxPool2d extends Module {
  /**
   * @param kernel window
   * @param stride step (default = kernel)
   * @param padding -inf padding (default 0)
   * @example
   * ```ts ignore
   * const pool = new MaxPool2d(3, 2, 1);
   * ```
   */
  constructor(readonly kernel: number, readonly stride = kernel, readonly padding = 0) {
    super();
  }

  /** Pools `x` [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernel: this.kernel, stride: this.stride, padding: this.padding });
  }
}

/** Adaptive average pooling to a fixed output size. */
export class AdaptiveAvgPool2d extends Module {
  /**
   * @param size output [oh, ow]
   * @example
   * ```ts ignore
   * const gap = new AdaptiveAvgPool2d([1, 1]);
   * ```
   */
  constructor(readonly size: [number, number]) {
    super();
  }

  /** Pools `x` [N, C, H, W] to [N, C, oh, ow]. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.size);
  }
}
