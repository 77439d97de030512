/**
 * Pre-training methods and their augmentation views by name, from one JSON-able configuration
 * (recorded in checkpoints and next to exported backbones).
 *
 * @module
 */
import type { Transform } from "../../data/transforms.ts";
import { type ArchConfig, isBcosArch } from "../arch.ts";
import { type AugmentKind, viewTransform } from "../augment.ts";
import type { OptimConfig } from "../optim_config.ts";
import type { PretrainMethod } from "./base.ts";
import { ByolMethod } from "./byol.ts";
import { DinoMethod } from "./dino.ts";
import { MocoV2Method } from "./mocov2.ts";
import { MocoV3Method } from "./mocov3.ts";
import { SupervisedMethod } from "./supervised.ts";

/** The pre-training methods. */
export const METHOD_NAMES = ["supervised", "mocov2", "byol", "dino", "mocov3"] as const;

/** A pre-training method name. */
export type MethodName = typeof METHOD_NAMES[number];

/** Everything that defines a pre-training run's method. */
export interface PretrainConfig {
  /** Method. */
  method: MethodName;
  /** Backbone. */
  arch: ArchConfig;
  /** Classes (supervised). */
  numClasses: number;
  /** Steps of the run. */
  totalSteps: number;
  /** Optimiser (default: the method's). */
  optim?: OptimConfig;
  /** Supervised loss (default: `bce` for B-cos, `ce` otherwise). */
  loss?: "ce" | "bce";
  /** Augmentation of supervised training (default `light`). */
  augment?: AugmentKind;
  /** Image side (default 28). */
  imageSize?: number;
  /** DINO local crops (default 4). */
  localCrops?: number;
  /** DINO local crop side (default 12; ViTs use the image side). */
  localSize?: number;
  /** MoCo v2 queue length (default 1024). */
  queueSize?: number;
  /** DINO temperatures and last-layer freezing (default: teacher 0.04, no warm-up, no freezing). */
  dino?: DinoSchedule;
}

/** DINO's teacher-temperature schedule and last-layer freezing, in steps. */
export interface DinoSchedule {
  /** Teacher temperature after the warm-up. */
  teacherTemp: number;
  /** Teacher temperature at step 0. */
  warmupTeacherTemp: number;
  /** Steps of the linear warm-up. */
  warmupTeacherSteps: number;
  /** Steps during which the head's last layer is not updated. */
  freezeLastLayerSteps: number;
}

/**
 * Builds the method of a configuration.
 *
 * @example
 * ```ts ignore
 * const m = buildPretrainMethod({ method: "byol", arch: { name: "resnet_small" }, numClasses: 10, totalSteps: 400 });
 * ```
 */
export function buildPretrainMethod(c: PretrainConfig): PretrainMethod {
  switch (c.method) {
    case "supervised":
      return new SupervisedMethod({
        arch: c.arch,
        numClasses: c.numClasses,
        totalSteps: c.totalSteps,
        loss: c.loss,
        optim: c.optim,
      });
    case "mocov2":
      return new MocoV2Method({
        arch: c.arch,
        totalSteps: c.totalSteps,
        optim: c.optim,
        queueSize: c.queueSize,
      });
    case "byol":
      return new ByolMethod({ arch: c.arch, totalSteps: c.totalSteps, optim: c.optim });
    case "dino":
      return new DinoMethod({ arch: c.arch, totalSteps: c.totalSteps, optim: c.optim, ...c.dino });
    case "mocov3":
      return new MocoV3Method({ arch: c.arch, totalSteps: c.totalSteps, optim: c.optim });
    default:
      throw new RangeError(
        `unknown method '${(c as PretrainConfig).method}' (known: ${METHOD_NAMES.join(", ")})`,
      );
  }
}

/**
 * The augmentation of each view a method consumes: supervised one `light` view; MoCo v2, BYOL and
 * MoCo v3 two strong views; DINO two global crops (area 0.35-1) and `localCrops` local crops (area
 * 0.1-0.35) of `localSize` pixels. B-cos backbones get the 6-channel encoding appended.
 *
 * @example
 * ```ts ignore
 * const views = pretrainViews({ method: "dino", arch: { name: "resnet_small" }, numClasses: 10, totalSteps: 1 });
 * ```
 */
export function pretrainViews(c: PretrainConfig): (Transform | undefined)[] {
  const bcos = isBcosArch(c.arch.name);
  const size = c.imageSize ?? 28;
  switch (c.method) {
    case "supervised":
      return [viewTransform({ size, kind: c.augment ?? "light", bcos })];
    case "mocov2":
    case "byol":
    case "mocov3":
      return [0, 1].map(() => viewTransform({ size, kind: "ssl", bcos }));
    case "dino": {
      const localSize = c.arch.name.includes("vit") ? size : c.localSize ?? 12;
      const global = viewTransform({ size, kind: "ssl", scale: [0.35, 1], bcos });
      const local = viewTransform({ size: localSize, kind: "ssl", scale: [0.1, 0.35], bcos });
      return [global, global, ...Array.from({ length: c.localCrops ?? 4 }, () => local)];
    }
  }
}
