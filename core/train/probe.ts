/**
 * Probe training on frozen, cached features (PROTOCOL.md §3): a {@link Probe} (linear, MLP-2/3, B-cos
 * MLP-2/3) trained with softmax CE, BCE with uniform off-labels `1/C` (single-label), or plain 0/1 BCE
 * (multi-label), summed over classes and averaged over the batch; Adam, lr 1e-3, linear warm-up
 * (5% of the steps, from 0.01 x) then cosine to 0 by default. Runs through {@link trainLoop}, so probe
 * runs checkpoint and resume like pre-training. Evaluation: top-1 accuracy, or multi-label F1.
 *
 * Two ways to feed it: cached features (computed once on un-augmented images, the fast default; a
 * deviation from the paper, which trains probes on random resized crops and flips), or image batches
 * run through a {@link FrozenBackbone} each step, so that every step sees freshly augmented images as in
 * the paper (PROTOCOL.md §3), at the cost of a backbone forward pass per step.
 *
 * @module
 */
import { backward, noGrad } from "../autograd.ts";
import type { HostTensor } from "../host_tensor.ts";
import { type Probe, type ProbeConfig, probeFor } from "../models/probes.ts";
import type { Module } from "../nn/module.ts";
import { reshape } from "../ops/layout.ts";
import { bceTargets, bceWithLogits, crossEntropy } from "../ops/loss.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import type { LrSchedule } from "../optim/schedule.ts";
import { fromArray, type Tensor } from "../tensor.ts";
import { multiLabelF1, topOneAccuracy } from "../../metrics/classification.ts";
import type { Transform } from "../data/transforms.ts";
import type { Backbone } from "./arch.ts";
import type { ImageSet } from "./data.ts";
import { type FeatureReduction, reduceFeatures } from "./features.ts";
import { predict } from "./evaluate.ts";
import type { StepContext, TrainBatch, TrainMethod } from "./method.ts";
import { makeOptimizer, makeSchedule, type OptimConfig } from "./optim_config.ts";

/** The probe heads by name. */
export const PROBE_NAMES = ["linear", "mlp2", "mlp3", "bcos_mlp2", "bcos_mlp3"] as const;

/** A probe name. */
export type ProbeName = typeof PROBE_NAMES[number];

/** A frozen backbone that turns each step's images into the probe's input. */
export interface FrozenBackbone {
  /** The backbone; kept in evaluation mode, never updated. */
  backbone: Backbone;
  /** What the probe sees of the features: the map, or its mean (enough for a linear probe). */
  reduce: FeatureReduction;
}

/** Options of {@link ProbeMethod}. */
export interface ProbeOptions {
  /** Probe head. */
  probe: ProbeName;
  /** Feature width D. */
  inChannels: number;
  /** Classes C. */
  numClasses: number;
  /** `ce` (single-label only) or `bce`. */
  loss: "ce" | "bce";
  /** Target of the other classes in single-label BCE (default `1/C`, PROTOCOL.md §3; 0: one-hot). */
  bceOffLabel?: number;
  /** Multi-label targets (plain 0/1 BCE). */
  multiLabel?: boolean;
  /** Bias of the linear probe (default true; false on B-cos backbones). */
  bias?: boolean;
  /** Hidden width of MLP probes (default 256; the paper uses 2048 on ResNet-50's 2048 channels). */
  hidden?: number;
  /** Features are ViT tokens [N, T, D] (stored as [T, D, 1] items). */
  tokens?: boolean;
  /** Steps of the run. */
  totalSteps: number;
  /** Optimiser (default Adam lr 1e-3, no weight decay, 5% warm-up). */
  optim?: OptimConfig;
  /** Initialisation seed. */
  seed?: number;
  /** Train on image batches through this backbone (augmented training) instead of feature batches. */
  frozen?: FrozenBackbone;
}

/** Trains a probe head on feature batches, or on image batches through a frozen backbone. */
export class ProbeMethod implements TrainMethod {
  readonly name = "probe";
  readonly modules: Readonly<Record<string, Module>>;
  readonly optimizer: Optimizer;
  /** The probe. */
  readonly probe: Probe;
  /** Target of the other classes in single-label BCE (`bceOffLabel`, else 1/C); null for CE and multi-label. */
  readonly bceOffLabel: number | null;
  readonly #o: ProbeOptions;
  readonly #schedule: LrSchedule;

