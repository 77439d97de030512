import assert from "node:assert/strict";
import { assertClose } from "../util/assert_close.ts";
import { energyPointingGame } from "../../metrics/epg.ts";
import type { Box } from "../../metrics/regions.ts";

const ramp16 = Float32Array.from({ length: 16 }, (_, i) => i + 1); // 4x4 map with values 1..16

Deno.test("EPG: a box covering the whole image scores 1 (last size bin)", () => {
  const data = Float32Array.of(1, -3, 2, 0.5, 0, -1, 4, 2, 1);
  const r = energyPointingGame({ shape: [1, 3, 3], data }, [[{ x0: 0, y0: 0, x1: 3, y1: 3 }]]);
  assert.equal(r.fractions[0], 1);
  assert.equal(r.meanPercent, 100);
  assert.equal(r.areaFractions[0], 1);
  assert.equal(r.bin[0], 3);
  assert.deepEqual(r.bins.map((b) => b.count), [0, 0, 0, 1]);
  assert.equal(r.bins[3].meanPercent, 100);
  assert.ok(Number.isNaN(r.bins[0].meanPercent));
  // Oversized boxes are clipped to the image.
  const big = energyPointingGame({ shape: [1, 3, 3], data }, [[{ x0: -9, y0: -9, x1: 99, y1: 99 }]]);
  assert.equal(big.fractions[0], 1);
});

Deno.test("EPG: union of overlapping boxes, hand-computed", () => {
  // Union of [0,2)x[0,2) and [1,3)x[1,3) = pixels (0,0) (0,1) (1,0) (1,1) (1,2) (2,1) (2,2), values
  // 1 + 2 + 5 + 6 + 7 + 10 + 11 = 42 of a total 136; area 7/16 = 0.4375 -> bin [0.25, 0.5).
  const boxes: Box[][] = [[{ x0: 0, y0: 0, x1: 2, y1: 2 }, { x0: 1, y0: 1, x1: 3, y1: 3 }]];
  const r = energyPointingGame({ shape: [1, 4, 4], data: ramp16 }, boxes);
  assertClose(r.fractions, [42 / 136], 1e-12);
  assert.equal(r.areaFractions[0], 7 / 16);
  assert.equal(r.bin[0], 1);
});

Deno.test("EPG: inclusive boxes include x1 and y1", () => {
  // Inclusive [0,1]x[0,1] = pixels 1, 2, 5, 6 -> 14 / 136.
  const r = energyPointingGame({ shape: [1, 4, 4], data: ramp16 }, [[{ x0: 0, y0: 0, x1: 1, y1: 1 }]], {
    inclusive: true,
  });
  assertClose(r.fractions, [14 / 136], 1e-12);
  assert.equal(r.areaFractions[0], 0.25);
});

Deno.test("EPG: empty box lists and maps without positive mass are skipped", () => {
  const data = new Float32Array(3 * 16);
  data.set(ramp16, 0); // pair 0: no boxes
  data.fill(-1, 16, 32); // pair 1: all negative
  data.set(ramp16, 32); // pair 2: box = first row (1+2+3+4 = 10 of 136)
  const box = { x0: 0, y0: 0, x1: 4, y1: 1 };
  const r = energyPointingGame({ shape: [3, 4, 4], data }, [[], [box], [box]]);
  assert.ok(Number.isNaN(r.fractions[0]));
  assert.ok(Number.isNaN(r.fractions[1]));
  assertClose([r.fractions[2]], [10 / 136], 1e-12);
  assert.equal(r.skippedNoBox, 1);
  assert.equal(r.skippedNoPositive, 1);
  assert.equal(r.evaluated, 1);
  assert.deepEqual(Array.from(r.bin), [-1, -1, 1]);
  assertClose([r.meanPercent], [1000 / 136], 1e-12);
  // A box entirely outside the image is an empty region too.
  const out = energyPointingGame({ shape: [1, 4, 4], data: ramp16 }, [[{ x0: 4, y0: 0, x1: 8, y1: 4 }]]);
  assert.equal(out.skippedNoBox, 1);
});

Deno.test("EPG: disjoint size bins [0,.25) [.25,.5) [.5,.75) [.75,1], hand-computed means", () => {
  // Five 4x4 pairs on the uniform map of ones, so EPG = box area fraction.
  const data = new Float32Array(5 * 16).fill(1);
  const rows = (k: number): Box[] => [{ x0: 0, y0: 0, x1: 4, y1: k }]; // k full rows = k/4 of the area
  const boxes = [[{ x0: 0, y0: 0, x1: 1, y1: 1 }], rows(1), rows(2), rows(3), rows(4)];
  const r = energyPointingGame({ shape: [5, 4, 4], data }, boxes);
  assertClose(r.fractions, [1 / 16, 0.25, 0.5, 0.75, 1], 1e-12);
  assert.deepEqual(Array.from(r.bin), [0, 1, 2, 3, 3]); // 0.25, 0.5, 0.75 open their bins
  assert.deepEqual(r.bins.map((b) => [b.lo, b.hi, b.count]), [[0, 0.25, 1], [0.25, 0.5, 1], [0.5, 0.75, 1], [
    0.75,
    1,
    2,
  ]]);
  assertClose(r.bins.map((b) => b.meanPercent), [6.25, 25, 50, 87.5], 1e-12);
  assertClose([r.meanPercent], [100 * (1 / 16 + 0.25 + 0.5 + 0.75 + 1) / 5], 1e-12);
  // Custom edges: one split at one half.
  const two = energyPointingGame({ shape: [5, 4, 4], data }, boxes, { binEdges: [0.5] });
  assert.deepEqual(two.bins.map((b) => b.count), [2, 3]);
  assert.throws(() => energyPointingGame({ shape: [5, 4, 4], data }, boxes, { binEdges: [0.5, 0.4] }));
});

Deno.test("EPG: smoothing is off by default; on request it pools first", () => {
  // 3x3 impulse at the centre, box = centre pixel: raw EPG 1; with 3x3 pooling the mass spreads evenly
  // over all 9 pixels -> 1/9.
  const data = new Float32Array(9);
  data[4] = 1;
  const boxes = [[{ x0: 1, y0: 1, x1: 2, y1: 2 }]];
  assert.equal(energyPointingGame({ shape: [1, 3, 3], data }, boxes).fractions[0], 1);
  const s = energyPointingGame({ shape: [1, 3, 3], data }, boxes, { smooth: true, kernelSize: 3 });
  assertClose(s.fractions, [1 / 9], 1e-12);
  assert.throws(() => energyPointingGame({ shape: [1, 3, 3], data }, []), RangeError);
});
