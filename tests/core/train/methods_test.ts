import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import { buildPretrainMethod } from "../../../core/train/methods/build.ts";
import { DinoMethod, teacherTempAt } from "../../../core/train/methods/dino.ts";
import { MocoV3Method } from "../../../core/train/methods/mocov3.ts";
import type { Module } from "../../../core/nn/module.ts";
import { lossCurve, meanOf, tinyConfig } from "./method_harness.ts";
import { assertClose } from "../../util/assert_close.ts";

await initGpu();
const STEPS = 8;

for (const method of ["supervised", "mocov2", "byol", "mocov3"] as const) {
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

/** The parameters of a module by name, read back. */
async function params(m: Module): Promise<Map<string, Float32Array>> {
  const named = m.namedParameters();
  const values = await Promise.all(named.map(([, t]) => t.read()));
  return new Map(named.map(([k], i) => [k, values[i]]));
}

Deno.test(`mocov3 (conventional ViT): the loss decreases over ${STEPS} steps on tiny data`, async () => {
  const cfg = tinyConfig("mocov3", "vit_tiny", STEPS);
  const m = buildPretrainMethod(cfg);
  const losses = await lossCurve(m, cfg, STEPS);
  m.dispose();
  assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
  assert.ok(meanOf(losses.slice(-3)) < meanOf(losses.slice(0, 3)), losses.join(" "));
});

Deno.test("mocov3: heads, exported base encoder, and the momentum encoder's EMA before the keys", async () => {
  for (const arch of ["resnet_tiny", "bcos_resnet_tiny"] as const) {
    const cfg = tinyConfig("mocov3", arch, 2);
    const m = new MocoV3Method({ arch: cfg.arch, totalSteps: 2, optim: cfg.optim });
    assert.equal(m.exported.module, m.modules.base_encoder);
    // projector: 3 layers with BN, the last BN without parameters; predictor: 2 layers
    const proj = [...m.modules.projector.stateDict().keys()];
    const bcos = arch.startsWith("bcos_");
    const lastBn = bcos ? "mlp.5" : "mlp.7";
    assert.ok(proj.includes(`${lastBn}.running_var`), proj.join(" "));
    assert.ok(
      !proj.some((k) => k.startsWith(`${lastBn}.weight`) || k.startsWith(`${lastBn}.bias`)),
      proj.join(" "),
    );
    assert.equal(proj.includes(`${lastBn}.running_mean`), !bcos, "B-cos heads use uncentred BN");
    if (!bcos) assert.ok(!proj.includes("mlp.6.bias"), "the linear layer before the last BN has no bias");
    const pred = [...m.modules.predictor.stateDict().keys()];
    assert.ok(
      pred.some((k) => k.startsWith(bcos ? "mlp.2." : "mlp.3.")) && !pred.some((k) => k.startsWith("mlp.4.")),
    );
    // the momentum encoder starts as a copy of the base encoder
    const init = await params(m.modules.momentum_encoder);
    assert.deepEqual(init, await params(m.modules.base_encoder));
    assert.deepEqual(await params(m.modules.momentum_projector), await params(m.modules.projector));
    // step 0 trains the base encoder; step 1 first moves the momentum encoder towards it with the
    // cosine momentum of step 1 of 2, 1 - 0.01 (cos(pi / 2) + 1) / 2 = 0.995
    await lossCurve(m, cfg, 1);
    const base0 = await params(m.modules.base_encoder);
    assert.notDeepEqual(base0, init, "the base encoder did not train");
    const flat = (p: Map<string, Float32Array>) => [...p.values()].flatMap((v) => Array.from(v));
    // (up to rounding: 0.99 x + 0.01 x in float32)
    assertClose(flat(await params(m.modules.momentum_encoder)), flat(init), 1e-6, "EMA of equal weights");
    await lossCurve(m, cfg, 1, 1);
    const mom1 = await params(m.modules.momentum_encoder);
    // (compared as moves from the initial weights, which an update after step 1's optimiser step,
    // towards the base encoder of step 1, would double)
    const [got, want] = [[] as number[], [] as number[]];
    for (const [k, v] of init) {
      v.forEach((x, i) => {
        got.push(mom1.get(k)![i] - x);
        want.push(0.005 * (base0.get(k)![i] - x));
      });
    }
    assertClose(got, want, 0.05, `${arch} momentum encoder after step 1`);
    m.dispose();
  }
});
