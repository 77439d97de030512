import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import "../../core/ops/mod.ts";
import { noGrad } from "../../core/autograd.ts";
import { writeSafetensors } from "../../core/io/safetensors.ts";
import { Probe } from "../../core/models/probes.ts";
import { softmax } from "../../core/ops/softmax.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import { readStateDict } from "../../core/train/readback.ts";
import { probeLosses } from "../../tasks/reproduce/equivalent_stats.ts";
import { pickQualitativeImages } from "../../tasks/reproduce/qualitative_pick.ts";
import {
  loadShiftedProbe,
  SHIFT_SCALE,
  shiftClassWeights,
  shiftVector,
} from "../../tasks/reproduce/shifted_probe.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";

await initGpu();

const close = (a: number, b: number, tol: number, what: string): void => assertClose([a], [b], tol, what);

Deno.test("shifted probe: the softmax of its logits is the trained probe's, the logits are not", async () => {
  const D = 6, C = 4, N = 5;
  const trained = new Probe({ kind: "linear", inChannels: D, numClasses: C, seed: 3 });
  const dir = await Deno.makeTempDir();
  const path = `${dir}/probe.safetensors`;
  await writeSafetensors(path, await readStateDict(trained.stateDict()), {
    probe: JSON.stringify(trained.config),
  });
  const { probe: shifted, shiftNorm } = await loadShiftedProbe(path, 0);
  const weight = (await readStateDict(trained.stateDict())).get("probe.0.weight")!;
  let meanNorm = 0;
  for (let c = 0; c < C; c++) meanNorm += Math.hypot(...weight.data.subarray(c * D, (c + 1) * D)) / C;
  close(shiftNorm, SHIFT_SCALE * meanNorm, 1e-4, "|v|");
  await tidyAsync(async () => {
    const features = fromArray([N, D, 3, 3], randomHost([N, D, 3, 3], 9, 0, 2).data);
    const [la, lb, pa, pb] = await Promise.all(
      noGrad(() => {
        const a = trained.call(features), b = shifted.call(features);
        return [a, b, softmax(a, -1), softmax(b, -1)];
      }).map((t) => t.read()),
    );
    assertClose(pb, pa, 1e-5, "softmax");
    let maxDiff = 0;
    for (let i = 0; i < la.length; i++) maxDiff = Math.max(maxDiff, Math.abs(la[i] - lb[i]));
    assert.ok(maxDiff > 10 * 1e-3, `the logits change (max diff ${maxDiff})`);
    // Every class moves by the same amount per image.
    for (let n = 0; n < N; n++) {
      for (let c = 1; c < C; c++) {
        close(lb[n * C + c] - la[n * C + c], lb[n * C] - la[n * C], 1e-4, `shift of image ${n}`);
      }
    }
    const labels = [0, 1, 2, 3, 0];
    const [ra, rb] = [probeLosses(la, labels, C), probeLosses(lb, labels, C)];
    close(rb.ceLoss, ra.ceLoss, 1e-5, "CE loss");
    assert.equal(rb.accuracy, ra.accuracy);
    assert.ok(Math.abs(rb.bceLoss - ra.bceLoss) > 1e-4, "BCE is not shift invariant");
  });
  trained.dispose();
  shifted.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("shifted probe: v is seeded, its norm is the scale times the mean class-weight norm; bad shapes are named", () => {
  const w = { shape: [2, 3, 1, 1], data: Float32Array.of(1, 0, 0, 0, 3, 4) };
  const v = shiftVector(w, 7, 2);
  close(Math.hypot(...v), 2 * 3, 1e-5, "|v|");
  assert.deepEqual([...shiftVector(w, 7, 2)], [...v]);
  assert.notDeepEqual([...shiftVector(w, 8, 2)], [...v]);
  assert.deepEqual([...shiftClassWeights(w, Float32Array.of(1, 2, 3)).data], [2, 2, 3, 1, 5, 7]);
  assert.throws(() => shiftVector({ shape: [2, 3], data: new Float32Array(6) }, 0), /\[C, D, 1, 1\]/);
  assert.throws(() => shiftClassWeights(w, Float32Array.of(1)), /D = 3/);
});

Deno.test("probe losses: CE, the paper's BCE (off-labels 1/C) and accuracy against hand values", () => {
  const r = probeLosses([2, 0, 0, 1], [0, 0], 2);
  const ce = (Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(1))) / 2;
  const bce1 = (z: number, t: number) => Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
  close(r.ceLoss, ce, 1e-12, "CE");
  close(r.bceLoss, (bce1(2, 1) + bce1(0, 0.5) + bce1(0, 1) + bce1(1, 0.5)) / 2, 1e-12, "BCE");
  assert.equal(r.accuracy, 50);
  assert.throws(() => probeLosses([1, 2, 3], [0], 2), /3 logits for 1 x 2/);
});

Deno.test("qualitative images: deterministic by seed, distinct classes first, then the rest", () => {
  const labels = [0, 0, 0, 1, 1, 2, 2, 2];
  const a = pickQualitativeImages(labels, 5, 3);
  assert.deepEqual(pickQualitativeImages(labels, 5, 3), a);
  assert.equal(new Set(a).size, 5);
  assert.deepEqual(new Set(a.slice(0, 3).map((i) => labels[i])), new Set([0, 1, 2]));
  assert.notDeepEqual(pickQualitativeImages(labels, 8, 4), pickQualitativeImages(labels, 8, 3));
  assert.equal(pickQualitativeImages(labels, 20, 0).length, 8);
});
