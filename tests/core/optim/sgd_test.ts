import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import { SGD, type SgdOptions } from "../../../core/optim/mod.ts";
import { assertClose } from "../../util/assert_close.ts";
import { randomHost } from "../../util/op_check.ts";
import { counters, randomParam, setGrad, sgdRef } from "./reference.ts";

await initGpu();

const SIZES = [1, 7, 33, 130];
const STEPS = 5;

type Hyper = Omit<SgdOptions, "params" | "lr">;
const CASES: [string, Hyper][] = [
  ["plain", {}],
  ["weight decay", { weightDecay: 0.1 }],
  ["momentum", { momentum: 0.9 }],
  ["momentum + dampening + weight decay", { momentum: 0.9, dampening: 0.3, weightDecay: 0.05 }],
  ["nesterov + weight decay", { momentum: 0.8, nesterov: true, weightDecay: 0.01 }],
];

for (const [k, [name, hyper]] of CASES.entries()) {
  Deno.test(`SGD (${name}): ${STEPS} steps match the float64 reference on sizes ${SIZES}`, async () => {
    const params = SIZES.map((n, i) => randomParam([n], 100 * k + i));
    const opt = new SGD({ params: params.map((p) => p.t), lr: 0.1, ...hyper });
    const momentum = hyper.momentum ?? 0;
    const bufs = SIZES.map((n) => new Float64Array(n));
    let pipelinesAfterFirst = 0;
    for (let s = 0; s < STEPS; s++) {
      const lr = 0.1 * (1 - 0.15 * s); // a new learning rate every step
      const grads = params.map((p, i) => setGrad(p.t, randomHost([SIZES[i]], 1000 * k + 10 * s + i)));
      const before = counters();
      opt.lr = lr;
      opt.step();
      const after = counters();
      assert.equal(after.dispatches - before.dispatches, SIZES.length, "one dispatch per parameter");
      assert.equal(after.readbacks, before.readbacks, "no readback in step()");
      if (s === 0) pipelinesAfterFirst = after.pipelines;
      else assert.equal(after.pipelines, pipelinesAfterFirst, "a new lr must not compile a pipeline");
      params.forEach((p, i) =>
        sgdRef(p.ref, grads[i], momentum ? bufs[i] : null, s === 0, {
          lr,
          momentum,
          dampening: hyper.dampening ?? 0,
          nesterov: hyper.nesterov ?? false,
          weightDecay: hyper.weightDecay ?? 0,
        })
      );
    }
    assert.equal(opt.steps, STEPS);
    for (const [i, p] of params.entries()) {
      assertClose(await p.t.read(), p.ref, 1e-5, `param of size ${SIZES[i]}`);
      const st = opt.stateOf(i)!;
      assert.equal(st.step, STEPS);
      if (momentum) assertClose(await st.tensors.momentum_buffer.read(), bufs[i], 1e-5, "momentum buffer");
      else assert.deepEqual(Object.keys(st.tensors), []);
    }
    opt.zeroGrad();
    assert.ok(params.every((p) => p.t.grad === null));
    opt.dispose();
    for (const p of params) p.t.dispose();
  });
}

Deno.test("SGD: parameter groups (lrScale, weight-decay override) and a parameter without a gradient", async () => {
  const a = randomParam([33], 1);
  const b = randomParam([7], 2);
  const c = randomParam([5], 3);
  const opt = new SGD({
    params: [{ params: [a.t] }, { params: [b.t, c.t], lrScale: 0.5, weightDecay: 0 }],
    lr: 0.2,
    momentum: 0.9,
    weightDecay: 0.1,
  });
  const bufA = new Float64Array(33);
  const bufB = new Float64Array(7);
  const h = { momentum: 0.9, dampening: 0, nesterov: false };
  for (let s = 0; s < 4; s++) {
    const gA = setGrad(a.t, randomHost([33], 50 + s));
    sgdRef(a.ref, gA, bufA, s === 0, { ...h, lr: 0.2, weightDecay: 0.1 });
    if (s >= 2) {
      // b gets its first gradient at global step 2: its momentum buffer starts then, as in PyTorch.
      const gB = setGrad(b.t, randomHost([7], 60 + s));
      sgdRef(b.ref, gB, bufB, s === 2, { ...h, lr: 0.1, weightDecay: 0 });
    }
    opt.step();
  }
  assertClose(await a.t.read(), a.ref, 1e-5, "group 0");
  assertClose(await b.t.read(), b.ref, 1e-5, "group 1");
  assertClose(await c.t.read(), c.ref, 0, "untouched parameter");
  assert.equal(opt.stateOf(1)!.step, 2);
  assert.equal(opt.stateOf(2), null);
  opt.zeroGrad();
  opt.dispose();
  for (const p of [a, b, c]) p.t.dispose();
});

Deno.test("SGD: rejects invalid settings", () => {
  const p = randomParam([3], 1);
  assert.throws(() => new SGD({ params: [p.t], lr: 0.1, nesterov: true }), /Nesterov/);
  assert.throws(() => new SGD({ params: [p.t], lr: -1 }), /lr/);
  assert.throws(() => new SGD({ params: [p.t, p.t], lr: 0.1 }), /more than once/);
  const opt = new SGD({ params: [p.t], lr: 0.1 });
  assert.throws(() => (opt.lr = Number.NaN), /lr/);
  p.t.dispose();
});
