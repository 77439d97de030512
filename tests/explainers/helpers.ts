/**
 * Small models for the explainer tests.
 *
 * @module
 */
import type { HostTensor } from "../../core/host_tensor.ts";
import { ResNet } from "../../core/models/resnet.ts";
import type { Module } from "../../core/nn/module.ts";
import { randomHost } from "../util/op_check.ts";

/**
 * The small bottleneck ResNet of the brief (16 x 16 inputs), in eval mode, with random BN statistics
 * and affine parameters so that it is not positively homogeneous.
 */
export function smallResNet(seed = 1, classes = 5): ResNet {
  const model = new ResNet({
    block: "bottleneck",
    layers: [1, 1, 1, 1],
    widths: [4, 8, 8, 8],
    numClasses: classes,
    stem: "small",
    seed,
  });
  randomiseBatchNorm(model, seed);
  return model.eval();
}

/** Random BN weights, biases and running statistics (keys ending in bn*.{...} / downsample.1.{...}). */
export function randomiseBatchNorm(model: Module, seed: number): void {
  const w = new Map<string, HostTensor>();
  let k = 0;
  for (const [name, t] of model.stateDict()) {
    const s = seed * 1000 + k++;
    if (name.endsWith("running_var")) w.set(name, randomHost([...t.shape], s, 0.5, 1.5));
    else if (name.endsWith("running_mean")) w.set(name, randomHost([...t.shape], s, -0.3, 0.3));
    else if (/(bn\d|downsample\.1)\.weight$/.test(name)) w.set(name, randomHost([...t.shape], s, 0.5, 1.5));
    else if (/(bn\d|downsample\.1)\.bias$/.test(name)) w.set(name, randomHost([...t.shape], s, -0.3, 0.3));
  }
  model.loadStateDict(w, { strict: false });
}

/** Sets every bias-like shift to zero (BN bias and running mean, linear / conv biases). */
export function zeroShifts(model: Module): void {
  const w = new Map<string, HostTensor>();
  for (const [name, t] of model.stateDict()) {
    if (name.endsWith("running_mean") || name.endsWith(".bias")) {
      w.set(name, { shape: [...t.shape], data: new Float32Array(t.size) });
    }
  }
  model.loadStateDict(w, { strict: false });
}
