/**
 * Runs a few steps of a pre-training method on a fixed batch of tiny Fashion-MNIST data and returns the
 * loss of each step (one readback per step is fine in a test).
 *
 * @module
 */
import { initGpu } from "../../../core/gpu/device.ts";
import "../../../core/ops/mod.ts";
import { loadFashionMnist } from "../../../core/data/fashion_mnist.ts";
import { Rng } from "../../../core/data/rng.ts";
import { tidy } from "../../../core/tensor.ts";
import type { ArchName } from "../../../core/train/arch.ts";
import { fashionImageSet, ViewBatcher } from "../../../core/train/data.ts";
import type { PretrainMethod } from "../../../core/train/methods/base.ts";
import { type MethodName, type PretrainConfig, pretrainViews } from "../../../core/train/methods/build.ts";

/** The smallest backbone of an arch family: three stages of widths [4, 8, 8]. */
export function tinyConfig(method: MethodName, arch: ArchName, steps: number): PretrainConfig {
  return {
    method,
    arch: { name: arch, seed: 1, widths: [4, 8, 8] },
    numClasses: 10,
    totalSteps: steps,
    queueSize: 8,
    localCrops: 1,
    optim: { kind: "adamw", lr: 3e-3, weightDecay: 0, warmupFraction: 0 },
  };
}

/** Losses of `steps` steps (from step `first`) of `method` on one batch of 8 images (views per `cfg`). */
export async function lossCurve(
  method: PretrainMethod,
  cfg: PretrainConfig,
  steps: number,
  first = 0,
): Promise<number[]> {
  await initGpu();
  const set = fashionImageSet(await loadFashionMnist({ split: "train", limit: 8 }));
  const data = new ViewBatcher({ set, batchSize: 8, views: pretrainViews(cfg), seed: 1 });
  const batch = data.batch(0, 0);
  const rng = new Rng(0);
  const losses: number[] = [];
  for (let step = first; step < first + steps; step++) {
    const loss = tidy(() => method.step(batch, { step, totalSteps: first + steps, epoch: 0, rng }).keep());
    losses.push((await loss.read())[0]);
    loss.dispose();
  }
  return losses;
}

/** Mean of a slice. */
export function meanOf(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}
