import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import { buildPretrainMethod } from "../../../core/train/methods/build.ts";
import { DinoMethod, teacherTempAt } from "../../../core/train/methods/dino.ts";
import { lossCurve, meanOf, tinyConfig } from "./method_harness.ts";

await initGpu();
const STEPS = 8;

for (const method of ["supervised", "mocov2", "byol"] as const) {
  Deno.test(`${method} (conventional ResNet): the loss decreases over ${STEPS} steps on tiny data`, async () => {
    const cfg = tinyConfig(method, "resnet_tiny", STEPS);
    const m = buildPretrainMethod(cfg);
    const losses = await lossCurve(m, cfg, STEPS);
    m.dispose();
    assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
    // MoCo's first step scores against the random initial queue; compare from step 1.
    const first = meanOf(losses.slice(1, 4)), last = meanOf(losses.slice(-3));
    assert.ok(last < first, `${method}: ${losses.map((v) => v.toFixed(3)).join(" ")}`);
  });
}

Deno.test(`dino (conventional ResNet): with teacher and centre held, the student's loss decreases`, async () => {
  // With EMA and centring on, DINO's loss first rises while the centre absorbs the (collapsed) mean
  // output of a random network; holding them makes the objective fixed, so the student must improve.
  const cfg = tinyConfig("dino", "resnet_tiny", STEPS);
  const m = new DinoMethod({
    arch: cfg.arch,
    totalSteps: STEPS,
    momentum: 1,
    centerMomentum: 1,
    optim: cfg.optim,
  });
  const losses = await lossCurve(m, cfg, STEPS);
  m.dispose();
  assert.ok(meanOf(losses.slice(-3)) < meanOf(losses.slice(0, 3)), losses.join(" "));
});

Deno.test("dino: the head's last layer stays fixed for freezeLastLayerSteps, then trains; teacher temperature warms up", async () => {
  assert.equal(teacherTempAt(0, 0.04, 0.07, 10), 0.04);
  assert.ok(Math.abs(teacherTempAt(5, 0.04, 0.07, 10) - 0.055) < 1e-12);
  assert.equal(teacherTempAt(10, 0.04, 0.07, 10), 0.07);
  assert.equal(teacherTempAt(3, 0.04, 0.07, 0), 0.07);
  const cfg = tinyConfig("dino", "resnet_tiny", 3);
  const m = new DinoMethod({
    arch: cfg.arch,
    totalSteps: 3,
    optim: cfg.optim,
    freezeLastLayerSteps: 2,
    warmupTeacherTemp: 0.02,
    warmupTeacherSteps: 2,
  });
  const snapshot = async () => {
    const sd = m.modules.student_head.stateDict();
    const keys = [...sd.keys()].sort();
    const values = await Promise.all(keys.map((k) => sd.get(k)!.read()));
    return new Map(keys.map((k, i) => [k, Array.from(values[i])]));
  };
  const changed = (a: Map<string, number[]>, b: Map<string, number[]>, last: boolean) =>
    [...a.keys()].filter((k) => k.startsWith("last_layer") === last)
      .some((k) => a.get(k)!.some((v, i) => v !== b.get(k)![i]));
  const before = await snapshot();
  const losses = await lossCurve(m, cfg, 2);
  const frozen = await snapshot();
  assert.ok(losses.every(Number.isFinite), `${losses}`);
  assert.ok(!changed(before, frozen, true), "last layer changed while frozen");
  assert.ok(changed(before, frozen, false), "the rest of the head did not train");
  // step 2 (past the freeze): the last layer trains
  await lossCurve(m, cfg, 1, 2);
  assert.ok(changed(frozen, await snapshot(), true), "last layer did not train after the freeze");
  m.dispose();
});
