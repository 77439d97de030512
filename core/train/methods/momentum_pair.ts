/**
 * The two-branch layout BYOL and MoCo v3 share: an online branch (backbone + MLP projector, then an MLP
 * predictor) trained by one optimiser, and a momentum branch (backbone + projector of the same shape)
 * kept as an exponential moving average of the online backbone and projector.
 *
 * @module
 */
import { paramSeed } from "../../nn/init.ts";
import { Ema } from "../../optim/ema.ts";
import type { Optimizer } from "../../optim/optimizer.ts";
import type { LrSchedule } from "../../optim/schedule.ts";
import { type ArchConfig, type Backbone, buildBackbone } from "../arch.ts";
import { MlpHead } from "../heads.ts";
import { makeOptimizer, makeSchedule, type OptimConfig } from "../optim_config.ts";

/** Options of {@link buildMomentumPair}. */
export interface MomentumPairOptions {
  /** The backbone of both branches. */
  arch: ArchConfig;
  /** Steps of the run (for the learning-rate schedule). */
  totalSteps: number;
  /** Projection width (default 64). */
  projDim?: number;
  /** Hidden width of projector and predictor (default 2 x feature width). */
  hidden?: number;
  /** Base momentum of the moving average (default 0.99). */
  momentum?: number;
  /** Optimiser (default `defaultOptim`). */
  optim?: OptimConfig;
  /** Layers of the projector (the predictor has 2). */
  projLayers: number;
  /** Parameter-free batch norm after the projector's last layer. */
  projLastBn?: boolean;
  /** The method's optimiser when `optim` is not given. */
  defaultOptim: OptimConfig;
}

/** The built branches, their moving average and the online branch's optimiser. */
export interface MomentumPair {
  /** The online backbone (the one a run exports). */
  online: Backbone;
  /** The online projector. */
  proj: MlpHead;
  /** The predictor (online branch only). */
  pred: MlpHead;
  /** The momentum backbone. */
  momentum: Backbone;
  /** The momentum projector. */
  momentumProj: MlpHead;
  /** Moving average of online backbone + projector into the momentum branch. */
  ema: Ema;
  /** The base momentum. */
  baseMomentum: number;
  /** Optimiser of the online backbone, projector and predictor. */
  optimizer: Optimizer;
  /** Learning rate by step. */
  schedule: LrSchedule;
}

/**
 * Builds both branches (the momentum branch starts as an exact copy: same seeds), the moving average
 * and the optimiser. B-cos backbones get B-cos heads.
 *
 * @example
 * ```ts ignore
 * const pair = buildMomentumPair({ arch: { name: "resnet_small" }, totalSteps: 500, projLayers: 2,
 *   defaultOptim: { kind: "adamw", lr: 1e-3, weightDecay: 1e-4 } });
 * ```
 */
export function buildMomentumPair(o: MomentumPairOptions): MomentumPair {
  const seed = o.arch.seed ?? 0;
  const online = buildBackbone(o.arch);
  const momentum = buildBackbone(o.arch);
  const D = online.featureDim, P = o.projDim ?? 64, H = o.hidden ?? 2 * D;
  const bcos = online.bcos;
  const proj = {
    inDim: D,
    hidden: H,
    outDim: P,
    layers: o.projLayers,
    bcos,
    lastBn: o.projLastBn ?? false,
    seed: paramSeed(seed, "proj"),
  };
  const pred = new MlpHead({
    inDim: P,
    hidden: H,
    outDim: P,
    layers: 2,
    bcos,
    seed: paramSeed(seed, "pred"),
  });
  const pair = { online, proj: new MlpHead(proj), pred, momentum, momentumProj: new MlpHead(proj) };
  const onlineParams = [...online.module.parameters(), ...pair.proj.parameters()];
  const momentumParams = [...momentum.module.parameters(), ...pair.momentumProj.parameters()];
  const baseMomentum = o.momentum ?? 0.99;
  const optim = o.optim ?? o.defaultOptim;
  return {
    ...pair,
    ema: new Ema({ params: onlineParams, shadow: momentumParams, decay: baseMomentum }),
    baseMomentum,
    optimizer: makeOptimizer([...onlineParams, ...pred.parameters()], optim),
    schedule: makeSchedule(optim, o.totalSteps),
  };
}
