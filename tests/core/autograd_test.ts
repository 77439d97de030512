import assert from "node:assert/strict";
import { backward, grad, inLayer, noGrad, type RuleContext, withRules } from "../../core/autograd.ts";
import { gpu, initGpu } from "../../core/gpu/device.ts";
import * as ops from "../../core/ops/mod.ts";
import { fromArray, keep, tidy, tidyAsync } from "../../core/tensor.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";

await initGpu();

/** Guided backprop's ReLU rule: pass only positive gradients where the input was positive. */
const guidedRelu = ({ inputs, gradOutput }: RuleContext) => [
  ops.mul(ops.mul(gradOutput, ops.step(inputs[0])), ops.step(gradOutput)),
];

// f(x) = sum_j v_j * relu(sum_i W_ji relu(x_i)), written with elementwise ops and reductions.
const X = randomHost([5], 1, -1, 1);
const W = randomHost([4, 5], 2, -1, 1);
const V = randomHost([4], 3, -1, 1);

function f(x: ReturnType<typeof fromArray>) {
  const h = inLayer("l1", () => ops.relu(x));
  const z = ops.sum(ops.mul(fromArray([4, 5], W.data), ops.reshape(h, [1, 5])), 1);
  const o = inLayer("l2", () => ops.relu(z));
  return ops.sum(ops.mul(o, fromArray([4], V.data)));
}

/** CPU reference of the gradient, with the ReLU backward either ordinary or guided. */
function cpuGrad(guided: boolean, guidedLayers = ["l1", "l2"]): number[] {
  const h = [...X.data].map((v) => Math.max(v, 0));
  const z = [0, 1, 2, 3].map((j) => h.reduce((s, hv, i) => s + W.data[j * 5 + i] * hv, 0));
  const reluBack = (layer: string, g: number, input: number) =>
    guided && guidedLayers.includes(layer) ? (input > 0 && g > 0 ? g : 0) : (input > 0 ? g : 0);
  const gz = z.map((zv, j) => reluBack("l2", V.data[j], zv));
  const gh = h.map((_, i) => gz.reduce((s, g, j) => s + g * W.data[j * 5 + i], 0));
  return gh.map((g, i) => reluBack("l1", g, X.data[i]));
}

Deno.test("autograd: ordinary gradient through relu, mul, sum and reshape", async () => {
  await tidyAsync(async () => {
    const x = fromArray([5], X.data);
    x.requiresGrad = true;
    const [gx] = grad(f(x), [x]);
    assertClose(await gx!.read(), cpuGrad(false), 1e-5);
  });
});

Deno.test("autograd: overriding relu's backward by kind inside a scope gives guided backprop; outside, the ordinary gradient", async () => {
  await tidyAsync(async () => {
    const x = fromArray([5], X.data);
    x.requiresGrad = true;
    const y = f(x);
    const [guided] = withRules({ kinds: { relu: guidedRelu } }, () => grad(y, [x]));
    const [plain] = grad(y, [x]);
    const expectGuided = cpuGrad(true);
    const expectPlain = cpuGrad(false);
    assertClose(await guided!.read(), expectGuided, 1e-5, "guided");
    assertClose(await plain!.read(), expectPlain, 1e-5, "plain");
    assert.notDeepEqual(expectGuided, expectPlain, "the test inputs must make guided and plain differ");
  });
});

Deno.test("autograd: overriding by layer name affects only that layer", async () => {
  await tidyAsync(async () => {
    const x = fromArray([5], X.data);
    x.requiresGrad = true;
    const y = f(x);
    const [g] = withRules({ layers: { l2: guidedRelu } }, () => grad(y, [x]));
    assertClose(await g!.read(), cpuGrad(true, ["l2"]), 1e-5);
  });
});

Deno.test("autograd: fan-out accumulates (d/dx of x*x + x = 2x + 1) and backward() accumulates into .grad", async () => {
  await tidyAsync(async () => {
    const x = fromArray([3], [1, -2, 0.5]);
    x.requiresGrad = true;
    backward(ops.sum(ops.add(ops.mul(x, x), x)));
    assert.deepEqual([...await x.grad!.read()], [3, -3, 2]);
    backward(ops.sum(x));
    assert.deepEqual([...await x.grad!.read()], [4, -2, 3]);
    x.grad!.dispose();
  });
});

Deno.test("autograd: leaves that receive the same gradient tensor (y = a + b) own separate copies", async () => {
  await tidyAsync(async () => {
    const a = fromArray([2], [1, 2]);
    const b = fromArray([2], [3, 4]);
    a.requiresGrad = true;
    b.requiresGrad = true;
    backward(ops.sum(ops.add(a, b)));
    assert.notEqual(a.grad, b.grad);
    backward(ops.sum(ops.add(a, b)));
    assert.deepEqual([...await a.grad!.read()], [2, 2]);
    assert.deepEqual([...await b.grad!.read()], [2, 2]);
    a.grad!.dispose();
    b.grad!.dispose();
  });
});

Deno.test("autograd: noGrad records nothing; grad of an unused input is null", () => {
  tidy(() => {
    const x = fromArray([2], [1, 2]);
    const u = fromArray([2], [3, 4]);
    x.requiresGrad = true;
    u.requiresGrad = true;
    const y = noGrad(() => ops.mul(x, x));
    assert.equal(y.node, null);
    assert.equal(y.requiresGrad, false);
    const z = ops.sum(ops.mul(x, x));
    assert.equal(grad(z, [x, u])[1], null);
  });
});

Deno.test("autograd: gradients are bitwise deterministic across runs", async () => {
  const run = () =>
    tidyAsync(async () => {
      const x = fromArray([5], X.data);
      x.requiresGrad = true;
      return await grad(f(x), [x])[0]!.read();
    });
  assert.deepEqual(await run(), await run());
});

Deno.test("tensor pool: the live-buffer count stays flat over 1,000 training-like steps", async () => {
  const target = fromArray([64], randomHost([64], 5).data);
  const x = fromArray([64], randomHost([64], 6).data);
  const w = keep(fromArray([64], new Float32Array(64)));
  w.requiresGrad = true;
  const pool = gpu().runtime.pool;
  const liveAt: number[] = [];
  for (let step = 0; step < 1000; step++) {
    tidy(() => {
      const loss = ops.mean(ops.square(ops.sub(ops.mul(x, w), target)));
      backward(loss);
      noGrad(() => ops.assign(w, ops.sub(w, ops.scale(w.grad!, 20))));
      w.grad!.dispose();
      w.grad = null;
    });
    if (step === 9 || step === 999) liveAt.push(pool.stats().live);
  }
  const final = await tidyAsync(() => ops.mean(ops.square(ops.sub(ops.mul(x, w), target))).read());
  assert.equal(liveAt[1], liveAt[0], `live buffers grew from ${liveAt[0]} to ${liveAt[1]}`);
  const initial = randomHost([64], 5).data.reduce((s, v) => s + v * v, 0) / 64;
  assert.ok(final[0] < initial / 10, `the loop must actually train (loss ${initial} -> ${final[0]})`);
  for (const t of [target, x, w]) t.dispose();
});
