import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import { Adam, type AdamOptions, AdamW } from "../../../core/optim/mod.ts";
import { assertClose } from "../../util/assert_close.ts";
import { randomHost } from "../../util/op_check.ts";
import { adamRef, counters, randomParam, setGrad } from "./reference.ts";

await initGpu();

const SIZES = [1, 7, 33, 130];
const STEPS = 5;

type Hyper = Omit<AdamOptions, "params">;
const CASES: [string, "Adam" | "AdamW", Hyper][] = [
  ["Adam defaults", "Adam", { lr: 0.01 }],
  ["Adam + L2 weight decay", "Adam", { lr: 0.01, weightDecay: 0.1 }],
  ["AdamW default decay", "AdamW", { lr: 0.01 }],
  ["AdamW custom betas, eps, decay", "AdamW", { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.3 }],
];

for (const [k, [name, kind, hyper]] of CASES.entries()) {
  Deno.test(`${kind} (${name}): ${STEPS} steps match the float64 reference on sizes ${SIZES}`, async () => {
    const params = SIZES.map((n, i) => randomParam([n], 200 * k + i));
    const opts = { params: params.map((p) => p.t), ...hyper };
    const opt = kind === "Adam" ? new Adam(opts) : new AdamW(opts);
    const ms = SIZES.map((n) => new Float64Array(n));
    const vs = SIZES.map((n) => new Float64Array(n));
    const ref = {
      beta1: hyper.betas?.[0] ?? 0.9,
      beta2: hyper.betas?.[1] ?? 0.999,
      eps: hyper.eps ?? 1e-8,
      weightDecay: hyper.weightDecay ?? (kind === "AdamW" ? 0.01 : 0),
      decoupled: kind === "AdamW",
    };
    let pipelines = 0;
    for (let s = 0; s < STEPS; s++) {
      const lr = hyper.lr! * (1 + 0.3 * s);
      // gradients of mixed magnitudes, including tiny ones where eps matters
      const grads = params.map((p, i) => {
        const h = randomHost([SIZES[i]], 3000 * k + 10 * s + i, -1, 1);
        h.data.forEach((g, j) => (h.data[j] = j % 5 === 3 ? g * 1e-4 : g));
        return setGrad(p.t, h);
      });
      const before = counters();
      opt.lr = lr;
      opt.step();
      const after = counters();
      assert.equal(after.dispatches - before.dispatches, SIZES.length, "one fused dispatch per parameter");
      assert.equal(after.readbacks, before.readbacks, "no readback in step()");
      if (s === 0) pipelines = after.pipelines;
      else assert.equal(after.pipelines, pipelines, "a new lr or step must not compile a pipeline");
      params.forEach((p, i) => adamRef(p.ref, grads[i], ms[i], vs[i], s + 1, { ...ref, lr }));
    }
    for (const [i, p] of params.entries()) {
      assertClose(await p.t.read(), p.ref, 2e-6, `param of size ${SIZES[i]}`);
      const st = opt.stateOf(i)!;
      assert.equal(st.step, STEPS);
      assertClose(await st.tensors.exp_avg.read(), ms[i], 1e-5, "exp_avg");
      assertClose(await st.tensors.exp_avg_sq.read(), vs[i], 1e-5, "exp_avg_sq");
    }
    opt.zeroGrad();
    opt.dispose();
    for (const p of params) p.t.dispose();
  });
}

Deno.test("Adam: per-parameter step counts (bias correction) when a parameter skips steps", async () => {
  const a = randomParam([33], 7);
  const b = randomParam([7], 8);
  const opt = new AdamW({
    params: [{ params: [a.t] }, { params: [b.t], lrScale: 2, weightDecay: 0 }],
    lr: 0.01,
  });
  const h = { beta1: 0.9, beta2: 0.999, eps: 1e-8, decoupled: true };
  const mA = new Float64Array(33),
    vA = new Float64Array(33),
    mB = new Float64Array(7),
    vB = new Float64Array(7);
  let tB = 0;
  for (let s = 0; s < 5; s++) {
    const gA = setGrad(a.t, randomHost([33], 70 + s));
    adamRef(a.ref, gA, mA, vA, s + 1, { ...h, lr: 0.01, weightDecay: 0.01 });
    if (s === 1 || s === 3 || s === 4) {
      const gB = setGrad(b.t, randomHost([7], 80 + s));
      adamRef(b.ref, gB, mB, vB, ++tB, { ...h, lr: 0.02, weightDecay: 0 });
    } else {
      b.t.grad?.dispose();
      b.t.grad = null;
    }
    opt.step();
  }
  assertClose(await a.t.read(), a.ref, 2e-6, "a");
  assertClose(await b.t.read(), b.ref, 2e-6, "b");
  assert.equal(opt.stateOf(0)!.step, 5);
  assert.equal(opt.stateOf(1)!.step, 3);
  opt.zeroGrad();
  opt.dispose();
  a.t.dispose();
  b.t.dispose();
});

Deno.test("Adam: rejects invalid betas", () => {
  const p = randomParam([3], 1);
  assert.throws(() => new Adam({ params: [p.t], betas: [1, 0.9] }), /betas/);
  assert.throws(() => new AdamW({ params: [p.t], eps: -1 }), /eps/);
  p.t.dispose();
});
