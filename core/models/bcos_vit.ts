/**
 * B-cos ViTc (a ViT with a convolutional stem, B-cos v2 style): a stem of 3x3 stride-2 B-cos
 * convolutions with uncentred BN down to the patch grid and a 1x1 B-cos convolution to the token
 * width; a learned positional embedding; pre-norm blocks whose q/k/v, output and MLP projections are
 * B-cos linear layers (B = 2, no bias, no activation: the MLP's non-linearity is the B-cos scale and
 * max-out) and whose layer norms have no bias (their variance is detached in explanation mode by
 * `BCOS_EXPLANATION_RULES`); a final layer norm, mean pooling over tokens, a B-cos linear head and the
 * logit bias -log(C - 1). Input: the 6-channel encoding `[x, 1 - x]`.
 *
 * @module
 */
import { BatchNorm2d } from "../nn/batchnorm.ts";
import { BcosConv2d, BcosLinear, LogitBias } from "../nn/bcos.ts";
import { paramSeed } from "../nn/init.ts";
import { LayerNorm } from "../nn/layernorm.ts";
import { Module } from "../nn/module.ts";
import { ModuleDict, Sequential } from "../nn/sequential.ts";
import { add, scale } from "../ops/elementwise.ts";
import { permute, reshape, slice } from "../ops/layout.ts";
import { matmul } from "../ops/matmul.ts";
import { randNormal } from "../ops/random.ts";
import { mean } from "../ops/reduce.ts";
import { softmax } from "../ops/softmax.ts";
import type { Tensor } from "../tensor.ts";

/** Configuration of a B-cos ViTc. */
export interface BcosVitConfig {
  /** Input size (square). */
  imageSize: number;
  /** Patch size (a power of two: the stem halves the resolution log2(patch) times). */
  patchSize: number;
  /** Blocks. */
  numLayers: number;
  /** Heads. */
  numHeads: number;
  /** Token width. */
  hiddenDim: number;
  /** MLP width. */
  mlpDim: number;
  /** Classes; 0 for a headless backbone (forward returns the final tokens). */
  numClasses?: number;
  /** Input channels; default 6. */
  inChannels?: number;
  /** Seed. */
  seed?: number;
}

/** B-cos multi-head self-attention (q, k, v and output are B-cos linear layers). */
export class BcosAttention extends Module {
  readonly #qkv: BcosLinear;
  readonly #out: BcosLinear;
  /** Attention probabilities of the last forward, [B, heads, T, T]. */
  lastProbs: Tensor | null = null;

  /**
   * @param dim token width
   * @param heads heads
   * @param seed seed
   * @example
   * ```ts ignore
   * const attn = new BcosAttention(384, 6, 0);
   * ```
   */
  constructor(readonly dim: number, readonly heads: number, seed: number) {
    super();
    this.#qkv = this.child("qkv", new BcosLinear(dim, 3 * dim, { seed: paramSeed(seed, "qkv") }));
    this.#out = this.child("proj", new BcosLinear(dim, dim, { seed: paramSeed(seed, "proj") }));
  }

