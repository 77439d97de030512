import assert from "node:assert/strict";
import {
  constantLr,
  cosineAnnealing,
  linearWarmup,
  perEpoch,
  sequential,
  stepDecay,
  warmupCosine,
} from "../../../core/optim/mod.ts";

function near(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} != ${expected}`,
  );
}

Deno.test("warmupCosine: linear warm-up from 0.01x then cosine to 0 or to a minimum", () => {
  const lr = warmupCosine({ base: 0.1, warmupSteps: 10, totalSteps: 110, startFactor: 0.01 });
  near(lr(0), 0.001, "step 0");
  near(lr(5), 0.1 * (0.01 + 0.99 * 0.5), "mid warm-up"); // 0.05050
  near(lr(10), 0.1, "peak");
  near(lr(35), 0.1 * (1 + Math.SQRT1_2) / 2, "quarter of the cosine"); // 0.0853553...
  near(lr(60), 0.05, "half of the cosine");
  near(lr(110), 0, "end");
  near(lr(500), 0, "after the end");
  const withMin = warmupCosine({ base: 1, warmupSteps: 0, totalSteps: 4, minLr: 0.2 });
  near(withMin(0), 1, "no warm-up");
  near(withMin(2), 0.6, "midpoint is (base + min) / 2");
  near(withMin(4), 0.2, "min");
  assert.throws(() => warmupCosine({ base: 1, warmupSteps: 5, totalSteps: 4 }), /totalSteps/);
});

Deno.test("stepDecay: x0.1 at epochs 60 and 80", () => {
  const lr = stepDecay({ base: 0.1, milestones: [60, 80], gamma: 0.1 });
  near(lr(0), 0.1, "0");
  near(lr(59), 0.1, "59");
  near(lr(60), 0.01, "60");
  near(lr(79), 0.01, "79");
  near(lr(80), 0.001, "80");
  near(lr(89), 0.001, "89");
  assert.throws(() => stepDecay({ base: 1, milestones: [5, 3] }), /milestones/);
});

Deno.test("linearWarmup, cosineAnnealing, sequential, perEpoch, constantLr compose", () => {
  const w = linearWarmup({ base: 2, warmupSteps: 4, startFactor: 0.25 });
  near(w(0), 0.5, "start");
  near(w(2), 1.25, "middle");
  near(w(4), 2, "end");
  near(w(9), 2, "after");
  const c = cosineAnnealing({ base: 1, totalSteps: 3 });
  near(c(1), 0.75, "cos(pi/3)");
  const tau = cosineAnnealing({ base: 0.996, minLr: 1, totalSteps: 100 });
  near(tau(0), 0.996, "tau start");
  near(tau(50), 0.998, "tau middle");
  near(tau(100), 1, "tau end");
  const s = sequential([constantLr(1), stepDecay({ base: 0.5, milestones: [2] }), constantLr(0.01)], [3, 10]);
  near(s(2), 1, "first");
  near(s(3), 0.5, "second, local step 0");
  near(s(5), 0.05, "second, local step 2");
  near(s(10), 0.01, "third");
  const e = perEpoch(stepDecay({ base: 1, milestones: [2], gamma: 0.5 }), 10);
  near(e(19), 1, "epoch 1");
  near(e(20), 0.5, "epoch 2");
  const f = perEpoch(cosineAnnealing({ base: 1, totalSteps: 2 }), 10, true);
  near(f(10), 0.5, "fractional epoch 1 of 2");
  near(f(5), (1 + Math.cos(Math.PI / 4)) / 2, "fractional epoch 0.5");
  assert.throws(() => sequential([constantLr(1)], [3]), /milestones/);
  assert.throws(() => w(-1), /step/);
});
