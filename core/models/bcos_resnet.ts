/**
 * B-cos ResNet as in B-cos v2 (PROTOCOL.md §4): every convolution is a `BcosConv2d` (B configurable,
 * default 2; optional max-out), no ReLU, uncentred batch norm without bias, input encoding
 * `[x, 1 - x]` (6 channels, done by the caller or {@link bcosEncode}), and a head of a 1x1 B-cos
 * convolution, global average pooling and a constant logit bias. Keys follow B-cos v2
 * (`conv1.linear.weight`, `layer1.0.bn1.weight`, `fc.linear.weight`, ...).
 *
 * @module
 */
import { inLayer } from "../autograd.ts";
import { BatchNorm2d } from "../nn/batchnorm.ts";
import { BcosConv2d, LogitBias } from "../nn/bcos.ts";
import { paramSeed } from "../nn/init.ts";
import { Module } from "../nn/module.ts";
import { MaxPool2d } from "../nn/pooling.ts";
import { Sequential } from "../nn/sequential.ts";
import { add, affine } from "../ops/elementwise.ts";
import { concat } from "../ops/layout.ts";
import { mean } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";

/** Configuration of a B-cos ResNet. */
export interface BcosResNetConfig {
  /** `basic` or `bottleneck`. */
  block: "basic" | "bottleneck";
  /** Blocks per stage. */
  layers: number[];
  /** Planes per stage; default [64, 128, 256, 512]. */
  widths?: number[];
  /** Classes of the 1x1 B-cos head; 0 for a headless backbone. */
  numClasses?: number;
  /** Input channels (6 for the `[x, 1-x]` encoding of RGB). */
  inChannels?: number;
  /** `imagenet` (7x7/2 + max-pool) or `small` (3x3/1, no pool). */
  stem?: "imagenet" | "small";
  /** The B of every B-cos layer; default 2. */
  b?: number;
  /** Max-out group size; default 1. */
  maxOut?: number;
  /** Logit bias of the head; default -log(numClasses - 1). */
  logitBias?: number;
  /** Seed of the initialisation. */
  seed?: number;
}

const EXPANSION = { basic: 1, bottleneck: 4 } as const;

/**
 * The B-cos input encoding `[x, 1 - x]` along channels (x in [0, 1]).
 *
 * @example
 * ```ts ignore
 * const x6 = bcosEncode(x); // [N, 3, H, W] -> [N, 6, H, W]
 * ```
 */
export function bcosEncode(x: Tensor): Tensor {
  return concat([x, affine(x, -1, 1)], 1);
}

/** A B-cos residual block (no activations). */
export class BcosBlock extends Module {
  readonly #convs: [BcosConv2d, BatchNorm2d][] = [];
  readonly #downsample?: Sequential;

  /**
   * @param kind block type
   * @param inplanes input channels
   * @param planes width
   * @param stride stride
   * @param opts b, maxOut, seed
   * @example
   * ```ts ignore
   * const block = new BcosBlock("bottleneck", 64, 64, 1, { b: 2, maxOut: 1, seed: 0 });
   * ```
   */
  constructor(
    kind: "basic" | "bottleneck",
    inplanes: number,
    planes: number,
    stride: number,
    opts: { b: number; maxOut: number; seed: number },
  ) {
    super();
    const out = planes * EXPANSION[kind];
    const specs: [number, number, number, number][] = kind === "basic"
      ? [[inplanes, planes, 3, stride], [planes, planes, 3, 1]]
      : [[inplanes, planes, 1, 1], [planes, planes, 3, stride], [planes, out, 1, 1]];
    specs.forEach(([i, o, k, st], n) => {
      const conv = this.child(
        `conv${n + 1}`,
        new BcosConv2d(i, o, k, {
          stride: st,
          padding: k === 3 ? 1 : 0,
          b: opts.b,
          maxOut: opts.maxOut,
          seed: paramSeed(opts.seed, `conv${n + 1}`),
        }),
      );
      this.#convs.push([conv, this.child(`bn${n + 1}`, new BatchNorm2d(o, { centred: false }))]);
    });
    if (stride !== 1 || inplanes !== out) {
      this.#downsample = this.child(
        "downsample",
        new Sequential(
          new BcosConv2d(inplanes, out, 1, {
            stride,
            b: opts.b,
            maxOut: opts.maxOut,
            seed: paramSeed(opts.seed, "ds"),
          }),
          new BatchNorm2d(out, { centred: false }),
        ),
      );
    }
  }

  /** The conv-BN chain plus the identity. */
  forward(x: Tensor): Tensor {
    let h = x;
    this.#convs.forEach(([conv, bn], n) => (h = bn.call(conv.call(h, `conv${n + 1}`), `bn${n + 1}`)));
    const identity = this.#downsample ? this.#downsample.call(x, "downsample") : x;
    return inLayer("residual", () => add(h, identity));
  }
}

