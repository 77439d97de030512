import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import {
  Adam,
  AdamW,
  flattenOptimizerState,
  type Optimizer,
  type Params,
  SGD,
  unflattenOptimizerState,
  warmupCosine,
} from "../../../core/optim/mod.ts";
import { fromArray, type Tensor } from "../../../core/tensor.ts";
import { randomHost } from "../../util/op_check.ts";
import { randomParam, setGrad } from "./reference.ts";

await initGpu();

const SIZES = [1, 7, 33, 130, 4];
const TOTAL = 6;
const SPLIT = 3;
const schedule = warmupCosine({ base: 0.05, warmupSteps: 2, totalSteps: TOTAL, startFactor: 0.1 });

/** One training step: gradients from a fixed seed (the last parameter never gets one), lr from the schedule. */
function step(opt: Optimizer, params: readonly Tensor[], s: number): void {
  params.forEach((p, i) => {
    if (i < params.length - 1) setGrad(p, randomHost([SIZES[i]], 500 + 10 * s + i));
  });
  opt.lr = schedule(opt.steps);
  opt.step();
  opt.zeroGrad();
}

const MAKERS: [string, (params: Params) => Optimizer][] = [
  [
    "SGD nesterov",
    (params) => new SGD({ params, lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
  ],
  ["Adam", (params) => new Adam({ params, weightDecay: 0.01 })],
  ["AdamW", (params) => new AdamW({ params })],
];

for (const [name, make] of MAKERS) {
  Deno.test(`${name}: save after ${SPLIT} steps, restore into a fresh optimizer, continue = uninterrupted run`, async () => {
    // uninterrupted
    const a = SIZES.map((n, i) => randomParam([n], 40 + i).t);
    const optA = make(a);
    for (let s = 0; s < TOTAL; s++) step(optA, a, s);
    const expected = await Promise.all(a.map((p) => p.read()));

    // interrupted: save (host arrays, through the flat tensor-file form), rebuild everything, load
    const b = SIZES.map((n, i) => randomParam([n], 40 + i).t);
    const optB = make(b);
    for (let s = 0; s < SPLIT; s++) step(optB, b, s);
    const sd = unflattenOptimizerState(flattenOptimizerState(await optB.stateDict()));
    assert.equal(sd.steps, SPLIT);
    assert.equal(sd.state[SIZES.length - 1], null, "a parameter never updated has no state");
    assert.equal(sd.state[0]!.step, SPLIT);
    const saved = await Promise.all(b.map((p) => p.read()));
    optB.dispose();
    for (const p of b) p.dispose();

    const c = SIZES.map((n, i) => {
      const t = fromArray([n], saved[i]).keep();
      t.requiresGrad = true;
      return t;
    });
    const optC = make(c);
    optC.loadStateDict(sd);
    assert.equal(optC.steps, SPLIT);
    assert.equal(optC.lr, sd.lr);
    for (let s = SPLIT; s < TOTAL; s++) step(optC, c, s);
    for (const [i, p] of c.entries()) assert.deepEqual(await p.read(), expected[i], `param ${i} (bitwise)`);
    for (const [i, st] of (await optC.stateDict()).state.entries()) {
      const ref = (await optA.stateDict()).state[i];
      assert.deepEqual(st, ref, `state ${i}`);
    }
    for (const o of [optA, optC]) o.dispose();
    for (const p of [...a, ...c]) p.dispose();
  });
}

Deno.test("loadStateDict: rejects a different type, parameter count or state size", async () => {
  const p = randomParam([7], 1).t;
  const sgd = new SGD({ params: [p], lr: 0.1, momentum: 0.9 });
  setGrad(p, randomHost([7], 2));
  sgd.step();
  const sd = await sgd.stateDict();
  assert.throws(() => new Adam({ params: [p] }).loadStateDict(sd), /SGD/);
  const q = randomParam([8], 3).t;
  assert.throws(() => new SGD({ params: [q], lr: 0.1, momentum: 0.9 }).loadStateDict(sd), /values/);
  assert.throws(
    () => new SGD({ params: [p, q], lr: 0.1, momentum: 0.9 }).loadStateDict(sd),
    /parameter states/,
  );
  assert.throws(() => new SGD({ params: [p], lr: 0.1 }).loadStateDict(sd), /needs state/);
  sgd.zeroGrad();
  sgd.dispose();
  p.dispose();
  q.dispose();
});