  /** Attention over tokens [B, T, D]. */
  forward(x: Tensor): Tensor {
    const [B, T, D] = x.shape;
    const H = this.heads;
    const dh = D / H;
    const qkv = permute(reshape(this.#qkv.call(x, "qkv"), [B, T, 3, H, dh]), [2, 0, 3, 1, 4]);
    const part = (i: number) => reshape(slice(qkv, [i], [i + 1]), [B, H, T, dh]);
    const probs = softmax(scale(matmul(part(0), part(1), { transposeB: true }), 1 / Math.sqrt(dh)), -1);
    this.lastProbs = probs;
    return this.#out.call(reshape(permute(matmul(probs, part(2)), [0, 2, 1, 3]), [B, T, D]), "proj");
  }
}

/** A pre-norm B-cos block. */
export class BcosVitBlock extends Module {
  /** The block's attention. */
  readonly attention: BcosAttention;
  readonly #n1: LayerNorm;
  readonly #n2: LayerNorm;
  readonly #mlp: Sequential;

  /**
   * @param c configuration
   * @param seed seed
   * @example
   * ```ts ignore
   * const block = new BcosVitBlock(config, 0);
   * ```
   */
  constructor(c: BcosVitConfig, seed: number) {
    super();
    this.#n1 = this.child("norm1", new LayerNorm([c.hiddenDim], { bias: false }));
    this.attention = this.child("attn", new BcosAttention(c.hiddenDim, c.numHeads, seed));
    this.#n2 = this.child("norm2", new LayerNorm([c.hiddenDim], { bias: false }));
    this.#mlp = this.child(
      "mlp",
      new Sequential(
        new BcosLinear(c.hiddenDim, c.mlpDim, { maxOut: 2, seed: paramSeed(seed, "fc1") }),
        new BcosLinear(c.mlpDim, c.hiddenDim, { seed: paramSeed(seed, "fc2") }),
      ),
    );
  }

  /** x + attn(norm1(x)), then + mlp(norm2(.)). */
  forward(x: Tensor): Tensor {
    const h = add(x, this.attention.call(this.#n1.call(x, "norm1"), "attn"));
    return add(h, this.#mlp.call(this.#n2.call(h, "norm2"), "mlp"));
  }
}

/** The B-cos ViTc. */
export class BcosVisionTransformer extends Module {
  /** The configuration. */
  readonly config: BcosVitConfig;
  /** [1, T, D]. */
  readonly posEmbedding: Tensor;
  readonly #stem: Sequential;
  readonly #blocks: BcosVitBlock[] = [];
  readonly #norm: LayerNorm;
  readonly #head?: BcosLinear;
  readonly #logit?: LogitBias;

  /**
   * @param c configuration
   * @example
   * ```ts ignore
   * const net = new BcosVisionTransformer({ imageSize: 32, patchSize: 8, numLayers: 2, numHeads: 2, hiddenDim: 32, mlpDim: 64, numClasses: 10 });
   * ```
   */
  constructor(c: BcosVitConfig) {
    super();
    const steps = Math.log2(c.patchSize);
    if (!Number.isInteger(steps) || c.imageSize % c.patchSize) {
      throw new RangeError(`B-cos ViTc: patch ${c.patchSize} must be a power of two dividing ${c.imageSize}`);
    }
    this.config = c;
    const seed = c.seed ?? 0;
    const stem: Module[] = [];
    let ch = c.inChannels ?? 6;
    for (let i = 0; i < steps; i++) {
      const out = Math.max(8, c.hiddenDim >> (steps - i));
      stem.push(new BcosConv2d(ch, out, 3, { stride: 2, padding: 1, seed: paramSeed(seed, `stem${i}`) }));
      stem.push(new BatchNorm2d(out, { centred: false }));
      ch = out;
    }
    stem.push(new BcosConv2d(ch, c.hiddenDim, 1, { seed: paramSeed(seed, "stem_out") }));
    this.#stem = this.child("stem", new Sequential(...stem));
    const grid = c.imageSize / c.patchSize;
    this.posEmbedding = this.param(
      "pos_embedding",
      randNormal([1, grid * grid, c.hiddenDim], paramSeed(seed, "pos"), 0, 0.02),
    );
    const blocks = this.child("blocks", new ModuleDict());
    for (let i = 0; i < c.numLayers; i++) {
      this.#blocks.push(blocks.add(String(i), new BcosVitBlock(c, paramSeed(seed, `b${i}`))));
    }
    this.#norm = this.child("norm", new LayerNorm([c.hiddenDim], { bias: false }));
    const classes = c.numClasses ?? 1000;
    if (classes > 0) {
      this.#head = this.child(
        "head",
        new BcosLinear(c.hiddenDim, classes, { seed: paramSeed(seed, "head") }),
      );
      this.#logit = this.child("logit_layer", new LogitBias(classes > 1 ? -Math.log(classes - 1) : 0));
    }
  }

  /** The blocks (their `attention.lastProbs` hold the attention maps of the last forward). */
  get blocks(): readonly BcosVitBlock[] {
    return this.#blocks;
  }

  /** Final tokens [B, T, D]. */
  tokens(x: Tensor): Tensor {
    const B = x.shape[0];
    const D = this.config.hiddenDim;
    const map = this.#stem.call(x, "stem");
    let h = add(permute(reshape(map, [B, D, -1]), [0, 2, 1]), this.posEmbedding);
    this.#blocks.forEach((b, i) => (h = b.call(h, `blocks.${i}`)));
    return this.#norm.call(h, "norm");
  }

  /** Logits [B, C] (mean over tokens, B-cos head, logit bias), or the tokens when headless. */
  forward(x: Tensor): Tensor {
    const t = this.tokens(x);
    if (!this.#head || !this.#logit) return t;
    return this.#logit.call(this.#head.call(mean(t, 1), "head"), "logit_layer");
  }
}

/**
 * B-ViTc-S/16 and B-ViTc-B/16 configurations.
 *
 * @example
 * ```ts ignore
 * const net = bcosVitc("s16", { numClasses: 1000 });
 * ```
 */
export function bcosVitc(size: "s16" | "b16", opts: Partial<BcosVitConfig> = {}): BcosVisionTransformer {
  const base = size === "s16"
    ? { hiddenDim: 384, numHeads: 6, mlpDim: 1536 }
    : { hiddenDim: 768, numHeads: 12, mlpDim: 3072 };
  return new BcosVisionTransformer({
    imageSize: 224,
    patchSize: 16,
    numLayers: 12,
    numClasses: 1000,
    ...base,
    ...opts,
  });
}
