/**
 * The backbones that training and probing build by name, with the facts the pipelines need: input
 * channels and encoding (B-cos backbones take `[x, 1 - x]` of the RGB-replicated image, 6 channels),
 * the feature map probes read, the pooled embedding SSL heads read, and whether inputs must have the
 * training size (ViTs have a fixed positional grid).
 *
 * | name | model |
 * | --- | --- |
 * | `resnet_small` | ResNet, basic blocks [1, 1, 1, 1], widths [8, 16, 32, 64], 3x3 stem, 1 channel |
 * | `bcos_resnet_small` | B-cos ResNet of the same shape, 6 channels |
 * | `resnet_tiny` / `bcos_resnet_tiny` | three stages [1, 1, 1], widths [8, 16, 32] |
 * | `vit_tiny` / `bcos_vit_tiny` | ViT (B-cos ViTc) on 28 px, patch 4, 2 blocks, 2 heads, width 32, MLP 64 |
 * | `resnet50` / `bcos_resnet50` | torchvision ResNet-50 / B-cos ResNet-50 (ImageNet stem, 3 / 6 channels) |
 * | `vit_b_16` | torchvision ViT-B/16 at 224 px, 3 channels |
 * | `bcos_vitc_s_16` / `bcos_vitc_b_16` | B-cos ViTc-S/16 / B/16 at 224 px, 6 channels |
 *
 * The full-size networks are built for loading released checkpoints (`importBackbone`); training them
 * needs a GPU server.
 *
 * `widths` and `layers` overrides apply to the ResNets. `inChannels` overrides the input channels of the
 * conventional small networks (1 by default, gray Fashion-MNIST): 3 makes `resnet_tiny` & co. read RGB
 * images (ImageNet-format data); B-cos networks always take the 6-channel encoding and the full-size
 * conventional ones 3 channels, so other values are rejected there.
 *
 * @module
 */
import { BcosResNet } from "../models/bcos_resnet.ts";
import { BcosVisionTransformer } from "../models/bcos_vit.ts";
import { ResNet } from "../models/resnet.ts";
import { VisionTransformer } from "../models/vit.ts";
import type { Module } from "../nn/module.ts";
import { reshape, slice } from "../ops/layout.ts";
import { mean } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";

/** Names accepted by {@link buildBackbone}. */
export const ARCH_NAMES = [
  "resnet_small",
  "bcos_resnet_small",
  "resnet_tiny",
  "bcos_resnet_tiny",
  "vit_tiny",
  "bcos_vit_tiny",
  "resnet50",
  "bcos_resnet50",
  "vit_b_16",
  "bcos_vitc_s_16",
  "bcos_vitc_b_16",
] as const;

/** A backbone name. */
export type ArchName = typeof ARCH_NAMES[number];

/** The backbones that train and probe on 28 px Fashion-MNIST (`deno task pretrain`, `deno task probe`). */
export const FASHION_ARCH_NAMES: readonly ArchName[] = ARCH_NAMES.filter((n) => /_(small|tiny)$/.test(n));

/** How a backbone is built (recorded next to its weights). */
export interface ArchConfig {
  /** The preset. */
  name: ArchName;
  /** ResNet widths per stage (overrides the preset). */
  widths?: number[];
  /** ResNet blocks per stage (overrides the preset). */
  layers?: number[];
  /** Input channels of a conventional small network (default 1; see the module docs). */
  inChannels?: number;
  /** Initialisation seed. */
  seed?: number;
}

/** A headless backbone with what the pipelines need to know about it. */
export interface Backbone {
  /** The configuration it was built from. */
  readonly config: ArchConfig;
  /** The network (headless: its forward returns the feature map or tokens). */
  readonly module: Module;
  /** True for B-cos backbones (B-cos heads, 6-channel encoded inputs, no probe bias). */
  readonly bcos: boolean;
  /** Input channels after encoding (1 for gray conventional, 6 for B-cos). */
  readonly inChannels: number;
  /** Width D of the features. */
  readonly featureDim: number;
  /** Inputs must have this side (ViTs), or null when any size works. */
  readonly fixedSize: number | null;
  /** The probes' input: feature map [N, D, h, w] or tokens [N, T, D]. */
  featureMap(x: Tensor): Tensor;
  /** Pooled features [N, D] (global average pool; the class token for torchvision ViTs). */
  embed(x: Tensor): Tensor;
}

