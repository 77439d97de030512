/**
 * Vision Transformer compatible with torchvision's `VisionTransformer` (keys `conv_proj`,
 * `class_token`, `encoder.pos_embedding`, `encoder.layers.encoder_layer_{i}.{ln_1, self_attention,
 * ln_2, mlp.0, mlp.3}`, `encoder.ln`, `heads.head`): conv patch embedding, class token, learned
 * positional embedding, pre-norm blocks, exact GELU. Each block keeps its last attention
 * probabilities [B, heads, T, T] (on the tape, so explainers can take gradients with respect to them).
 *
 * @module
 */
import { Conv2d } from "../nn/conv.ts";
import { paramSeed } from "../nn/init.ts";
import { LayerNorm } from "../nn/layernorm.ts";
import { Linear } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";
import { ModuleDict } from "../nn/sequential.ts";
import { add, gelu, scale, zeros } from "../ops/elementwise.ts";
import { concat, permute, reshape, slice } from "../ops/layout.ts";
import { linear, matmul } from "../ops/matmul.ts";
import { randNormal, randUniform } from "../ops/random.ts";
import { softmax } from "../ops/softmax.ts";
import { expandTo } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";

/** Configuration of a ViT. */
export interface VitConfig {
  /** Input size (square). */
  imageSize: number;
  /** Patch size. */
  patchSize: number;
  /** Encoder blocks. */
  numLayers: number;
  /** Attention heads. */
  numHeads: number;
  /** Token width. */
  hiddenDim: number;
  /** MLP width. */
  mlpDim: number;
  /** Classes of `heads.head`; 0 for a headless backbone (forward returns the final tokens). */
  numClasses?: number;
  /** Layer-norm epsilon; torchvision uses 1e-6. */
  lnEps?: number;
  /** Input channels; default 3. */
  inChannels?: number;
  /** Seed of the initialisation. */
  seed?: number;
}

/** torch.nn.MultiheadAttention's parameters (`in_proj_weight`, `in_proj_bias`, `out_proj`). */
export class MultiheadSelfAttention extends Module {
  /** [3D, D] packed q, k, v projection. */
  readonly inProjWeight: Tensor;
  /** [3D]. */
  readonly inProjBias: Tensor;
  readonly #out: Linear;
  /** Attention probabilities of the last forward, [B, heads, T, T]. */
  lastProbs: Tensor | null = null;

  /**
   * @param dim token width
   * @param heads number of heads
   * @param seed initialisation seed
   * @example
   * ```ts ignore
   * const attn = new MultiheadSelfAttention(768, 12, 0);
   * ```
   */
  constructor(readonly dim: number, readonly heads: number, seed: number) {
    super();
    if (dim % heads) throw new RangeError(`attention: width ${dim} is not divisible by ${heads} heads`);
    const bound = Math.sqrt(6 / (dim + 3 * dim));
    this.inProjWeight = this.param(
      "in_proj_weight",
      randUniform([3 * dim, dim], paramSeed(seed, "in"), -bound, bound),
    );
    this.inProjBias = this.param("in_proj_bias", zeros([3 * dim]));
    this.#out = this.child("out_proj", new Linear(dim, dim, { seed: paramSeed(seed, "out") }));
  }

  /** Self-attention of tokens `x` [B, T, D]. */
  forward(x: Tensor): Tensor {
    const [B, T, D] = x.shape;
    const H = this.heads;
    const dh = D / H;
    const qkv = permute(reshape(linear(x, this.inProjWeight, this.inProjBias), [B, T, 3, H, dh]), [
      2,
      0,
      3,
      1,
      4,
    ]);
    const part = (i: number) => reshape(slice(qkv, [i], [i + 1]), [B, H, T, dh]);
    const scores = scale(matmul(part(0), part(1), { transposeB: true }), 1 / Math.sqrt(dh));
    const probs = softmax(scores, -1);
    this.lastProbs = probs;
    const ctx = reshape(permute(matmul(probs, part(2)), [0, 2, 1, 3]), [B, T, D]);
    return this.#out.call(ctx, "out_proj");
  }
}

/** torchvision's MLPBlock: Linear (`mlp.0`), exact GELU, Linear (`mlp.3`). */
class MlpBlock extends Module {
  readonly #fc1: Linear;
  readonly #fc2: Linear;
  constructor(dim: number, hidden: number, seed: number) {
    super();
    this.#fc1 = this.child("0", new Linear(dim, hidden, { seed: paramSeed(seed, "0") }));
    this.#fc2 = this.child("3", new Linear(hidden, dim, { seed: paramSeed(seed, "3") }));
  }
  forward(x: Tensor): Tensor {
    return this.#fc2.call(gelu(this.#fc1.call(x, "0")), "3");
  }
}

/** A pre-norm encoder block. */
export class EncoderBlock extends Module {
  /** The block's attention (its `lastProbs` are the attention maps). */
  readonly attention: MultiheadSelfAttention;
  readonly #ln1: LayerNorm;
  readonly #ln2: LayerNorm;
  readonly #mlp: MlpBlock;

