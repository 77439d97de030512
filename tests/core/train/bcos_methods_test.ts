import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import { buildPretrainMethod } from "../../../core/train/methods/build.ts";
import { DinoMethod } from "../../../core/train/methods/dino.ts";
import { lossCurve, meanOf, tinyConfig } from "./method_harness.ts";

await initGpu();
const STEPS = 8;

for (const method of ["supervised", "mocov2", "byol", "mocov3"] as const) {
  Deno.test(`${method} (B-cos ResNet): the loss decreases over ${STEPS} steps on tiny data`, async () => {
    const cfg = tinyConfig(method, "bcos_resnet_tiny", STEPS);
    const m = buildPretrainMethod(cfg);
    const losses = await lossCurve(m, cfg, STEPS);
    m.dispose();
    assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
    // MoCo's first step scores against the random initial queue; compare from step 1.
    const first = meanOf(losses.slice(1, 4)), last = meanOf(losses.slice(-3));
    assert.ok(last < first, `${method}: ${losses.map((v) => v.toFixed(3)).join(" ")}`);
  });
}

Deno.test(`dino (B-cos ResNet): with teacher and centre held, the student's loss decreases`, async () => {
  // With EMA and centring on, DINO's loss first rises while the centre absorbs the (collapsed) mean
  // output of a random network; holding them makes the objective fixed, so the student must improve.
  const cfg = tinyConfig("dino", "bcos_resnet_tiny", STEPS);
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
