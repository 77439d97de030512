/**
 * Probe heads (PROTOCOL.md §3), all applied per spatial location as 1x1 convolutions BEFORE global
 * average pooling, on a frozen backbone's feature map [N, D, h, w] (or cached features), or on ViT
 * tokens [N, T, D] (treated as a [N, D, T, 1] map, averaged over tokens, or the class token only).
 * - `linear`: Conv1x1(D -> C) (bias optional; init N(0, 0.01)), then GAP.
 * - `mlp`: Conv1x1 -> BN -> ReLU -> ... -> Conv1x1 (hidden width 2048 by default), then GAP.
 * - `bcos_mlp`: BcosConv1x1 (B = 2, no max-out) -> uncentred BN -> ... -> BcosConv1x1, then GAP, then
 *   the logit bias -log(C - 1).
 * The layers of a probe are named `probe.0`, `probe.1`, ... in the order they are applied, so LRP rules
 * and GradCAM can address them.
 *
 * @module
 */
import { BatchNorm2d } from "../nn/batchnorm.ts";
import { BcosConv2d, LogitBias } from "../nn/bcos.ts";
import { Conv2d } from "../nn/conv.ts";
import { paramSeed } from "../nn/init.ts";
import { Module } from "../nn/module.ts";
import { Lambda, Sequential } from "../nn/sequential.ts";
import { relu } from "../ops/elementwise.ts";
import { permute, reshape, slice } from "../ops/layout.ts";
import { randNormal } from "../ops/random.ts";
import { mean } from "../ops/reduce.ts";
import { assign } from "../ops/layout.ts";
import type { Tensor } from "../tensor.ts";

/** The kinds of probe of the paper. */
export type ProbeKind = "linear" | "mlp" | "bcos_mlp";

/** Configuration of a probe. */
export interface ProbeConfig {
  /** Probe type. */
  kind: ProbeKind;
  /** Feature channels D. */
  inChannels: number;
  /** Classes C. */
  numClasses: number;
  /** Layers (1 for linear; 2 or 3 for MLPs). */
  depth?: number;
  /** Hidden width of MLPs; default 2048. */
  hidden?: number;
  /** Bias of the linear probe; default true (use false on B-cos backbones). */
  bias?: boolean;
  /** For token inputs [N, T, D]: average all tokens (`mean`, default) or use the class token (`cls`). */
  tokenPool?: "mean" | "cls";
  /** Seed of the initialisation. */
  seed?: number;
}

/** A probe head. */
export class Probe extends Module {
  /** The configuration with defaults. */
  readonly config: Required<ProbeConfig>;
  readonly #body: Sequential;
  readonly #logit?: LogitBias;

  /**
   * @param config see {@link ProbeConfig}
   * @example
   * ```ts ignore
   * const probe = new Probe({ kind: "bcos_mlp", inChannels: 2048, numClasses: 1000, depth: 3 });
   * const logits = probe.call(features, "probe_head");
   * ```
   */
  constructor(config: ProbeConfig) {
    super();
    const c: Required<ProbeConfig> = {
      depth: config.kind === "linear" ? 1 : 2,
      hidden: 2048,
      bias: true,
      tokenPool: "mean",
      seed: 0,
      ...config,
    };
    if (c.kind === "linear" && c.depth !== 1) throw new RangeError("a linear probe has depth 1");
    if (c.kind !== "linear" && c.depth < 2) {
      throw new RangeError(`an MLP probe needs depth >= 2, got ${c.depth}`);
    }
    this.config = c;
    const layers: Module[] = [];
    for (let l = 0; l < c.depth; l++) {
      const inC = l === 0 ? c.inChannels : c.hidden;
      const outC = l === c.depth - 1 ? c.numClasses : c.hidden;
      const last = l === c.depth - 1;
      const seed = paramSeed(c.seed, `layer${l}`);
      if (c.kind === "bcos_mlp") {
        layers.push(new BcosConv2d(inC, outC, 1, { b: 2, maxOut: 1, seed }));
        if (!last) layers.push(new BatchNorm2d(outC, { centred: false }));
      } else {
        const conv = new Conv2d(inC, outC, 1, {
          bias: c.kind === "mlp" ? true : c.bias,
          init: "uniform",
          seed,
        });
        if (c.kind === "linear") {
          const w = randNormal(conv.weight.shape, paramSeed(seed, "normal"), 0, 0.01);
          assign(conv.weight, w);
          w.dispose();
        }
        layers.push(conv);
        if (!last) layers.push(new BatchNorm2d(outC), new Lambda(relu));
      }
    }
    this.#body = this.child("probe", new Sequential(...layers));
    if (c.kind === "bcos_mlp") {
      this.#logit = this.child("logit_layer", new LogitBias(-Math.log(c.numClasses - 1)));
    }
  }

  /** Per-location class scores [N, C, h, w] before pooling (what attribution maps are made from). */
  scoreMap(features: Tensor): Tensor {
    return this.#body.call(asMap(features, this.config.tokenPool), "probe");
  }

  /** Logits [N, C]: per-location scores averaged over locations (plus the B-cos logit bias). */
  forward(features: Tensor): Tensor {
    const pooled = mean(this.scoreMap(features), [2, 3]);
    return this.#logit ? this.#logit.call(pooled, "logit_layer") : pooled;
  }
}

/** Feature maps pass through; tokens [N, T, D] become [N, D, T, 1] (or the class token [N, D, 1, 1]). */
function asMap(features: Tensor, tokenPool: "mean" | "cls"): Tensor {
  if (features.rank === 4) return features;
  if (features.rank !== 3) {
    throw new RangeError(`probe input must be [N, D, h, w] or [N, T, D], got [${features.shape}]`);
  }
  const [N, T, D] = features.shape;
  const tokens = tokenPool === "cls" ? slice(features, [0, 0, 0], [N, 1, D]) : features;
  return reshape(permute(tokens, [0, 2, 1]), [N, D, tokenPool === "cls" ? 1 : T, 1]);
}

/**
 * The probe variants of the paper: linear-CE/BCE (the loss is chosen at training), MLP-2/3 and
 * B-cos MLP-2/3.
 *
 * @example
 * ```ts ignore
 * const p = probeFor("bcos_mlp3", 2048, 1000);
 * ```
 */
export function probeFor(
  name: "linear" | "mlp2" | "mlp3" | "bcos_mlp2" | "bcos_mlp3",
  inChannels: number,
  numClasses: number,
  opts: Partial<ProbeConfig> = {},
): Probe {
  const table = {
    linear: ["linear", 1],
    mlp2: ["mlp", 2],
    mlp3: ["mlp", 3],
    bcos_mlp2: ["bcos_mlp", 2],
    bcos_mlp3: ["bcos_mlp", 3],
  } as const;
  const [kind, depth] = table[name];
  return new Probe({ kind, depth, inChannels, numClasses, ...opts });
}