/**
 * True for the B-cos presets.
 *
 * @example
 * ```ts
 * import { isBcosArch } from "./arch.ts";
 * console.log(isBcosArch("bcos_resnet_small")); // true
 * ```
 */
export function isBcosArch(name: ArchName): boolean {
  return name.startsWith("bcos_");
}

function inputChannels(config: ArchConfig, bcos: boolean, full: boolean): number {
  const fixed = bcos ? 6 : full ? 3 : null;
  const wanted = config.inChannels;
  if (wanted === undefined) return fixed ?? 1;
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw new RangeError(`${config.name}: inChannels must be a positive integer, got ${wanted}`);
  }
  if (fixed !== null && wanted !== fixed) {
    throw new RangeError(`${config.name}: inChannels is fixed at ${fixed}, got ${wanted}`);
  }
  return wanted;
}

/**
 * Builds a headless backbone from a preset.
 *
 * @example
 * ```ts ignore
 * const bb = buildBackbone({ name: "bcos_resnet_small", seed: 0 });
 * const f = bb.featureMap(x); // [N, 64, 4, 4] at 28 px
 * ```
 */
export function buildBackbone(config: ArchConfig): Backbone {
  const seed = config.seed ?? 0;
  const name = config.name;
  if (!(ARCH_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(`unknown architecture '${name}' (known: ${ARCH_NAMES.join(", ")})`);
  }
  const bcos = isBcosArch(name);
  const full = name.endsWith("50") || name.endsWith("_16");
  const inChannels = inputChannels(config, bcos, full);
  if (name.includes("resnet")) {
    const tiny = name.endsWith("tiny");
    const widths = config.widths ?? (full ? [64, 128, 256, 512] : tiny ? [8, 16, 32] : [8, 16, 32, 64]);
    const layers = config.layers ?? (full ? [3, 4, 6, 3] : widths.map(() => 1));
    if (widths.length !== layers.length) {
      throw new RangeError(`widths [${widths}] and layers [${layers}] differ in length`);
    }
    const common = {
      block: full ? "bottleneck" as const : "basic" as const,
      layers,
      widths,
      numClasses: 0,
      stem: full ? "imagenet" as const : "small" as const,
      inChannels,
      seed,
    };
    const net = bcos ? new BcosResNet(common) : new ResNet(common);
    return {
      config: { ...config, widths, layers, seed },
      module: net,
      bcos,
      inChannels,
      featureDim: net.featureChannels,
      fixedSize: null,
      featureMap: (x) => net.forward(x),
      embed: (x) => mean(net.forward(x), [2, 3]),
    };
  }
  const vit = full
    ? {
      imageSize: 224,
      patchSize: 16,
      numLayers: 12,
      ...(name === "bcos_vitc_s_16"
        ? { numHeads: 6, hiddenDim: 384, mlpDim: 1536 }
        : { numHeads: 12, hiddenDim: 768, mlpDim: 3072 }),
    }
    : { imageSize: 28, patchSize: 4, numLayers: 2, numHeads: 2, hiddenDim: 32, mlpDim: 64 };
  if (bcos) {
    const net = new BcosVisionTransformer({ ...vit, numClasses: 0, inChannels, seed });
    return {
      config: { ...config, seed },
      module: net,
      bcos,
      inChannels,
      featureDim: vit.hiddenDim,
      fixedSize: vit.imageSize,
      featureMap: (x) => net.forward(x),
      embed: (x) => mean(net.forward(x), 1),
    };
  }
  const net = new VisionTransformer({ ...vit, numClasses: 0, inChannels, seed });
  return {
    config: { ...config, seed },
    module: net,
    bcos,
    inChannels,
    featureDim: vit.hiddenDim,
    fixedSize: vit.imageSize,
    featureMap: (x) => net.forward(x),
    embed: (x) => {
      const t = net.forward(x);
      const [B, , D] = t.shape;
      return reshape(slice(t, [0, 0, 0], [B, 1, D]), [B, D]);
    },
  };
}
