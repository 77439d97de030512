import assert from "node:assert/strict";
import { boxIou } from "../../../core/data/boxes.ts";
import { loadFashionMnist } from "../../../core/data/fashion_mnist.ts";
import { makeScenes, type SceneSource } from "../../../core/data/scenes.ts";
import { Rng } from "../../../core/data/rng.ts";

/** Synthetic 28x28 items: a filled rectangle at a random place, class i % 10. */
function syntheticSource(n: number): SceneSource {
  const rng = new Rng(11);
  const images = new Float32Array(n * 784);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    const x0 = rng.int(10), y0 = rng.int(10), x1 = x0 + 5 + rng.int(13), y1 = y0 + 5 + rng.int(13);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) images[i * 784 + y * 28 + x] = 0.2 + 0.8 * rng.float();
    }
  }
  return { images, labels, n, height: 28, width: 28 };
}

function checkScenes(src: SceneSource, scenes: ReturnType<typeof makeScenes>, size: number) {
  for (let s = 0; s < scenes.boxes.length; s++) {
    const canvas = scenes.images.subarray(s * size * size, (s + 1) * size * size);
    const boxes = scenes.boxes[s];
    const hot = [...scenes.labels.subarray(s * 10, (s + 1) * 10)].flatMap((v, k) => (v ? [k] : []));
    assert.deepEqual(hot, [...new Set(boxes.map((b) => b.cls))].sort((a, b) => a - b));
    boxes.forEach((b, j) => {
      const idx = scenes.sources[s][j];
      assert.equal(src.labels[idx], b.cls);
      // Every nonzero pixel of the source item lies inside its box, and the box is tight.
      let minX = Infinity, minY = Infinity, maxX = -1, maxY = -1;
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          if (src.images[idx * 784 + y * 28 + x] > 0) {
            minX = Math.min(minX, x),
              minY = Math.min(minY, y),
              maxX = Math.max(maxX, x),
              maxY = Math.max(maxY, y);
          }
        }
      }
      const ox = b.x0 - minX, oy = b.y0 - minY; // tile origin on the canvas
      assert.equal(b.x1, ox + maxX + 1);
      assert.equal(b.y1, oy + maxY + 1);
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const v = src.images[idx * 784 + y * 28 + x];
          if (v > 0) {
            const cx = ox + x, cy = oy + y;
            assert.ok(cx >= b.x0 && cx < b.x1 && cy >= b.y0 && cy < b.y1);
            assert.ok(canvas[cy * size + cx] >= v);
          }
        }
      }
    });
  }
}

Deno.test("makeScenes: boxes contain each item's nonzero pixels; labels match; no overlap; seeded", () => {
  const src = syntheticSource(50);
  const scenes = makeScenes(src, { count: 20, size: 84, items: [2, 4], seed: 5 });
  assert.deepEqual(scenes.shape, [20, 1, 84, 84]);
  checkScenes(src, scenes, 84);
  for (const boxes of scenes.boxes) {
    assert.ok(boxes.length >= 2 && boxes.length <= 4);
    assert.equal(new Set(boxes.map((b) => b.cls)).size, boxes.length);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) assert.equal(boxIou(boxes[i], boxes[j]), 0);
    }
  }
  const again = makeScenes(src, { count: 20, size: 84, items: [2, 4], seed: 5 });
  assert.deepEqual(again.images, scenes.images);
  assert.deepEqual(again.boxes, scenes.boxes);
  assert.notDeepEqual(makeScenes(src, { count: 20, size: 84, seed: 6 }).images, scenes.images);
  assert.throws(() => makeScenes(src, { count: 1, size: 56, items: 9 }), /could not place 9 items/);
  assert.throws(() => makeScenes(src, { count: 1, size: 20 }), /canvas 20 smaller/);
});

Deno.test("makeScenes: limited overlap on a 112 canvas", () => {
  const src = syntheticSource(30);
  const scenes = makeScenes(src, { count: 10, size: 112, items: 5, maxOverlap: 0.2, seed: 1 });
  checkScenes(src, scenes, 112);
  for (const boxes of scenes.boxes) assert.equal(boxes.length, 5);
});

const haveFm = await Deno.stat("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").then(
  () => true,
  () => false,
);

Deno.test({
  name: "makeScenes: from the real Fashion-MNIST test split",
  ignore: !haveFm,
  fn: async () => {
    const fm = await loadFashionMnist({ split: "test", limit: 500, envDir: null, download: false });
    const scenes = makeScenes(fm, { count: 30, size: 84, items: 3, seed: 9 });
    checkScenes(fm, scenes, 84);
  },
});