  /**
   * @param c the ViT configuration
   * @param seed initialisation seed
   * @example
   * ```ts ignore
   * const block = new EncoderBlock(config, 0);
   * ```
   */
  constructor(c: VitConfig, seed: number) {
    super();
    const eps = c.lnEps ?? 1e-6;
    this.#ln1 = this.child("ln_1", new LayerNorm([c.hiddenDim], { eps }));
    this.attention = this.child("self_attention", new MultiheadSelfAttention(c.hiddenDim, c.numHeads, seed));
    this.#ln2 = this.child("ln_2", new LayerNorm([c.hiddenDim], { eps }));
    this.#mlp = this.child("mlp", new MlpBlock(c.hiddenDim, c.mlpDim, paramSeed(seed, "mlp")));
  }

  /** x + attn(ln1(x)), then + mlp(ln2(.)). */
  forward(x: Tensor): Tensor {
    const h = add(x, this.attention.call(this.#ln1.call(x, "ln_1"), "self_attention"));
    return add(h, this.#mlp.call(this.#ln2.call(h, "ln_2"), "mlp"));
  }
}

/** The encoder: positional embedding, blocks, final layer norm. */
class Encoder extends Module {
  readonly posEmbedding: Tensor;
  readonly blocks: EncoderBlock[] = [];
  readonly #ln: LayerNorm;
  constructor(c: VitConfig, tokens: number, seed: number) {
    super();
    this.posEmbedding = this.param(
      "pos_embedding",
      randNormal([1, tokens, c.hiddenDim], paramSeed(seed, "pos"), 0, 0.02),
    );
    const layers = this.child("layers", new ModuleDict());
    for (let i = 0; i < c.numLayers; i++) {
      this.blocks.push(layers.add(`encoder_layer_${i}`, new EncoderBlock(c, paramSeed(seed, `layer${i}`))));
    }
    this.#ln = this.child("ln", new LayerNorm([c.hiddenDim], { eps: c.lnEps ?? 1e-6 }));
  }
  forward(x: Tensor): Tensor {
    let h = add(x, this.posEmbedding);
    this.blocks.forEach((b, i) => (h = b.call(h, `layers.encoder_layer_${i}`)));
    return this.#ln.call(h, "ln");
  }
}

/** A torchvision-compatible Vision Transformer. */
export class VisionTransformer extends Module {
  /** The configuration. */
  readonly config: VitConfig;
  /** [1, 1, D]. */
  readonly classToken: Tensor;
  readonly #proj: Conv2d;
  readonly #encoder: Encoder;
  readonly #head?: Linear;

  /**
   * @param c image/patch size, layers, heads, widths, classes
   * @example
   * ```ts ignore
   * const vit = new VisionTransformer({ imageSize: 32, patchSize: 8, numLayers: 2, numHeads: 2, hiddenDim: 32, mlpDim: 64, numClasses: 10 });
   * ```
   */
  constructor(c: VitConfig) {
    super();
    if (c.imageSize % c.patchSize) {
      throw new RangeError(`ViT: image ${c.imageSize} not divisible by patch ${c.patchSize}`);
    }
    this.config = c;
    const seed = c.seed ?? 0;
    const grid = c.imageSize / c.patchSize;
    this.classToken = this.param("class_token", zeros([1, 1, c.hiddenDim]));
    this.#proj = this.child(
      "conv_proj",
      new Conv2d(c.inChannels ?? 3, c.hiddenDim, c.patchSize, {
        stride: c.patchSize,
        init: "uniform",
        seed: paramSeed(seed, "proj"),
      }),
    );
    this.#encoder = this.child("encoder", new Encoder(c, grid * grid + 1, paramSeed(seed, "encoder")));
    if ((c.numClasses ?? 1000) > 0) {
      const heads = this.child("heads", new ModuleDict());
      this.#head = heads.add(
        "head",
        new Linear(c.hiddenDim, c.numClasses ?? 1000, { seed: paramSeed(seed, "head") }),
      );
    }
  }

  /** The encoder blocks (their `attention.lastProbs` hold the attention maps of the last forward). */
  get blocks(): readonly EncoderBlock[] {
    return this.#encoder.blocks;
  }

  /** Final tokens [B, 1 + patches, D] after the encoder's layer norm. */
  tokens(x: Tensor): Tensor {
    const B = x.shape[0];
    const D = this.config.hiddenDim;
    const patches = this.#proj.call(x, "conv_proj");
    const seq = permute(reshape(patches, [B, D, -1]), [0, 2, 1]);
    const cls = expandTo(this.classToken, [B, 1, D]);
    return this.#encoder.call(concat([cls, seq], 1), "encoder");
  }

  /** Logits [B, classes] from the class token, or the tokens when headless. */
  forward(x: Tensor): Tensor {
    const t = this.tokens(x);
    if (!this.#head) return t;
    const [B, , D] = t.shape;
    const cls = reshape(slice(t, [0, 0, 0], [B, 1, D]), [B, D]);
    return this.#head.call(cls, "heads.head");
  }
}

/**
 * torchvision's vit_b_16 configuration (86,567,656 parameters with 1000 classes).
 *
 * @example
 * ```ts ignore
 * const vit = vitB16({ numClasses: 1000 });
 * ```
 */
export function vitB16(opts: Partial<VitConfig> = {}): VisionTransformer {
  return new VisionTransformer({
    imageSize: 224,
    patchSize: 16,
    numLayers: 12,
    numHeads: 12,
    hiddenDim: 768,
    mlpDim: 3072,
    numClasses: 1000,
    ...opts,
  });
}
