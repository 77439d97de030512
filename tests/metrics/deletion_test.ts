import assert from "node:assert/strict";
import { assertClose } from "../util/assert_close.ts";
import {
  DEFAULT_DELETION_FRACTIONS,
  deletedCount,
  deletionCurve,
  deletionOrder,
  deletionSteps,
  trapezoidAuc,
} from "../../metrics/deletion.ts";
import type { HostTensor } from "../../core/host_tensor.ts";

/** Tiny linear "model": target probability = 0.1 * sum of the image's pixels (all channels). */
function linearModel(batch: HostTensor): number[] {
  const [b] = batch.shape;
  const per = batch.data.length / b;
  return Array.from({ length: b }, (_, i) => {
    let s = 0;
    for (let j = 0; j < per; j++) s += batch.data[i * per + j];
    return 0.1 * s;
  });
}

const image = { shape: [1, 1, 2, 2], data: Float32Array.of(1, 2, 3, 4) };
const map = { shape: [1, 2, 2], data: Float32Array.of(0.4, 0.1, 0.3, 0.1) };
const quarters = [0, 0.25, 0.5, 0.75, 1];

Deno.test("deletion: LeRF on a 2x2 image with a linear model, by hand", () => {
  // Order (ascending attribution, ties by index): pixel 1 (0.1), 3 (0.1), 2 (0.3), 0 (0.4).
  const steps = [...deletionSteps(image, map, { fractions: quarters })];
  assert.deepEqual(steps.map((s) => Array.from(s.images.data)), [
    [1, 2, 3, 4],
    [1, 0, 3, 4],
    [1, 0, 3, 0],
    [1, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(steps.map((s) => s.deleted), [0, 1, 2, 3, 4]);
  assert.deepEqual(steps.map((s) => s.fraction), quarters);
  const probs = steps.map((s) => linearModel(s.images));
  assertClose(probs.flat(), [1, 0.8, 0.4, 0.1, 0], 1e-6);
  // AUC = 0.25 * ((1 + .8) + (.8 + .4) + (.4 + .1) + (.1 + 0)) / 2 = 0.25 * 1.8 = 0.45.
  const r = deletionCurve(probs, quarters);
  assertClose([r.auc], [0.45], 1e-6);
  assertClose(r.perImageAuc, [0.45], 1e-6);
  assertClose(r.curve, [1, 0.8, 0.4, 0.1, 0], 1e-6);
  assert.deepEqual(Array.from(image.data), [1, 2, 3, 4]); // input untouched
});

Deno.test("deletion: MoRF on the same example, by hand", () => {
  // Order (descending, ties by index): pixel 0 (0.4), 2 (0.3), 1 (0.1), 3 (0.1).
  const steps = [...deletionSteps(image, map, { fractions: quarters, order: "morf" })];
  assert.deepEqual(steps.map((s) => Array.from(s.images.data)), [
    [1, 2, 3, 4],
    [0, 2, 3, 4],
    [0, 2, 0, 4],
    [0, 0, 0, 4],
    [0, 0, 0, 0],
  ]);
  const r = deletionCurve(steps.map((s) => linearModel(s.images)), quarters);
  // 0.25 * ((1 + .9) + (.9 + .6) + (.6 + .4) + (.4 + 0)) / 2 = 0.25 * 2.4 = 0.6.
  assertClose([r.auc], [0.6], 1e-6);
});

Deno.test("deletion: batch of two, two channels, per-channel replacement", () => {
  const images = {
    shape: [2, 2, 1, 3],
    data: Float32Array.of(1, 2, 3, 4, 5, 6, /* image 1 */ 7, 8, 9, 10, 11, 12),
  };
  const maps = { shape: [2, 1, 3], data: Float32Array.of(3, 1, 2, -1, -2, -3) };
  // Image 0 LeRF order: 1, 2, 0. Image 1: 2, 1, 0. One third deleted = 1 pixel.
  const [s0, s1] = [...deletionSteps(images, maps, { fractions: [0, 1 / 3], replacement: [0.5, -1] })];
  assert.deepEqual(Array.from(s0.images.data), Array.from(images.data));
  assert.deepEqual(Array.from(s1.images.data), [1, 0.5, 3, 4, -1, 6, 7, 8, 0.5, 10, 11, -1]);
  assert.equal(s1.deleted, 1);
  assert.notEqual(s0.images.data, s1.images.data);
  assert.throws(() => [...deletionSteps(images, maps, { replacement: [1, 2, 3] })], RangeError);
});

Deno.test("deletion: default fractions, rounding of the pixel count, order ties", () => {
  assert.equal(DEFAULT_DELETION_FRACTIONS.length, 21);
  assert.equal(DEFAULT_DELETION_FRACTIONS[1], 0.05);
  assert.equal(DEFAULT_DELETION_FRACTIONS[20], 1);
  assert.equal(deletedCount(0.05, 4), 0); // 0.2 -> 0
  assert.equal(deletedCount(0.125, 4), 1); // 0.5 rounds up
  assert.equal(deletedCount(0.35, 50176), 17562); // 17561.6
  assert.throws(() => deletedCount(1.5, 4), RangeError);
  const equal = { shape: [1, 1, 4], data: new Float32Array(4).fill(2) };
  assert.deepEqual(Array.from(deletionOrder(equal, "lerf")), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(deletionOrder(equal, "morf")), [0, 1, 2, 3]);
  const inf = { shape: [1, 1, 4], data: Float32Array.of(Infinity, -Infinity, 0, Infinity) };
  assert.deepEqual(Array.from(deletionOrder(inf, "lerf")), [1, 2, 0, 3]);
  assert.deepEqual(Array.from(deletionOrder(inf, "morf")), [0, 3, 2, 1]);
  assert.throws(() => deletionOrder({ shape: [1, 1, 2], data: Float32Array.of(0, NaN) }), RangeError);
  const steps = [...deletionSteps({ shape: [1, 1, 2, 2], data: new Float32Array(4) }, map)];
  assert.equal(steps.length, 21);
});

Deno.test("deletion: shape mismatches throw", () => {
  const bad = { shape: [1, 3, 3], data: new Float32Array(9) };
  assert.throws(() => [...deletionSteps(image, bad)], RangeError);
  assert.throws(() => [...deletionSteps({ shape: [4], data: new Float32Array(4) }, map)], RangeError);
  assert.throws(() => deletionCurve([[1], [1]], [0, 0.5, 1]), RangeError);
  assert.throws(() => deletionCurve([[1, 1], [1]], [0, 1]), RangeError);
});

Deno.test("trapezoidAuc and deletionCurve: non-uniform spacing, several images", () => {
  // 0.1 * (1 + 1)/2 + 0.4 * (1 + 0.5)/2 + 0.5 * (0.5 + 0)/2 = 0.1 + 0.3 + 0.125.
  assertClose([trapezoidAuc([0, 0.1, 0.5, 1], [1, 1, 0.5, 0])], [0.525], 1e-12);
  assert.equal(trapezoidAuc([0], [1]), 0);
  const r = deletionCurve([[1, 0], [1, 1]], [0, 1]);
  assertClose(r.perImageAuc, [1, 0.5], 1e-12);
  assertClose(r.curve, [0.5, 1], 1e-12);
  assertClose([r.auc], [0.75], 1e-12);
});
