/**
 * ResNet with torchvision's structure and state-dict keys (`conv1`, `bn1`, `layer1.0.conv1`, ...,
 * `layerK.0.downsample.0/1`, `fc`): resnet18/34/50 and small configurations (widths, blocks per stage,
 * a stem for 28-64 px inputs). Bottleneck blocks put the stride on the 3x3 conv (ResNet v1.5, as
 * torchvision). The residual sum of each block is recorded under the layer name `<block>.residual`,
 * so LRP canonizers can find it.
 *
 * @module
 */
import { inLayer } from "../autograd.ts";
import { BatchNorm2d } from "../nn/batchnorm.ts";
import { Conv2d } from "../nn/conv.ts";
import { paramSeed } from "../nn/init.ts";
import { Linear } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";
import { AdaptiveAvgPool2d, MaxPool2d } from "../nn/pooling.ts";
import { Sequential } from "../nn/sequential.ts";
import { add, relu } from "../ops/elementwise.ts";
import { reshape } from "../ops/layout.ts";
import type { Tensor } from "../tensor.ts";

/** The configuration of a ResNet. */
export interface ResNetConfig {
  /** `basic` (resnet18/34) or `bottleneck` (resnet50+). */
  block: "basic" | "bottleneck";
  /** Blocks per stage, e.g. [3, 4, 6, 3]. */
  layers: number[];
  /** Planes per stage, e.g. [64, 128, 256, 512]; the stem has `widths[0]` channels. */
  widths?: number[];
  /** Output classes of `fc`; 0 for a headless backbone (forward returns the last feature map). */
  numClasses?: number;
  /** Input channels; default 3. */
  inChannels?: number;
  /** `imagenet`: 7x7/2 conv + 3x3/2 max-pool; `small`: 3x3/1 conv, no pool (28-64 px). */
  stem?: "imagenet" | "small";
  /** Seed of the initialisation. */
  seed?: number;
}

const EXPANSION = { basic: 1, bottleneck: 4 } as const;

/** A torchvision BasicBlock or Bottleneck. */
export class ResidualBlock extends Module {
  readonly #kind: "basic" | "bottleneck";
  readonly #convs: [Conv2d, BatchNorm2d][] = [];
  readonly #downsample?: Sequential;

  /**
   * @param kind block type
   * @param inplanes input channels
   * @param planes block width
   * @param stride stride of the block
   * @param seed initialisation seed
   * @example
   * ```ts ignore
   * const block = new ResidualBlock("bottleneck", 64, 64, 1, 0);
   * ```
   */
  constructor(kind: "basic" | "bottleneck", inplanes: number, planes: number, stride: number, seed: number) {
    super();
    this.#kind = kind;
    const out = planes * EXPANSION[kind];
    const s = (n: string) => paramSeed(seed, n);
    const specs: [number, number, number, number][] = kind === "basic"
      ? [[inplanes, planes, 3, stride], [planes, planes, 3, 1]]
      : [[inplanes, planes, 1, 1], [planes, planes, 3, stride], [planes, out, 1, 1]];
    specs.forEach(([i, o, k, st], n) => {
      const conv = this.child(
        `conv${n + 1}`,
        new Conv2d(i, o, k, { stride: st, padding: k === 3 ? 1 : 0, bias: false, seed: s(`conv${n + 1}`) }),
      );
      const bn = this.child(`bn${n + 1}`, new BatchNorm2d(o));
      this.#convs.push([conv, bn]);
    });
    if (stride !== 1 || inplanes !== out) {
      this.#downsample = this.child(
        "downsample",
        new Sequential(
          new Conv2d(inplanes, out, 1, { stride, bias: false, seed: s("downsample") }),
          new BatchNorm2d(out),
        ),
      );
    }
  }

  /** conv-bn(-relu) chain plus the (downsampled) identity, then ReLU. */
  forward(x: Tensor): Tensor {
    let h = x;
    this.#convs.forEach(([conv, bn], n) => {
      h = bn.call(conv.call(h, `conv${n + 1}`), `bn${n + 1}`);
      if (n < this.#convs.length - 1) h = relu(h);
    });
    const identity = this.#downsample ? this.#downsample.call(x, "downsample") : x;
    return relu(inLayer("residual", () => add(h, identity)));
  }

  /** The block type. */
  get kind(): "basic" | "bottleneck" {
    return this.#kind;
  }
}