/** A B-cos ResNet. */
export class BcosResNet extends Module {
  /** The configuration with defaults filled in. */
  readonly config: Required<BcosResNetConfig>;
  readonly #conv1: BcosConv2d;
  readonly #bn1: BatchNorm2d;
  readonly #maxpool?: MaxPool2d;
  readonly #stages: Sequential[] = [];
  readonly #fc?: BcosConv2d;
  readonly #logit?: LogitBias;

  /**
   * @param config see {@link BcosResNetConfig}
   * @example
   * ```ts ignore
   * const net = new BcosResNet({ block: "basic", layers: [1, 1, 1, 1], widths: [8, 16, 32, 64], numClasses: 10, stem: "small" });
   * ```
   */
  constructor(config: BcosResNetConfig) {
    super();
    const numClasses = config.numClasses ?? 1000;
    const c: Required<BcosResNetConfig> = {
      widths: [64, 128, 256, 512],
      numClasses,
      inChannels: 6,
      stem: "imagenet",
      b: 2,
      maxOut: 1,
      logitBias: numClasses > 1 ? -Math.log(numClasses - 1) : 0,
      seed: 0,
      ...config,
    };
    this.config = c;
    const big = c.stem === "imagenet";
    const opts = { b: c.b, maxOut: c.maxOut };
    this.#conv1 = this.child(
      "conv1",
      new BcosConv2d(c.inChannels, c.widths[0], big ? 7 : 3, {
        stride: big ? 2 : 1,
        padding: big ? 3 : 1,
        ...opts,
        seed: paramSeed(c.seed, "conv1"),
      }),
    );
    this.#bn1 = this.child("bn1", new BatchNorm2d(c.widths[0], { centred: false }));
    if (big) this.#maxpool = this.child("maxpool", new MaxPool2d(3, 2, 1));
    let inplanes = c.widths[0];
    c.layers.forEach((n, stage) => {
      const blocks: BcosBlock[] = [];
      for (let i = 0; i < n; i++) {
        const stride = i === 0 && stage > 0 ? 2 : 1;
        blocks.push(
          new BcosBlock(c.block, inplanes, c.widths[stage], stride, {
            ...opts,
            seed: paramSeed(c.seed, `layer${stage + 1}.${i}`),
          }),
        );
        inplanes = c.widths[stage] * EXPANSION[c.block];
      }
      this.#stages.push(this.child(`layer${stage + 1}`, new Sequential(...blocks)));
    });
    if (c.numClasses > 0) {
      this.#fc = this.child(
        "fc",
        new BcosConv2d(inplanes, c.numClasses, 1, { ...opts, seed: paramSeed(c.seed, "fc") }),
      );
      this.#logit = this.child("logit_layer", new LogitBias(c.logitBias));
    }
  }

  /** Channels of the last feature map. */
  get featureChannels(): number {
    return this.config.widths[this.config.layers.length - 1] * EXPANSION[this.config.block];
  }

  /** Name of the GradCAM target layer (the last block's last conv in the last stage). */
  get gradcamLayer(): string {
    const last = this.config.layers.length;
    return `layer${last}.${this.config.layers[last - 1] - 1}.conv${this.config.block === "basic" ? 2 : 3}`;
  }

  /** The last feature map (probes' input). */
  features(x: Tensor): Tensor {
    let h = this.#bn1.call(this.#conv1.call(x, "conv1"), "bn1");
    if (this.#maxpool) h = this.#maxpool.call(h, "maxpool");
    this.#stages.forEach((s, i) => (h = s.call(h, `layer${i + 1}`)));
    return h;
  }

  /** Logits: 1x1 B-cos head, global average pooling, logit bias; or the feature map when headless. */
  forward(x: Tensor): Tensor {
    const f = this.features(x);
    if (!this.#fc || !this.#logit) return f;
    const pooled = mean(this.#fc.call(f, "fc"), [2, 3]);
    return this.#logit.call(pooled, "logit_layer");
  }
}
