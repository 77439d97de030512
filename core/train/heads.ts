/**
 * Heads used during training: MLP projection / prediction heads of the SSL methods, the DINO head,
 * and the supervised classifier head. Each comes in a conventional and a B-cos form; the B-cos form
 * follows PROTOCOL.md §7: B-cos layers with B = 2, no activation, uncentred batch norm without bias.
 *
 * @module
 */
import { BatchNorm2d } from "../nn/batchnorm.ts";
import { BcosConv2d, BcosLinear, LogitBias } from "../nn/bcos.ts";
import { paramSeed, uniformFanIn } from "../nn/init.ts";
import { Linear } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";
import { Lambda, Sequential } from "../nn/sequential.ts";
import { gelu, relu } from "../ops/elementwise.ts";
import { reshape, slice } from "../ops/layout.ts";
import { linear } from "../ops/matmul.ts";
import { mean } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";
import { l2Normalize } from "./ssl_losses.ts";

/** Options of {@link MlpHead}. */
export interface MlpHeadConfig {
  /** Input width. */
  inDim: number;
  /** Hidden width. */
  hidden: number;
  /** Output width. */
  outDim: number;
  /** Linear layers (>= 1). */
  layers: number;
  /** B-cos layers (B = 2), uncentred BN, no activation. */
  bcos: boolean;
  /** Batch norm after each hidden layer (default true). */
  bn?: boolean;
  /** Batch norm without learnable parameters after the last layer too (MoCo v3's projector; default
   * false). Conventional heads then drop the last layer's bias; B-cos heads use uncentred BN. */
  lastBn?: boolean;
  /** Activation of conventional heads (default `relu`). */
  act?: "relu" | "gelu";
  /** Seed of the initialisation. */
  seed?: number;
}

/**
 * An MLP on vectors [N, D]: conventional `Linear -> BN -> ReLU -> ... -> Linear`, or B-cos
 * `BcosLinear -> uncentred BN -> ... -> BcosLinear` (optionally with a parameter-free BN after the
 * last layer). Layers are children `mlp.0`, `mlp.1`, ...
 */
export class MlpHead extends Module {
  /** The configuration. */
  readonly config: Required<MlpHeadConfig>;
  readonly #body: Sequential;

  /**
   * Creates the instance.
   *
   * @param config widths, depth, B-cos or not, BN, activation, seed
   * @example
   * ```ts ignore
   * const proj = new MlpHead({ inDim: 64, hidden: 128, outDim: 64, layers: 2, bcos: false });
   * const z = proj.forward(embedding); // [N, 64]
   * ```
   */
  constructor(config: MlpHeadConfig) {
    super();
    const c: Required<MlpHeadConfig> = { bn: true, lastBn: false, act: "relu", seed: 0, ...config };
    if (!(c.layers >= 1)) throw new RangeError(`MlpHead: layers must be >= 1, got ${c.layers}`);
    this.config = c;
    const mods: Module[] = [];
    for (let l = 0; l < c.layers; l++) {
      const inD = l === 0 ? c.inDim : c.hidden;
      const last = l === c.layers - 1;
      const outD = last ? c.outDim : c.hidden;
      const seed = paramSeed(c.seed, `mlp${l}`);
      if (c.bcos) {
        mods.push(new BcosLinear(inD, outD, { b: 2, seed }));
        if (!last && c.bn) mods.push(new BatchNorm2d(outD, { centred: false }));
        if (last && c.lastBn) mods.push(new BatchNorm2d(outD, { centred: false, affine: false }));
      } else {
        mods.push(new Linear(inD, outD, { bias: last ? !c.lastBn : !c.bn, seed }));
        if (!last) {
          if (c.bn) mods.push(new BatchNorm2d(outD));
          mods.push(new Lambda(c.act === "gelu" ? gelu : relu));
        } else if (c.lastBn) {
          mods.push(new BatchNorm2d(outD, { affine: false }));
        }
      }
    }
    this.#body = this.child("mlp", new Sequential(...mods));
  }

  /** [N, inDim] -> [N, outDim]. */
  forward(x: Tensor): Tensor {
    return this.#body.call(x, "mlp");
  }
}

/** A linear layer whose weight rows are normalised to unit length (weight norm with g = 1). */
export class WeightNormLinear extends Module {
  /** The direction parameter [out, in]. */
  readonly weight: Tensor;

  /**
   * Creates the instance.
   *
   * @param inDim input width
   * @param outDim output width
   * @param seed initialisation seed
   * @example
   * ```ts ignore
   * const last = new WeightNormLinear(32, 256, 0);
   * ```
   */
  constructor(inDim: number, outDim: number, seed = 0) {
    super();
    this.weight = this.param("weight", uniformFanIn([outDim, inDim], inDim, paramSeed(seed, "wn")));
  }

