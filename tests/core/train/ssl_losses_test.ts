import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import "../../../core/ops/mod.ts";
import { add } from "../../../core/ops/elementwise.ts";
import { fromHost, keep, tidyAsync } from "../../../core/tensor.ts";
import {
  byolLoss,
  dinoLoss,
  infoNceLoss,
  l2Normalize,
  mocoV3Loss,
  updateCenter,
} from "../../../core/train/ssl_losses.ts";
import { cosineMomentum } from "../../../core/train/methods/byol.ts";
import { assertClose } from "../../util/assert_close.ts";
import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";

await initGpu();

// ---- plain float64 references ---------------------------------------------------------------------

function rows(x: Tensor64): number[][] {
  const d = x.shape[x.shape.length - 1];
  return Array.from({ length: x.data.length / d }, (_, i) => Array.from(x.data.subarray(i * d, (i + 1) * d)));
}
function unit(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, a) => s + a * a, 0) + 1e-12);
  return v.map((a) => a / n);
}
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const scalar = (v: number): Tensor64 => ({ shape: [], data: Float64Array.of(v) });
function logSoftmax(v: number[]): number[] {
  const m = Math.max(...v);
  const lse = m + Math.log(v.reduce((s, a) => s + Math.exp(a - m), 0));
  return v.map((a) => a - lse);
}

function infoNceRef(q: Tensor64, k: Tensor64, queue: Tensor64, t: number): Tensor64 {
  const Q = rows(q).map(unit), K = rows(k).map(unit), Z = rows(queue).map(unit);
  let total = 0;
  Q.forEach((qi, i) => {
    const logits = [dot(qi, K[i]) / t, ...Z.map((z) => dot(qi, z) / t)];
    total -= logSoftmax(logits)[0];
  });
  return scalar(total / Q.length);
}

/** MoCo v3's ctr(q, k): mean over rows of -log softmax(q_i . k_j / t)_i, times 2 t. */
function mocoV3Ref(q: Tensor64, k: Tensor64, t: number): number {
  const Q = rows(q).map(unit), K = rows(k).map(unit);
  let total = 0;
  Q.forEach((qi, i) => (total -= logSoftmax(K.map((kj) => dot(qi, kj) / t))[i]));
  return 2 * t * total / Q.length;
}

function byolRef(p: Tensor64, z: Tensor64): Tensor64 {
  const P = rows(p).map(unit), Z = rows(z).map(unit);
  return scalar(P.reduce((s, pi, i) => s + 2 - 2 * dot(pi, Z[i]), 0) / P.length);
}

function dinoRef(
  student: Tensor64[],
  teacher: Tensor64[],
  center: Tensor64,
  ts: number,
  tt: number,
): Tensor64 {
  const c = Array.from(center.data);
  const targets = teacher.map((t) =>
    rows(t).map((r) => logSoftmax(r.map((v, j) => (v - c[j]) / tt)).map(Math.exp))
  );
  const logs = student.map((s) => rows(s).map((r) => logSoftmax(r.map((v) => v / ts))));
  let total = 0, pairs = 0;
  targets.forEach((tq, i) => {
    logs.forEach((ls, v) => {
      if (v === i) return;
      let ce = 0;
      tq.forEach((row, n) => (ce -= dot(row, ls[n])));
      total += ce / tq.length;
      pairs++;
    });
  });
  return scalar(total / pairs);
}

// ---- tests ------------------------------------------------------------------------------------------

Deno.test("l2Normalize: unit rows, matching the CPU reference, with gradient", async () => {
  for (const shape of [[1, 7], [5, 3], [2, 33]]) {
    await checkOp({
      name: `l2Normalize [${shape}]`,
      inputs: [randomHost(shape, shape[1])],
      gpu: (x) => l2Normalize(x),
      cpu: (x) => ({ shape: [...x.shape], data: Float64Array.from(rows(x).flatMap(unit)) }),
    });
  }
});

Deno.test("infoNceLoss matches the CPU InfoNCE (temperature 0.2) in value and gradient wrt q", async () => {
  for (const [N, D, K] of [[3, 4, 5], [8, 16, 32], [1, 7, 2]]) {
    await checkOp({
      name: `InfoNCE N${N} D${D} K${K}`,
      inputs: [randomHost([N, D], 1 + N), randomHost([N, D], 2 + D), randomHost([K, D], 3 + K)],
      grad: [true, false, false],
      gpu: (q, k, queue) => infoNceLoss(l2Normalize(q), l2Normalize(k), l2Normalize(queue), 0.2),
      cpu: (q, k, queue) => infoNceRef(q, k, queue, 0.2),
      tol: 1e-5,
      gradTol: 2e-3,
    });
  }
});