  /**
   * Creates the instance.
   *
   * @param o probe, inChannels, numClasses, loss, multiLabel, bias, hidden, totalSteps, optim, seed
   * @example
   * ```ts ignore
   * const m = new ProbeMethod({ probe: "linear", inChannels: 64, numClasses: 10, loss: "bce", totalSteps: 500 });
   * ```
   */
  constructor(o: ProbeOptions) {
    if (o.multiLabel && o.loss === "ce") throw new RangeError("multi-label probes are trained with BCE");
    this.#o = o;
    this.bceOffLabel = o.loss === "bce" && !o.multiLabel ? o.bceOffLabel ?? 1 / o.numClasses : null;
    const cfg: Partial<ProbeConfig> = { hidden: o.hidden ?? 256, seed: o.seed ?? 0 };
    if (o.bias !== undefined) cfg.bias = o.bias;
    this.probe = probeFor(o.probe, o.inChannels, o.numClasses, cfg);
    this.modules = { probe: this.probe };
    const optim = o.optim ?? { kind: "adam", lr: 1e-3, weightDecay: 0, warmupFraction: 0.05 };
    this.optimizer = makeOptimizer(this.probe.parameters(), optim);
    this.#schedule = makeSchedule(optim, o.totalSteps);
    o.frozen?.backbone.module.eval();
  }

  /** Feature batch tensor in the layout the probe expects. */
  input(v: { data: Float32Array; shape: readonly number[] }): Tensor {
    const [B, a, b, c] = v.shape;
    return fromArray(this.#o.tokens ? [B, a, b] : [B, a, b, c], v.data);
  }

  /** Logits of a feature batch uploaded as `[B, ...itemShape]` (tokens are reshaped to [B, T, D]). */
  logits(x: Tensor): Tensor {
    const [B, a, b] = x.shape;
    return this.probe.forward(this.#o.tokens && x.rank === 4 ? reshape(x, [B, a, b]) : x);
  }

  /** The training loss of logits against the batch labels. */
  lossOf(logits: Tensor, labels: Float32Array): Tensor {
    const [B, C] = logits.shape;
    const reduction = { reduction: "sum_over_classes_mean_over_batch" } as const;
    if (this.#o.multiLabel) return bceWithLogits(logits, fromArray([B, C], labels), reduction);
    const y = fromArray([B], labels);
    if (this.#o.loss === "ce") return crossEntropy(logits, y);
    return bceWithLogits(logits, bceTargets(y, C, this.bceOffLabel!), reduction);
  }

  /** The frozen backbone's features of an image batch, as the probe sees them (no gradient). */
  featuresOf(images: Tensor): Tensor {
    const frozen = this.#o.frozen;
    if (!frozen) throw new Error("ProbeMethod.featuresOf: this probe has no frozen backbone");
    return noGrad(() => reduceFeatures(frozen.backbone.featureMap(images), frozen.reduce));
  }

  /** The probe's input of a training batch: the features, or the frozen backbone's on the images. */
  trainingInput(view: { data: Float32Array; shape: readonly number[] }): Tensor {
    return this.#o.frozen ? this.featuresOf(fromArray(view.shape, view.data)) : this.input(view);
  }

  /** One step on a batch of features (or of images, with a frozen backbone). */
  step(batch: TrainBatch, ctx: StepContext): Tensor {
    this.optimizer.lr = this.#schedule(ctx.step);
    const loss = this.lossOf(this.logits(this.trainingInput(batch.views[0])), batch.labels);
    backward(loss);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    return loss;
  }

  /** Training or evaluation mode. */
  setTraining(on: boolean): void {
    this.probe.train(on);
  }

  /** Frees the probe and the optimiser state (not a frozen backbone: it belongs to the caller). */
  dispose(): void {
    this.optimizer.dispose();
    this.probe.dispose();
  }
}

/** Evaluation of a probe. */
export interface ProbeScores {
  /** Top-1 accuracy in [0, 1] (single-label). */
  accuracy?: number;
  /** Micro F1 (multi-label). */
  microF1?: number;
  /** Macro F1 (multi-label). */
  macroF1?: number;
  /** The logits [n, C]. */
  logits: HostTensor;
}

/**
 * Scores a trained probe on a feature set (eval mode): accuracy, or F1 at sigmoid > 0.5 when the set
 * is multi-label. With `images`, the set holds images that go through the probe's frozen backbone.
 *
 * @example
 * ```ts ignore
 * const { accuracy } = await evaluateProbe(method, testFeatures);
 * ```
 */
export async function evaluateProbe(
  method: ProbeMethod,
  set: ImageSet,
  opts: { images?: boolean; transform?: Transform } = {},
): Promise<ProbeScores> {
  const was = method.probe.training;
  method.setTraining(false);
  try {
    const input = (x: Tensor) => opts.images ? method.featuresOf(x) : x;
    const logits = await predict((x) => method.logits(input(x)), set, { transform: opts.transform });
    if (set.multiLabel) {
      const f1 = multiLabelF1(logits, { shape: [set.n, set.numClasses], data: set.labels });
      return { microF1: f1.microF1, macroF1: f1.macroF1, logits };
    }
    return { accuracy: topOneAccuracy(logits, set.labels), logits };
  } finally {
    method.setTraining(was);
  }
}