/** A torchvision-compatible ResNet. */
export class ResNet extends Module {
  /** The configuration with defaults filled in. */
  readonly config: Required<ResNetConfig>;
  readonly #stages: Sequential[] = [];
  readonly #conv1: Conv2d;
  readonly #bn1: BatchNorm2d;
  readonly #maxpool?: MaxPool2d;
  readonly #avgpool: AdaptiveAvgPool2d;
  readonly #fc?: Linear;

  /**
   * @param config block, layers, widths, numClasses, inChannels, stem, seed
   * @example
   * ```ts ignore
   * const net = new ResNet({ block: "bottleneck", layers: [2, 1, 1, 1], widths: [8, 16, 24, 32], numClasses: 10 });
   * ```
   */
  constructor(config: ResNetConfig) {
    super();
    const c: Required<ResNetConfig> = {
      widths: [64, 128, 256, 512],
      numClasses: 1000,
      inChannels: 3,
      stem: "imagenet",
      seed: 0,
      ...config,
    };
    this.config = c;
    const stemWidth = c.widths[0];
    const big = c.stem === "imagenet";
    this.#conv1 = this.child(
      "conv1",
      new Conv2d(c.inChannels, stemWidth, big ? 7 : 3, {
        stride: big ? 2 : 1,
        padding: big ? 3 : 1,
        bias: false,
        seed: paramSeed(c.seed, "conv1"),
      }),
    );
    this.#bn1 = this.child("bn1", new BatchNorm2d(stemWidth));
    if (big) this.#maxpool = this.child("maxpool", new MaxPool2d(3, 2, 1));
    let inplanes = stemWidth;
    c.layers.forEach((n, stage) => {
      const planes = c.widths[stage];
      const blocks: ResidualBlock[] = [];
      for (let b = 0; b < n; b++) {
        const stride = b === 0 && stage > 0 ? 2 : 1;
        blocks.push(
          new ResidualBlock(c.block, inplanes, planes, stride, paramSeed(c.seed, `layer${stage + 1}.${b}`)),
        );
        inplanes = planes * EXPANSION[c.block];
      }
      this.#stages.push(this.child(`layer${stage + 1}`, new Sequential(...blocks)));
    });
    this.#avgpool = this.child("avgpool", new AdaptiveAvgPool2d([1, 1]));
    if (c.numClasses > 0) {
      this.#fc = this.child("fc", new Linear(inplanes, c.numClasses, { seed: paramSeed(c.seed, "fc") }));
    }
  }

  /** Channels of the last feature map (2048 for resnet50). */
  get featureChannels(): number {
    return this.config.widths[this.config.layers.length - 1] * EXPANSION[this.config.block];
  }

  /** The last feature map [N, featureChannels, h, w] (the probes' input). */
  features(x: Tensor): Tensor {
    let h = relu(this.#bn1.call(this.#conv1.call(x, "conv1"), "bn1"));
    if (this.#maxpool) h = this.#maxpool.call(h, "maxpool");
    this.#stages.forEach((s, i) => (h = s.call(h, `layer${i + 1}`)));
    return h;
  }

  /** Logits [N, numClasses], or the feature map when headless. */
  forward(x: Tensor): Tensor {
    const f = this.features(x);
    if (!this.#fc) return f;
    const pooled = reshape(this.#avgpool.call(f, "avgpool"), [f.shape[0], f.shape[1]]);
    return this.#fc.call(pooled, "fc");
  }

  /** Name of the GradCAM target layer (the last block's last conv in the last stage). */
  get gradcamLayer(): string {
    const last = this.config.layers.length;
    return `layer${last}.${this.config.layers[last - 1] - 1}.conv${this.config.block === "basic" ? 2 : 3}`;
  }
}

/**
 * torchvision's resnet18 / resnet34 / resnet50 configurations.
 *
 * @example
 * ```ts ignore
 * const net = resnet("resnet50", { numClasses: 1000 });
 * console.log(net.parameterCount()); // 25557032
 * ```
 */
export function resnet(
  name: "resnet18" | "resnet34" | "resnet50",
  opts: Omit<ResNetConfig, "block" | "layers"> = {},
): ResNet {
  const presets = {
    resnet18: { block: "basic", layers: [2, 2, 2, 2] },
    resnet34: { block: "basic", layers: [3, 4, 6, 3] },
    resnet50: { block: "bottleneck", layers: [3, 4, 6, 3] },
  } as const;
  return new ResNet({ ...presets[name], layers: [...presets[name].layers], ...opts });
}