Deno.test("mocoV3Loss: symmetric in-batch contrastive loss matches the CPU reference in value and gradient", async () => {
  for (const [N, D, t] of [[4, 8, 0.2], [1, 5, 0.2], [7, 16, 0.2], [6, 3, 1]]) {
    await checkOp({
      name: `MoCo v3 N${N} D${D} t${t}`,
      inputs: [
        randomHost([N, D], 1 + N),
        randomHost([N, D], 2 + D),
        randomHost([N, D], 3),
        randomHost([N, D], 4),
      ],
      // the gradient wrt the keys is checked too (training computes them without gradient)
      gpu: (q1, q2, k1, k2) => add(mocoV3Loss(q1, k2, t), mocoV3Loss(q2, k1, t)),
      cpu: (q1, q2, k1, k2) => scalar(mocoV3Ref(q1, k2, t) + mocoV3Ref(q2, k1, t)),
      tol: 1e-5,
      gradTol: 2e-3,
    });
  }
  // the positive is the diagonal: keys in the queries' order score lower than the same keys permuted;
  // a batch of one has no negatives (loss 0), and a sharp temperature drives aligned keys' loss to 0
  await tidyAsync(async () => {
    const eye = fromHost({ shape: [3, 3], data: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) });
    const swapped = fromHost({ shape: [3, 3], data: Float32Array.of(0, 1, 0, 1, 0, 0, 0, 0, 1) });
    const aligned = (await mocoV3Loss(eye, eye, 0.2).read())[0];
    assert.ok(aligned < (await mocoV3Loss(eye, swapped, 0.2).read())[0]);
    const one = fromHost(randomHost([1, 4], 5));
    assertClose(await mocoV3Loss(one, one, 0.2).read(), [0], 1e-6);
    assertClose(await mocoV3Loss(eye, eye, 0.01).read(), [0], 1e-6);
  });
  assert.throws(
    () => mocoV3Loss(fromHost(randomHost([2, 3], 1)), fromHost(randomHost([3, 3], 2))),
    RangeError,
  );
});

Deno.test("byolLoss matches 2 - 2 cos averaged over the batch, with gradient wrt p", async () => {
  for (const [N, D] of [[4, 8], [1, 3], [7, 33]]) {
    await checkOp({
      name: `BYOL N${N} D${D}`,
      inputs: [randomHost([N, D], 10 + N), randomHost([N, D], 20 + D)],
      grad: [true, false],
      gpu: (p, z) => byolLoss(p, z),
      cpu: byolRef,
    });
  }
  // identical directions give 0, opposite give 4
  await tidyAsync(async () => {
    const p = fromHost(randomHost([3, 5], 4));
    assertClose(await byolLoss(p, p).read(), [0], 1e-5);
    const n = fromHost({ shape: [3, 5], data: (await p.read()).map((v) => -2 * v) });
    assertClose(await byolLoss(p, n).read(), [4], 1e-5);
  });
});

Deno.test("dinoLoss matches the CPU reference (centring, sharpening, all cross-view pairs), with gradient", async () => {
  const N = 3, K = 6;
  const inputs = [
    randomHost([N, K], 1), // student global 1
    randomHost([N, K], 2), // student global 2
    randomHost([N, K], 3), // student local
    randomHost([N, K], 4), // teacher global 1
    randomHost([N, K], 5), // teacher global 2
    randomHost([1, K], 6, -0.2, 0.2), // centre
  ];
  await checkOp({
    name: "DINO 2 global + 1 local",
    inputs,
    grad: [true, true, true, false, false, false],
    gpu: (s1, s2, l1, t1, t2, c) => dinoLoss([s1, s2, l1], [t1, t2], c, 0.1, 0.04),
    cpu: (s1, s2, l1, t1, t2, c) => dinoRef([s1, s2, l1], [t1, t2], c, 0.1, 0.04),
    tol: 1e-5,
    gradTol: 2e-3,
  });
});

Deno.test("updateCenter: c = m c + (1 - m) mean of the teacher outputs, in place", async () => {
  await tidyAsync(async () => {
    const c0 = randomHost([1, 5], 7), t1 = randomHost([4, 5], 8), t2 = randomHost([4, 5], 9);
    const center = keep(fromHost(c0));
    updateCenter(center, [fromHost(t1), fromHost(t2)], 0.9);
    const want = Array.from(c0.data, (c, j) => {
      let s = 0;
      for (let n = 0; n < 4; n++) s += t1.data[n * 5 + j] + t2.data[n * 5 + j];
      return 0.9 * c + 0.1 * s / 8;
    });
    assertClose(await center.read(), want, 1e-6);
    center.dispose();
  });
});

Deno.test("cosineMomentum goes from the base value to 1", () => {
  assert.equal(cosineMomentum(0.99, 0, 100), 0.99);
  assert.equal(cosineMomentum(0.99, 100, 100), 1);
  assertClose([cosineMomentum(0.99, 50, 100)], [0.995], 1e-12);
});
