/**
 * B-cos layers with B-cos v2's state-dict keys: `BcosConv2d` and `BcosLinear` hold their raw filters
 * at `linear.weight` (B-cos v2 wraps a bias-free conv/linear named `linear`), and `LogitBias` adds the
 * constant `-log(C - 1)` prior of B-cos heads.
 *
 * @module
 */
import { bcosConv2d, bcosLinear } from "../ops/bcos.ts";
import { addScalar } from "../ops/elementwise.ts";
import type { Tensor } from "../tensor.ts";
import { paramSeed, uniformFanIn } from "./init.ts";
import { Module } from "./module.ts";

/** Holds the raw filters under the key `weight`, so the parent's key reads `linear.weight`. */
class RawWeight extends Module {
  readonly weight: Tensor;
  constructor(w: Tensor) {
    super();
    this.weight = this.param("weight", w);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Options of {@link BcosConv2d}. */
export interface BcosConvConfig {
  /** Stride; default 1. */
  stride?: number | [number, number];
  /** Zero padding; default 0. */
  padding?: number | [number, number];
  /** Dilation; default 1. */
  dilation?: number | [number, number];
  /** Groups; default 1. */
  groups?: number;
  /** The B of the B-cos transform; default 2. */
  b?: number;
  /** Max-out group size; default 1. */
  maxOut?: number;
  /** Seed of the initialisation. */
  seed?: number;
}

/** A B-cos convolution: unit-norm filters, patch-norm scaling, optional max-out, no bias. */
export class BcosConv2d extends Module {
  /** Raw filters [O * maxOut, C / groups, kh, kw] (normalised inside the op). */
  readonly weight: Tensor;
  /** The op's options. */
  readonly options: Required<Omit<BcosConvConfig, "seed">>;

  /**
   * @param inChannels C
   * @param outChannels O (after max-out)
   * @param kernel kernel size
   * @param config stride, padding, dilation, groups, b, maxOut, seed
   * @example
   * ```ts ignore
   * const conv = new BcosConv2d(6, 64, 7, { stride: 2, padding: 3 });
   * ```
   */
  constructor(inChannels: number, outChannels: number, kernel: number, config: BcosConvConfig = {}) {
    super();
    const groups = config.groups ?? 1;
    const maxOut = config.maxOut ?? 1;
    const shape = [outChannels * maxOut, inChannels / groups, kernel, kernel];
    const w = uniformFanIn(shape, (inChannels / groups) * kernel * kernel, paramSeed(config.seed ?? 0, "w"));
    this.weight = this.child("linear", new RawWeight(w)).weight;
    this.options = {
      stride: config.stride ?? 1,
      padding: config.padding ?? 0,
      dilation: config.dilation ?? 1,
      groups,
      b: config.b ?? 2,
      maxOut,
    };
  }

  /** The B-cos convolution of `x` [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    return bcosConv2d(x, this.weight, this.options);
  }
}

/** A B-cos linear layer over the last axis (norm = ||x||). */
export class BcosLinear extends Module {
  /** Raw weight [out * maxOut, in]. */
  readonly weight: Tensor;
  /** B and max-out. */
  readonly options: { b: number; maxOut: number };

  /**
   * @param inFeatures input width
   * @param outFeatures output width (after max-out)
   * @param config b (default 2), maxOut (default 1), seed
   * @example
   * ```ts ignore
   * const qkv = new BcosLinear(384, 3 * 384);
   * ```
   */
  constructor(
    inFeatures: number,
    outFeatures: number,
    config: { b?: number; maxOut?: number; seed?: number } = {},
  ) {
    super();
    const maxOut = config.maxOut ?? 1;
    const w = uniformFanIn([outFeatures * maxOut, inFeatures], inFeatures, paramSeed(config.seed ?? 0, "w"));
    this.weight = this.child("linear", new RawWeight(w)).weight;
    this.options = { b: config.b ?? 2, maxOut };
  }

  /** The B-cos transform of `x` [..., in]. */
  forward(x: Tensor): Tensor {
    return bcosLinear(x, this.weight, this.options);
  }
}

/** Adds a constant logit bias (B-cos heads: `-log(C - 1)`, so initial sigmoid outputs are ~1/C). */
export class LogitBias extends Module {
  /**
   * @param bias the constant added to every logit
   * @example
   * ```ts ignore
   * const head = new LogitBias(-Math.log(classes - 1));
   * ```
   */
  constructor(readonly bias: number) {
    super();
  }

  /** `x + bias`. */
  forward(x: Tensor): Tensor {
    return addScalar(x, this.bias);
  }
}
