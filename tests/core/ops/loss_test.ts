import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import { type BceReduction, bceTargets, bceWithLogits, crossEntropy } from "../../../core/ops/loss.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";
import type { HostTensor } from "../../../core/host_tensor.ts";
import assert from "node:assert/strict";

function labelsHost(n: number, C: number, seed: number): HostTensor {
  const h = randomHost([n], seed, 0, C);
  h.data.forEach((v, i) => (h.data[i] = Math.min(C - 1, Math.floor(v))));
  return h;
}

function probsHost(n: number, C: number, seed: number): HostTensor {
  const h = randomHost([n, C], seed, 0.05, 1);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += h.data[r * C + c];
    for (let c = 0; c < C; c++) h.data[r * C + c] /= s;
  }
  return h;
}

function ce64(z: Tensor64, t: Tensor64, reduction: string): Tensor64 {
  const [N, C] = z.shape;
  const per = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, z.data[n * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z.data[n * C + c] - mx);
    const lse = mx + Math.log(s);
    if (t.shape.length === 1) per[n] = lse - z.data[n * C + t.data[n]];
    else for (let c = 0; c < C; c++) per[n] += t.data[n * C + c] * (lse - z.data[n * C + c]);
  }
  if (reduction === "none") return { shape: [N], data: per };
  const total = per.reduce((a, b) => a + b, 0);
  return { shape: [], data: Float64Array.of(reduction === "mean" ? total / N : total) };
}

function bce64(z: Tensor64, t: Tensor64, reduction: BceReduction): Tensor64 {
  const per = z.data.map((x, i) => Math.max(x, 0) - x * t.data[i] + Math.log1p(Math.exp(-Math.abs(x))));
  if (reduction === "none") return { shape: [...z.shape], data: per };
  const total = per.reduce((a, b) => a + b, 0);
  const scale = reduction === "mean" ? 1 / per.length : reduction === "sum" ? 1 : 1 / z.shape[0];
  return { shape: [], data: Float64Array.of(total * scale) };
}

const SHAPES: [number, number][] = [[1, 1], [1, 7], [7, 3], [33, 5], [4, 130], [130, 2]];

Deno.test("crossEntropy: class-index targets, all reductions, forward and logit gradient", async () => {
  for (const [k, [N, C]] of SHAPES.entries()) {
    for (const reduction of ["mean", "sum", "none"] as const) {
      await checkOp({
        name: `ce index [${N}, ${C}] ${reduction}`,
        inputs: [randomHost([N, C], 70 + k, -3, 3), labelsHost(N, C, 80 + k)],
        grad: [true, false],
        gpu: (z, t) => crossEntropy(z, t, reduction),
        cpu: (z, t) => ce64(z, t, reduction),
        tol: 2e-6,
      });
    }
  }
});

Deno.test("crossEntropy: soft targets, gradients for logits and targets", async () => {
  for (const [k, [N, C]] of SHAPES.slice(0, 5).entries()) {
    for (const reduction of ["mean", "none"] as const) {
      await checkOp({
        name: `ce soft [${N}, ${C}] ${reduction}`,
        inputs: [randomHost([N, C], 90 + k, -3, 3), probsHost(N, C, 100 + k)],
        gpu: (z, t) => crossEntropy(z, t, reduction),
        cpu: (z, t) => ce64(z, t, reduction),
        tol: 2e-6,
      });
    }
  }
});

Deno.test("bceWithLogits: all reductions, gradients for logits and targets", async () => {
  const reductions: BceReduction[] = ["mean", "sum_over_classes_mean_over_batch", "sum", "none"];
  for (const [k, [N, C]] of SHAPES.entries()) {
    for (const reduction of reductions) {
      await checkOp({
        name: `bce [${N}, ${C}] ${reduction}`,
        inputs: [randomHost([N, C], 110 + k, -6, 6), randomHost([N, C], 120 + k, 0, 1)],
        gpu: (z, t) => bceWithLogits(z, t, { reduction }),
        cpu: (z, t) => bce64(z, t, reduction),
        tol: 2e-6,
      });
    }
  }
});

Deno.test("bceWithLogits: stable for extreme logits; bceTargets uses off-value 1/C", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const z = fromArray([1, 4], [100, -100, 30, -30]);
    const t = fromArray([1, 4], [1, 0, 0.5, 0.5]);
    const l = await bceWithLogits(z, t, { reduction: "none" }).read();
    const ref = bce64({ shape: [1, 4], data: Float64Array.from([100, -100, 30, -30]) }, {
      shape: [1, 4],
      data: Float64Array.from([1, 0, 0.5, 0.5]),
    }, "none").data;
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs(l[i] - ref[i]) <= 1e-6 * Math.max(1, ref[i]), `${l[i]} vs ${ref[i]}`);
    }
    const targets = await bceTargets(fromArray([2], [1, 3]), 4).read();
    assert.deepEqual([...targets], [0.25, 1, 0.25, 0.25, 0.25, 0.25, 0.25, 1]);
    const bad = await crossEntropy(fromArray([1, 3], [1, 2, 3]), fromArray([1], [3])).read();
    assert.ok(Number.isNaN(bad[0]));
  });
});
