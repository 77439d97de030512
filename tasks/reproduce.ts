/**
 * `deno task reproduce`: the experiment run. Until the full pipeline lands (data, probes, explainers,
 * report), it runs a short real job on the GPU: a 2-64-64-3 MLP trained full-batch with momentum SGD (fused update kernels)
 * on a generated three-arm spiral, then reports the adapter, the loss curve and train/test accuracy.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { backward, noGrad } from "../core/autograd.ts";
import { initGpu } from "../core/gpu/device.ts";
import * as ops from "../core/ops/mod.ts";
import { linear } from "../core/ops/matmul.ts";
import { crossEntropy } from "../core/ops/loss.ts";
import { fromArray, keep, type Tensor, tidy, tidyAsync } from "../core/tensor.ts";
import { SGD } from "../core/optim/sgd.ts";
import { runMain, UsageError } from "./cli.ts";

const HELP = `deno task reproduce [--steps N] [--seed S] [--json]

Trains a small MLP on a generated three-arm spiral on the WebGPU adapter and prints the adapter,
loss and accuracy (the full paper pipeline replaces this job as it lands).

  --steps N   training steps (default 400)
  --seed S    seed for data and initialisation (default 0)
  --json      print the result as one JSON object
  --help      this text`;

/** A three-arm spiral: `n` points per class, 2-D inputs, labels 0..2, seeded. */
function spiral(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  let s = (seed * 2654435761 + 12345) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const x = new Float32Array(3 * n * 2);
  const y = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < n; i++) {
      const r = i / n;
      const t = c * 4 + 4 * r + (rand() - 0.5) * 0.4;
      const k = c * n + i;
      x[2 * k] = r * Math.sin(t);
      x[2 * k + 1] = r * Math.cos(t);
      y[k] = c;
    }
  }
  return { x, y };
}

/**
 * Runs the job; returns the process exit code.
 *
 * @example
 * ```ts ignore
 * const code = await main(["--steps", "100"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        steps: { type: "string", default: "400" },
        seed: { type: "string", default: "0" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const steps = Number(values.steps);
  const seed = Number(values.seed);
  if (!Number.isInteger(steps) || steps < 1) {
    throw new UsageError(`--steps must be a positive integer, got ${values.steps}`);
  }
  if (!Number.isInteger(seed) || seed < 0) {
    throw new UsageError(`--seed must be a non-negative integer, got ${values.seed}`);
  }

  const { adapter } = await initGpu();
  const t0 = performance.now();
  const train = spiral(200, seed);
  const test = spiral(100, seed + 1);
  const dims = [2, 64, 64, 3];
  const params: Tensor[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const w = keep(ops.randNormal([dims[l + 1], dims[l]], seed * 16 + l, 0, Math.sqrt(2 / dims[l])));
    const b = keep(ops.zeros([dims[l + 1]]));
    for (const p of [w, b]) {
      p.requiresGrad = true;
      params.push(p);
    }
  }
  const forward = (x: Tensor) => {
    let h = x;
    for (let l = 0; l < params.length / 2; l++) {
      h = linear(h, params[2 * l], params[2 * l + 1]);
      if (l < params.length / 2 - 1) h = ops.relu(h);
    }
    return h;
  };
  const xTrain = keep(fromArray([600, 2], train.x));
  const yTrain = keep(fromArray([600], train.y));
  const losses = keep(ops.zeros([steps]));
  const optimizer = new SGD({ params, lr: 0.1, momentum: 0.9 });
  for (let step = 0; step < steps; step++) {
    tidy(() => {
      const loss = crossEntropy(forward(xTrain), yTrain);
      backward(loss);
      ops.assign(losses, loss, step);
      optimizer.step();
      optimizer.zeroGrad();
    });
  }
  const accuracy = (data: { x: Float32Array; y: Float32Array }) =>
    tidyAsync(async () => {
      const pred = await noGrad(() => ops.argmax(forward(fromArray([data.y.length, 2], data.x)), 1)).read();
      return pred.reduce((s, p, i) => s + (p === data.y[i] ? 1 : 0), 0) / data.y.length;
    });
  const curve = await losses.read();
  const result = {
    adapter: adapter.name,
    fallback: adapter.isFallback,
    steps,
    seed,
    firstLoss: curve[0],
    finalLoss: curve[steps - 1],
    trainAccuracy: await accuracy(train),
    testAccuracy: await accuracy(test),
    seconds: (performance.now() - t0) / 1000,
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`adapter: ${result.adapter}${result.fallback ? " (CPU fallback)" : ""}`);
    console.log(`MLP 2-64-64-3 on a 3-arm spiral, ${steps} full-batch steps, seed ${seed}`);
    console.log(`loss ${result.firstLoss.toFixed(4)} -> ${result.finalLoss.toFixed(4)}`);
    console.log(
      `accuracy: train ${(100 * result.trainAccuracy).toFixed(1)}%, test ${
        (100 * result.testAccuracy).toFixed(1)
      }%`,
    );
    console.log(`time: ${result.seconds.toFixed(2)} s`);
  }
  return 0;
}

if (import.meta.main) runMain("reproduce", main);