  /** `x · normalise(W)ᵀ`. */
  forward(x: Tensor): Tensor {
    return linear(x, l2Normalize(this.weight));
  }
}

/** Options of {@link DinoHead}. */
export interface DinoHeadConfig {
  /** Input width. */
  inDim: number;
  /** Hidden width of the MLP (default 2 * inDim). */
  hidden?: number;
  /** Bottleneck width (default inDim / 2, at least 8). */
  bottleneck?: number;
  /** Output prototypes K. */
  outDim: number;
  /** B-cos layers. */
  bcos: boolean;
  /** Seed. */
  seed?: number;
}

/**
 * DINO's head: a 3-layer MLP (GELU, no BN; B-cos: no activation, no BN) to a bottleneck, L2
 * normalisation, then a weight-normalised linear layer to K prototypes (B-cos: a B-cos linear layer,
 * whose filters are unit vectors too).
 */
export class DinoHead extends Module {
  readonly #mlp: MlpHead;
  readonly #last: Module;

  /**
   * Creates the instance.
   *
   * @param c widths, B-cos or not, seed
   * @example
   * ```ts ignore
   * const head = new DinoHead({ inDim: 64, outDim: 256, bcos: false });
   * ```
   */
  constructor(c: DinoHeadConfig) {
    super();
    const hidden = c.hidden ?? 2 * c.inDim;
    const bottleneck = c.bottleneck ?? Math.max(8, c.inDim / 2);
    const seed = c.seed ?? 0;
    this.#mlp = this.child(
      "mlp",
      new MlpHead({
        inDim: c.inDim,
        hidden,
        outDim: bottleneck,
        layers: 3,
        bcos: c.bcos,
        bn: false,
        act: "gelu",
        seed: paramSeed(seed, "mlp"),
      }),
    );
    this.#last = this.child(
      "last_layer",
      c.bcos
        ? new BcosLinear(bottleneck, c.outDim, { b: 2, seed: paramSeed(seed, "last") })
        : new WeightNormLinear(bottleneck, c.outDim, paramSeed(seed, "last")),
    );
  }

  /** [N, D] -> [N, K]. */
  forward(x: Tensor): Tensor {
    return this.#last.call(l2Normalize(this.#mlp.call(x, "mlp")), "last_layer");
  }

  /** The parameters of the last (prototype) layer, which DINO freezes in its first epoch. */
  lastLayerParameters(): Tensor[] {
    return [...this.#last.parameters()];
  }
}

/**
 * The supervised classifier head on a backbone's feature map, named so that backbone + head keys
 * match the full models: conventional `fc` after global average pooling (torchvision ResNet); B-cos
 * `fc` = 1x1 B-cos convolution, then pooling, then the logit bias `-log(C - 1)` (B-cos ResNet). On
 * tokens [N, T, D]: the class token then `fc` (ViT), or the token mean then a B-cos linear `fc`.
 */
export class ClassifierHead extends Module {
  readonly #fc: Module;
  readonly #logit?: LogitBias;
  readonly #bcos: boolean;

  /**
   * Creates the instance.
   *
   * @param inDim feature width D
   * @param numClasses C
   * @param bcos B-cos head
   * @param tokens the backbone outputs tokens (ViT) rather than a feature map
   * @param seed initialisation seed
   * @example
   * ```ts ignore
   * const head = new ClassifierHead(64, 10, true, false, 0);
   * ```
   */
  constructor(inDim: number, numClasses: number, bcos: boolean, readonly tokens: boolean, seed = 0) {
    super();
    this.#bcos = bcos;
    const s = paramSeed(seed, "fc");
    this.#fc = this.child(
      "fc",
      bcos
        ? (tokens
          ? new BcosLinear(inDim, numClasses, { seed: s })
          : new BcosConv2d(inDim, numClasses, 1, { seed: s }))
        : new Linear(inDim, numClasses, { seed: s }),
    );
    if (bcos) {
      this.#logit = this.child("logit_layer", new LogitBias(numClasses > 1 ? -Math.log(numClasses - 1) : 0));
    }
  }

  /** Logits [N, C] from the feature map [N, D, h, w] or tokens [N, T, D]. */
  forward(f: Tensor): Tensor {
    let z: Tensor;
    if (f.rank === 4) {
      z = this.#bcos ? mean(this.#fc.call(f, "fc"), [2, 3]) : this.#fc.call(mean(f, [2, 3]), "fc");
    } else {
      const [B, , D] = f.shape;
      const pooled = this.#bcos ? mean(f, 1) : reshape(slice(f, [0, 0, 0], [B, 1, D]), [B, D]);
      z = this.#fc.call(pooled, "fc");
    }
    return this.#logit ? this.#logit.call(z, "logit_layer") : z;
  }
}
