/**
 * A tiny regression method and data source for loop tests: a linear layer fitted to a fixed target by
 * Adam, with an optional NaN injected into the data of one step.
 *
 * @module
 */
import { backward } from "../../../core/autograd.ts";
import { Linear } from "../../../core/nn/linear.ts";
import type { Module } from "../../../core/nn/module.ts";
import { mean, square, sub } from "../../../core/ops/mod.ts";
import { Adam } from "../../../core/optim/adam.ts";
import type { Optimizer } from "../../../core/optim/optimizer.ts";
import { fromArray, type Tensor } from "../../../core/tensor.ts";
import type { BatchSource } from "../../../core/train/loop.ts";
import type { StepContext, TrainBatch, TrainMethod } from "../../../core/train/method.ts";

/** y = x · [1, -2, 3, 0.5] fitted by a Linear(4, 1). */
export class ToyMethod implements TrainMethod {
  readonly name = "toy";
  readonly modules: Record<string, Module>;
  readonly optimizer: Optimizer;
  readonly layer: Linear;
  /** Called at the start of every step (tests hook SIGINT here). */
  onStep?: (ctx: StepContext) => void;

  constructor(seed = 0) {
    this.layer = new Linear(4, 1, { seed });
    this.modules = { net: this.layer };
    this.optimizer = new Adam({ params: this.layer.parameters(), lr: 0.3 });
  }

  step(batch: TrainBatch, ctx: StepContext): Tensor {
    this.onStep?.(ctx);
    const v = batch.views[0];
    const x = fromArray([v.shape[0], 4], v.data);
    const y = fromArray([v.shape[0], 1], batch.labels);
    const loss = mean(square(sub(this.layer.forward(x), y)));
    backward(loss);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    return loss;
  }

  setTraining(on: boolean): void {
    this.layer.train(on);
  }

  dispose(): void {
    this.optimizer.dispose();
    this.layer.dispose();
  }
}

/** Deterministic batches of 8 rows of 4 features; `nanAt` puts a NaN into that global step's data. */
export class ToyData implements BatchSource {
  readonly batchesPerEpoch = 4;
  constructor(readonly nanAt = -1) {}

  batch(epoch: number, index: number): TrainBatch {
    const step = epoch * this.batchesPerEpoch + index;
    const data = new Float32Array(32);
    const labels = new Float32Array(8);
    for (let r = 0; r < 8; r++) {
      let y = 0;
      for (let c = 0; c < 4; c++) {
        const v = Math.sin(1.3 * (r + 8 * index) + 0.7 * c + 0.1 * epoch);
        data[r * 4 + c] = v;
        y += v * [1, -2, 3, 0.5][c];
      }
      labels[r] = y;
    }
    if (step === this.nanAt) data[5] = NaN;
    return { views: [{ data, shape: [8, 4, 1, 1] }], labels, size: 8, indices: [] };
  }
}
