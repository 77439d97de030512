import assert from "node:assert/strict";
import { backward } from "../../../core/autograd.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import * as ops from "../../../core/ops/mod.ts";
import { clipGradNorm, gradNorm } from "../../../core/optim/mod.ts";
import { assertClose } from "../../util/assert_close.ts";
import { randomHost } from "../../util/op_check.ts";
import { counters, randomParam, setGrad } from "./reference.ts";

await initGpu();

// Small sizes plus one large enough for many workgroups (partials) per gradient.
const SIZES = [1, 7, 33, 130, 300_001];

function setup(seed: number) {
  const params = SIZES.map((n, i) => randomParam([n], seed + i));
  const grads = params.map((p, i) => setGrad(p.t, randomHost([SIZES[i]], seed + 50 + i, -1, 1)));
  return { params, grads, tensors: params.map((p) => p.t) };
}

function norm2(grads: Float64Array[]): number {
  let s = 0;
  for (const g of grads) for (const v of g) s += v * v;
  return Math.sqrt(s);
}

function normInf(grads: Float64Array[]): number {
  let s = 0;
  for (const g of grads) for (const v of g) s = Math.max(s, Math.abs(v));
  return s;
}

function dispose(params: { t: { grad: { dispose(): void } | null; dispose(): void } }[]): void {
  for (const p of params) {
    p.t.grad?.dispose();
    p.t.dispose();
  }
}

Deno.test("clipGradNorm: norm above the threshold scales every gradient, without a readback", async () => {
  const { params, grads, tensors } = setup(1);
  const norm = norm2(grads);
  const maxNorm = norm / 3;
  const before = counters();
  const n = clipGradNorm(tensors, maxNorm);
  const after = counters();
  assert.equal(after.readbacks, before.readbacks, "no readback");
  assert.equal(after.dispatches - before.dispatches, 2 * SIZES.length + 1);
  assert.deepEqual(n.shape, []);
  assertClose(await n.read(), [norm], 1e-5, "norm");
  const coef = maxNorm / (norm + 1e-6);
  for (const [i, p] of params.entries()) {
    assertClose(await p.t.grad!.read(), grads[i].map((v) => v * coef), 1e-5, `grad ${SIZES[i]}`);
  }
  // the clipped gradients now have norm maxNorm
  const again = gradNorm(tensors);
  assertClose(await again.read(), [maxNorm], 1e-5, "norm after clipping");
  n.dispose();
  again.dispose();
  dispose(params);
});

Deno.test("clipGradNorm: norm below the threshold leaves gradients unchanged", async () => {
  const { params, grads, tensors } = setup(2);
  const norm = norm2(grads);
  const n = clipGradNorm(tensors, norm * 1.5);
  assertClose(await n.read(), [norm], 1e-5, "norm");
  for (const [i, p] of params.entries()) assertClose(await p.t.grad!.read(), grads[i], 0, `grad ${SIZES[i]}`);
  n.dispose();
  dispose(params);
});

Deno.test("clipGradNorm: inf norm; parameters without gradients are ignored; no gradients give 0", async () => {
  const { params, grads, tensors } = setup(3);
  const extra = randomParam([5], 9); // no .grad
  const norm = normInf(grads);
  const n = clipGradNorm([...tensors, extra.t], 0.5, { normType: "inf" });
  assertClose(await n.read(), [norm], 1e-6, "inf norm");
  const coef = 0.5 / (norm + 1e-6);
  for (const [i, p] of params.entries()) {
    assertClose(await p.t.grad!.read(), grads[i].map((v) => v * coef), 1e-5, `grad ${SIZES[i]}`);
  }
  const small = setup(4);
  const g2 = gradNorm(small.tensors.slice(0, 4), { normType: "inf" });
  assertClose(await g2.read(), [normInf(small.grads.slice(0, 4))], 1e-6, "gradNorm inf");
  const none = gradNorm([extra.t]);
  assert.deepEqual([...await none.read()], [0]);
  for (const t of [n, g2, none]) t.dispose();
  dispose([...params, ...small.params, extra]);
  assert.throws(() => clipGradNorm([], -1), /maxNorm/);
});

Deno.test("clipGradNorm: parameters whose gradients come from one tensor (y = a + b) are each scaled once", async () => {
  const a = randomParam([33], 11);
  const b = randomParam([33], 12);
  backward(ops.sum(ops.add(a.t, b.t)));
  assert.notEqual(a.t.grad!.buffer, b.t.grad!.buffer, "each leaf owns its gradient");
  const n = clipGradNorm([a.t, b.t], 2);
  const norm = Math.sqrt(66);
  assertClose(await n.read(), [norm], 1e-6, "norm counts both parameters");
  assertClose(await a.t.grad!.read(), new Array(33).fill(2 / (norm + 1e-6)), 1e-6, "scaled once");
  assertClose(await b.t.grad!.read(), new Array(33).fill(2 / (norm + 1e-6)), 1e-6, "scaled once");
  n.dispose();
  a.t.grad!.dispose();
  b.t.grad!.dispose();
  a.t.dispose();
  b.t.dispose();
});
