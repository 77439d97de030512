/**
 * `Conv2d` with torch's keys (`weight` [O, C/groups, kh, kw], optional `bias` [O]).
 *
 * @module
 */
import { conv2d } from "../ops/conv.ts";
import { zeros } from "../ops/elementwise.ts";
import type { Tensor } from "../tensor.ts";
import { kaimingNormalFanOut, paramSeed, uniformFanIn } from "./init.ts";
import { Module } from "./module.ts";

/** Options of {@link Conv2d}. */
export interface Conv2dConfig {
  /** Stride; default 1. */
  stride?: number | [number, number];
  /** Zero padding; default 0. */
  padding?: number | [number, number];
  /** Dilation; default 1. */
  dilation?: number | [number, number];
  /** Groups; default 1. */
  groups?: number;
  /** Learnable bias; default true (torch). */
  bias?: boolean;
  /** `kaiming` (torchvision ResNet: normal, fan_out) or `uniform` (torch default); default kaiming. */
  init?: "kaiming" | "uniform";
  /** Seed of the initialisation. */
  seed?: number;
}

/** A 2-D convolution layer. */
export class Conv2d extends Module {
  /** Filters [O, C/groups, kh, kw]. */
  readonly weight: Tensor;
  /** Bias [O] when enabled. */
  readonly bias?: Tensor;
  /** Stride, padding, dilation, groups. */
  readonly options: {
    stride: number | [number, number];
    padding: number | [number, number];
    dilation: number | [number, number];
    groups: number;
  };

  /**
   * @param inChannels C
   * @param outChannels O
   * @param kernel kernel size (square, or [kh, kw])
   * @param config stride, padding, dilation, groups, bias, init, seed
   * @example
   * ```ts ignore
   * const conv1 = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
   * ```
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernel: number | [number, number],
    config: Conv2dConfig = {},
  ) {
    super();
    const [kh, kw] = typeof kernel === "number" ? [kernel, kernel] : kernel;
    const groups = config.groups ?? 1;
    if (inChannels % groups || outChannels % groups) {
      throw new RangeError(
        `Conv2d: channels ${inChannels}->${outChannels} not divisible by groups ${groups}`,
      );
    }
    const shape = [outChannels, inChannels / groups, kh, kw];
    const seed = config.seed ?? 0;
    const fanIn = (inChannels / groups) * kh * kw;
    this.weight = this.param(
      "weight",
      config.init === "uniform"
        ? uniformFanIn(shape, fanIn, paramSeed(seed, "w"))
        : kaimingNormalFanOut(shape, seed),
    );
    if (config.bias ?? true) {
      this.bias = this.param(
        "bias",
        config.init === "uniform"
          ? uniformFanIn([outChannels], fanIn, paramSeed(seed, "b"))
          : zeros([outChannels]),
      );
    }
    this.options = {
      stride: config.stride ?? 1,
      padding: config.padding ?? 0,
      dilation: config.dilation ?? 1,
      groups,
    };
  }

  /** Convolves `x` [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }
}
