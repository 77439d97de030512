import assert from "node:assert/strict";
import {
  buildGrids,
  eligibleByClass,
  type GridPool,
  loadGrids,
  saveGrids,
  TooFewClassesError,
} from "../../../core/data/grid.ts";

/** 12 images of 3x4x5 (value = image index / 20), classes i % 6, confidence varies. */
function pool(): GridPool {
  const n = 12, size = 3 * 4 * 5;
  const images = new Float32Array(n * size);
  for (let i = 0; i < n; i++) images.fill(i / 20, i * size, (i + 1) * size);
  const labels = Array.from({ length: n }, (_, i) => i % 6);
  const confidence = labels.map((_, i) => (i === 3 || i === 9 ? 0.5 : i === 4 ? 0.96 : 0.99));
  const correct = labels.map((_, i) => i !== 5);
  return { images, shape: [n, 3, 4, 5], labels, confidence, correct };
}

Deno.test("buildGrids: distinct classes per grid, each cell confident and correct, cells in place", () => {
  const p = pool();
  // Class 3 (images 3, 9) is never confident; image 5 is wrong but 11 (class 5) is fine.
  assert.deepEqual(eligibleByClass(p, 6, 0.95), [[0, 6], [1, 7], [2, 8], [], [4, 10], [11]]);
  assert.deepEqual(eligibleByClass(p, 6, 0.97)[4], [10]);
  const grids = buildGrids(p, { count: 8, n: 2, seed: 4 });
  assert.equal(grids.length, 8);
  for (const g of grids) {
    assert.deepEqual(g.image.shape, [3, 8, 10]);
    assert.equal(new Set(g.classes).size, 4);
    assert.ok(!g.classes.includes(3));
    g.sources.forEach((src, k) => {
      assert.equal(p.labels[src], g.classes[k]);
      assert.ok(p.confidence[src] >= 0.95);
      assert.ok(p.correct![src]);
      const c = g.cells[k];
      assert.deepEqual(c, {
        x0: (k % 2) * 5,
        y0: Math.floor(k / 2) * 4,
        x1: (k % 2) * 5 + 5,
        y1: Math.floor(k / 2) * 4 + 4,
      });
      for (let ch = 0; ch < 3; ch++) {
        for (let y = c.y0; y < c.y1; y++) {
          for (let x = c.x0; x < c.x1; x++) {
            assert.equal(g.image.data[(ch * 8 + y) * 10 + x], Math.fround(src / 20));
          }
        }
      }
    });
  }
  assert.deepEqual(buildGrids(p, { count: 3, seed: 4 }), buildGrids(p, { count: 3, seed: 4 }));
  assert.throws(
    () => buildGrids(p, { count: 1, n: 3 }),
    /only 5 classes have images with confidence >= 0.95; a 3x3 grid needs 9/,
  );
  assert.throws(() => buildGrids(p, { count: 1, threshold: 0.999 }), /only 0 classes/);
  assert.throws(() => buildGrids(p, { count: 1, threshold: 0.999 }), TooFewClassesError);
});

Deno.test("saveGrids / loadGrids round trip (8-bit PNGs + manifest.json), errors name the files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const grids = buildGrids(pool(), { count: 3, seed: 1 });
    await saveGrids(`${dir}/g`, grids);
    const names = [];
    for await (const e of Deno.readDir(`${dir}/g`)) names.push(e.name);
    assert.deepEqual(names.sort(), ["grid_00000.png", "grid_00001.png", "grid_00002.png", "manifest.json"]);
    const back = await loadGrids(`${dir}/g`);
    assert.equal(back.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(back[i].classes, grids[i].classes);
      assert.deepEqual(back[i].cells, grids[i].cells);
      assert.deepEqual(back[i].sources, grids[i].sources);
      assert.deepEqual(back[i].image.shape, grids[i].image.shape);
      for (let k = 0; k < grids[i].image.data.length; k++) {
        assert.ok(Math.abs(back[i].image.data[k] - grids[i].image.data[k]) <= 0.5 / 255 + 1e-7);
      }
    }
    await Deno.writeTextFile(`${dir}/g/grid_00001.png`, "garbage");
    await assert.rejects(
      loadGrids(`${dir}/g`),
      new RegExp(`${dir}/g/grid_00001\\.png: not a PNG or JPEG file`),
    );
    await Deno.writeTextFile(`${dir}/g/manifest.json`, "{ nope");
    await assert.rejects(
      loadGrids(`${dir}/g`),
      new RegExp(`${dir}/g/manifest\\.json: cannot load grid manifest`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
