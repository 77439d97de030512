import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import "../../../core/ops/mod.ts";
import { Rng } from "../../../core/data/rng.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";
import { colorJitter, viewTransform } from "../../../core/train/augment.ts";
import { holdoutSplit, type ImageSet, subsetOf, ViewBatcher } from "../../../core/train/data.ts";
import { firstNonFinite, LossLog } from "../../../core/train/loss_log.ts";
import { readTensors } from "../../../core/train/readback.ts";
import { writeAt } from "../../../core/train/write_at.ts";

await initGpu();

function ramp(n: number): ImageSet {
  const images = new Float32Array(n * 28 * 28);
  for (let i = 0; i < images.length; i++) images[i] = ((i * 37) % 256) / 255;
  return {
    images,
    itemShape: [1, 28, 28],
    n,
    labels: Float32Array.from({ length: n }, (_, i) => i % 10),
    numClasses: 10,
    multiLabel: false,
  };
}

Deno.test("ViewBatcher: deterministic per (seed, epoch, index), independent of call order; views differ", () => {
  const set = ramp(10);
  const views = [
    viewTransform({ size: 28, kind: "ssl", bcos: false }),
    viewTransform({ size: 12, kind: "ssl", bcos: true }),
  ];
  const a = new ViewBatcher({ set, batchSize: 4, views, seed: 3 });
  const b = new ViewBatcher({ set, batchSize: 4, views, seed: 3 });
  assert.equal(a.batchesPerEpoch, 2, "the last incomplete batch is dropped");
  const late = a.batch(1, 1);
  a.batch(0, 0);
  const again = b.batch(1, 1);
  assert.deepEqual(late.indices, again.indices);
  assert.deepEqual(late.views[0].data, again.views[0].data);
  assert.deepEqual(late.views[1].shape, [4, 6, 12, 12]);
  assert.deepEqual([...late.labels], late.indices.map((i) => i % 10));
  assert.notDeepEqual(a.order(0), a.order(1));
  const perm = [...a.order(0)].sort((x, y) => x - y);
  assert.deepEqual(perm, [...Array(10).keys()]);
});

Deno.test("colorJitter keeps the shape and stays in [0, 1]; p = 0 is the identity", () => {
  const image = { shape: [1, 2, 3], data: Float32Array.of(0, 0.2, 0.4, 0.6, 0.8, 1) };
  const out = colorJitter({ p: 1, brightness: 0.9, contrast: 0.9 })({ image, boxes: [] }, new Rng(1)).image;
  assert.deepEqual(out.shape, [1, 2, 3]);
  assert.ok(out.data.every((v) => v >= 0 && v <= 1));
  assert.equal(colorJitter({ p: 0 })({ image, boxes: [] }, new Rng(1)).image, image);
});

Deno.test("LossLog: writes scalars into GPU slots and drains them in one readback; NaN detection", async () => {
  await tidyAsync(async () => {
    const log = new LossLog(3);
    log.write(fromArray([], [1.5]));
    log.write(fromArray([1], [2.5]));
    assert.equal(log.pending, 2);
    assert.deepEqual([...await log.drain()], [1.5, 2.5]);
    assert.equal(log.pending, 0);
    for (const v of [1, NaN, 3]) log.write(fromArray([], [v]));
    assert.equal(log.full, true);
    assert.throws(() => log.write(fromArray([], [0])), /drain first/);
    assert.equal(firstNonFinite(await log.drain()), 1);
    assert.equal(firstNonFinite([1, 2]), -1);
    assert.equal(firstNonFinite([Infinity]), 0);
    log.dispose();
  });
});

Deno.test("writeAt and readTensors: region writes and one packed readback", async () => {
  await tidyAsync(async () => {
    const target = fromArray([2, 3], [0, 0, 0, 0, 0, 0]);
    writeAt(target, fromArray([2], [7, 8]), 3);
    writeAt(target, fromArray([1], [9]), 0);
    assert.throws(() => writeAt(target, fromArray([2], [1, 2]), 5), /does not fit/);
    const [t, u] = await readTensors([target, fromArray([2], [4, 5])]);
    assert.deepEqual([...t], [9, 0, 0, 7, 8, 0]);
    assert.deepEqual([...u], [4, 5]);
  });
});

Deno.test("holdoutSplit: disjoint, covering, sized round(fraction * n), seeded; subsetOf copies items and labels in order", () => {
  const a = holdoutSplit(50, 0.2, 1), b = holdoutSplit(50, 0.2, 1), c = holdoutSplit(50, 0.2, 2);
  assert.equal(a.val.length, 10);
  assert.equal(a.fit.length, 40);
  assert.deepEqual([...a.fit, ...a.val].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.val, c.val);
  assert.equal(holdoutSplit(3, 0.01, 0).val.length, 1);
  assert.equal(holdoutSplit(3, 0.99, 0).fit.length, 1);
  assert.throws(() => holdoutSplit(1, 0.5, 0), /cannot be split/);
  const set: ImageSet = {
    images: Float32Array.from({ length: 5 * 2 }, (_, i) => i),
    itemShape: [1, 1, 2],
    n: 5,
    labels: Float32Array.of(0, 1, 2, 3, 4),
    numClasses: 5,
    multiLabel: false,
  };
  const sub = subsetOf(set, [3, 1]);
  assert.equal(sub.n, 2);
  assert.deepEqual([...sub.images], [6, 7, 2, 3]);
  assert.deepEqual([...sub.labels], [3, 1]);
});
