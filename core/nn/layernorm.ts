/**
 * `LayerNorm` with torch's keys (`weight`, `bias` over the normalised shape).
 *
 * @module
 */
import { ones, zeros } from "../ops/elementwise.ts";
import { layerNorm } from "../ops/norm.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/** Layer normalisation over the trailing dimension(s). */
export class LayerNorm extends Module {
  /** Scale. */
  readonly weight?: Tensor;
  /** Shift. */
  readonly bias?: Tensor;

  /**
   * @param shape the normalised trailing shape (e.g. [768])
   * @param opts eps (default 1e-5; torchvision ViT uses 1e-6), affine, bias
   * @example
   * ```ts ignore
   * const ln = new LayerNorm([768], { eps: 1e-6 });
   * ```
   */
  constructor(
    readonly shape: number[],
    readonly opts: { eps?: number; affine?: boolean; bias?: boolean } = {},
  ) {
    super();
    if (opts.affine ?? true) {
      this.weight = this.param("weight", ones(shape));
      if (opts.bias ?? true) this.bias = this.param("bias", zeros(shape));
    }
  }

  /** Normalises `x` over the trailing dims. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.shape, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }
}
