import assert from "node:assert/strict";
import { assertClose } from "../util/assert_close.ts";
import { gridPG, gridPGOnGrid } from "../../metrics/gridpg.ts";

/** One h x w map per hit: zero except `value` at the hit (y, x). */
function impulses(h: number, w: number, hits: [number, number][], value = 1): Float32Array {
  const data = new Float32Array(hits.length * h * w);
  hits.forEach(([y, x], i) => (data[i * h * w + y * w + x] = value));
  return data;
}

Deno.test("gridPG: each map concentrated in its own cell scores 100% without smoothing", () => {
  // 2x2 grid on 4x4 maps; map c has its mass somewhere in cell c, plus negative mass elsewhere.
  const data = impulses(4, 4, [[1, 0], [0, 3], [2, 1], [3, 3]], 2);
  data[0 * 16 + 15] = -7; // negative attribution outside the cell is ignored
  const r = gridPGOnGrid({ shape: [4, 4, 4], data }, 2, [0, 1, 2, 3], { smooth: false });
  assert.deepEqual(Array.from(r.fractions), [1, 1, 1, 1]);
  assert.equal(r.meanPercent, 100);
  assert.equal(r.evaluated, 4);
  assert.equal(r.skipped, 0);
});

Deno.test("gridPG: mass in the wrong cell scores 0; the mean is over maps", () => {
  const data = impulses(4, 4, [[0, 0], [0, 0]]);
  const r = gridPGOnGrid({ shape: [2, 4, 4], data }, 2, [0, 3], { smooth: false });
  assert.deepEqual(Array.from(r.fractions), [1, 0]);
  assert.equal(r.meanPercent, 50);
});

Deno.test("gridPG: hand-computed mixed-sign map without smoothing", () => {
  // [[3, 1], [-2, 0]], target = top-left pixel: 3 / (3 + 1) = 0.75.
  const r = gridPG(
    { shape: [1, 2, 2], data: Float32Array.of(3, 1, -2, 0) },
    [{ x0: 0, y0: 0, x1: 1, y1: 1 }],
    {
      smooth: false,
    },
  );
  assert.equal(r.fractions[0], 0.75);
  assert.equal(r.meanPercent, 75);
});

Deno.test("gridPG: all-negative and all-zero maps are skipped (NaN, excluded from the mean)", () => {
  const data = new Float32Array(3 * 16);
  data.fill(-1, 0, 16); // map 0: all negative
  // map 1: all zero
  data[2 * 16 + 5] = 4; // map 2: one positive pixel at (1, 1), in cell 0
  const r = gridPGOnGrid({ shape: [3, 4, 4], data }, 2, [0, 0, 0]);
  assert.ok(Number.isNaN(r.fractions[0]));
  assert.ok(Number.isNaN(r.fractions[1]));
  assert.equal(r.skipped, 2);
  assert.equal(r.evaluated, 1);
  // Default smoothing 5x5 on 4x4: the impulse at (1, 1) covers rows/cols 0..3, i.e. all 16 pixels
  // equally, so 4 of 16 pixels lie in cell 0.
  assert.equal(r.fractions[2], 0.25);
  assert.equal(r.meanPercent, 25);
});

Deno.test("gridPG: hand-computed smoothed values on tiny maps", () => {
  // 6x6 map, 2x2 grid of 3x3 cells, 5x5 smoothing.
  // Impulse at (0, 0): spreads to rows 0..2 x cols 0..2, all inside cell 0 -> 100%.
  // Impulse at (2, 2): spreads to rows 0..4 x cols 0..4 (25 pixels of equal mass), 9 in cell 0 -> 36%.
  const data = impulses(6, 6, [[0, 0], [2, 2]]);
  const r = gridPGOnGrid({ shape: [2, 6, 6], data }, 2, [0, 0]);
  assertClose(r.fractions, [1, 9 / 25], 1e-12);
  assertClose([r.meanPercent], [(100 + 36) / 2], 1e-12);
  // Kernel 3 on a 4x4 map, impulse at (1, 1): 3x3 block rows/cols 0..2, 4 of its 9 pixels in cell 0.
  const r3 = gridPGOnGrid({ shape: [1, 4, 4], data: impulses(4, 4, [[1, 1]]) }, 2, [0], { kernelSize: 3 });
  assertClose(r3.fractions, [4 / 9], 1e-12);
  // Without smoothing the same map is 100%.
  assert.equal(
    gridPGOnGrid({ shape: [1, 4, 4], data: impulses(4, 4, [[1, 1]]) }, 2, [0], { smooth: false })
      .meanPercent,
    100,
  );
});

Deno.test("gridPG: smoothing happens before the positive part (opposite signs can cancel)", () => {
  // 1x2 map [1, -1]: smoothed with kernel 3 both pixels are (1 - 1) / 9 = 0 -> no positive mass, skipped.
  const maps = { shape: [1, 1, 2], data: Float32Array.of(1, -1) };
  const cell = [{ x0: 0, y0: 0, x1: 1, y1: 1 }];
  assert.equal(gridPG(maps, cell, { kernelSize: 3 }).skipped, 1);
  assert.equal(gridPG(maps, cell, { smooth: false }).fractions[0], 1);
});

Deno.test("gridPG: 3x3 grid centre cell and input checks", () => {
  const data = impulses(6, 6, [[2, 3], [0, 5]]);
  const r = gridPGOnGrid({ shape: [2, 6, 6], data }, 3, [4, 2], { smooth: false });
  assert.deepEqual(Array.from(r.fractions), [1, 1]);
  assert.throws(() => gridPGOnGrid({ shape: [2, 6, 6], data }, 3, [4]), RangeError);
  assert.throws(() => gridPGOnGrid({ shape: [2, 6, 6], data }, 3, [4, 9]), RangeError);
  const none = gridPG({ shape: [0, 6, 6], data: new Float32Array(0) }, []);
  assert.ok(Number.isNaN(none.meanPercent));
});
