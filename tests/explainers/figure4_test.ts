import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import { ResNet } from "../../core/models/resnet.ts";
import { Probe } from "../../core/models/probes.ts";
import "../../core/ops/mod.ts";
import { crossEntropy } from "../../core/ops/loss.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import { inputXGradient } from "../../explainers/gradient.ts";
import { epsilonGammaBox } from "../../explainers/lrp/composites.ts";
import { lrp } from "../../explainers/lrp/lrp.ts";
import { ProbedModel } from "../../explainers/probed.ts";
import { gridPGOnGrid } from "../../metrics/gridpg.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";
import { randomiseBatchNorm } from "./helpers.ts";

const C = 4;

/** Two linear probes on one frozen backbone whose class weights differ by the same vector dw. */
function probes() {
  const backbone = new ResNet({
    block: "bottleneck",
    layers: [1, 1, 1, 1],
    widths: [4, 8, 8, 8],
    numClasses: 0,
    stem: "small",
    seed: 6,
  });
  randomiseBatchNorm(backbone, 6);
  const D = backbone.featureChannels;
  const a = new Probe({ kind: "linear", inChannels: D, numClasses: C, seed: 1 });
  const b = new Probe({ kind: "linear", inChannels: D, numClasses: C, seed: 2 });
  const w = randomHost([C, D, 1, 1], 3, -0.5, 0.5);
  const bias = randomHost([C], 4, -0.1, 0.1);
  const dw = randomHost([D], 5, -2, 2);
  const shifted = Float32Array.from(w.data, (v, i) => v + dw.data[i % D]);
  const load = (p: Probe, weight: HostTensor) =>
    p.loadStateDict(new Map([["probe.0.weight", weight], ["probe.0.bias", bias]]));
  load(a, w);
  load(b, { shape: w.shape, data: shifted });
  const modelA = new ProbedModel(backbone, a).eval();
  const modelB = new ProbedModel(backbone, b).eval();
  return { modelA, modelB, dispose: () => [backbone, a, b].forEach((m) => m.dispose()) };
}

Deno.test("Figure 4: a shift of every class weight keeps the CE loss but changes LRP / IxG maps and GridPG", async () => {
  await initGpu();
  const { modelA, modelB, dispose } = probes();
  await tidyAsync(async () => {
    // Four 2x2 grid images of 16 x 16 px; map (g, c) explains class c for the cell c of grid g.
    const G = 2;
    const grids = randomHost([G, 3, 16, 16], 7, 0, 1);
    const images: number[] = [];
    const targets: number[] = [];
    for (let g = 0; g < G; g++) {
      for (let c = 0; c < C; c++) {
        images.push(...grids.data.subarray(g * 768, (g + 1) * 768));
        targets.push(c);
      }
    }
    const x = fromArray([G * C, 3, 16, 16], images);
    const labels = fromArray([G * C], targets);
    const la = await modelA.call(x).read();
    const lb = await modelB.call(x).read();
    // Same CE loss and predictions, different logits.
    const ceA = await crossEntropy(modelA.call(x), labels).read();
    const ceB = await crossEntropy(modelB.call(x), labels).read();
    assertClose(ceB, ceA, 1e-5, "cross-entropy");
    for (let i = 0; i < G * C; i++) {
      const argmax = (l: Float32Array) =>
        [0, 1, 2, 3].reduce((m, c) => (l[i * C + c] > l[i * C + m] ? c : m), 0);
      assert.equal(argmax(la), argmax(lb), `prediction ${i}`);
    }
    assert.ok(Math.abs(la[0] - lb[0]) > 1e-2, "the logits themselves differ");
    const score = (maps: Float32Array) =>
      gridPGOnGrid({ shape: [G * C, 16, 16], data: maps }, 2, targets, { smooth: false }).meanPercent;
    const composite = epsilonGammaBox({ low: 0, high: 1 });
    for (
      const [name, explain] of [
        ["lrp", (m: ProbedModel) => lrp(m, x, targets, { composite })],
        ["ixg", (m: ProbedModel) => inputXGradient(m, x, targets)],
      ] as const
    ) {
      const ma = await explain(modelA).read();
      const mb = await explain(modelB).read();
      let diff = 0, scale = 0;
      for (let i = 0; i < ma.length; i++) {
        diff = Math.max(diff, Math.abs(ma[i] - mb[i]));
        scale = Math.max(scale, Math.abs(ma[i]));
      }
      assert.ok(diff > 0.1 * scale, `${name}: the maps differ (max diff ${diff} vs scale ${scale})`);
      const [ga, gb] = [score(ma), score(mb)];
      assert.ok(Math.abs(ga - gb) > 1, `${name}: GridPG ${ga.toFixed(1)}% vs ${gb.toFixed(1)}%`);
      console.log(`${name}: GridPG probe A ${ga.toFixed(1)}%, shifted probe B ${gb.toFixed(1)}%`);
    }
  });
  dispose();
});
