import assert from "node:assert/strict";
import { boxSum, boxUnionMask, gridCellBox } from "../../metrics/regions.ts";
import { mapBatchDims, nanMean } from "../../metrics/map_batch.ts";

Deno.test("boxUnionMask: half-open boxes, overlap counted once", () => {
  const mask = new Uint8Array(16);
  const area = boxUnionMask([{ x0: 0, y0: 0, x1: 2, y1: 2 }, { x0: 1, y0: 1, x1: 3, y1: 3 }], 4, 4, mask);
  assert.equal(area, 7);
  assert.deepEqual(Array.from(mask), [1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
});

Deno.test("boxUnionMask: inclusive boxes include the upper edges", () => {
  const mask = new Uint8Array(9);
  assert.equal(boxUnionMask([{ x0: 0, y0: 0, x1: 1, y1: 1 }], 3, 3, mask, true), 4);
  assert.equal(boxUnionMask([{ x0: 0, y0: 0, x1: 1, y1: 1 }], 3, 3, mask, false), 1);
  assert.deepEqual(Array.from(mask), [1, 0, 0, 0, 0, 0, 0, 0, 0]); // cleared between calls
});

Deno.test("boxUnionMask: clipping, fractional coordinates, empty and degenerate boxes", () => {
  const mask = new Uint8Array(12);
  assert.equal(boxUnionMask([{ x0: -5, y0: -5, x1: 100, y1: 100 }], 3, 4, mask), 12);
  // Columns with 0.5 <= x < 2 -> {1}; rows 0 <= y < 1.5 -> {0, 1}.
  assert.equal(boxUnionMask([{ x0: 0.5, y0: 0, x1: 2, y1: 1.5 }], 3, 4, mask), 2);
  assert.equal(mask[1] + mask[5], 2);
  assert.equal(boxUnionMask([], 3, 4, mask), 0);
  assert.equal(boxUnionMask([{ x0: 2, y0: 0, x1: 1, y1: 3 }], 3, 4, mask), 0);
  assert.equal(boxUnionMask([{ x0: 5, y0: 5, x1: 9, y1: 9 }], 3, 4, mask), 0);
});

Deno.test("boxSum: sums a box of one map in a batch", () => {
  const v = [100, 100, 100, 100, 1, 2, 3, 4];
  assert.equal(boxSum(v, 4, 2, 2, { x0: 0, y0: 1, x1: 2, y1: 2 }), 7);
});

Deno.test("gridCellBox: exact tiles when n divides the size, floor boundaries otherwise", () => {
  assert.deepEqual(gridCellBox(3, 4, 6, 6), { x0: 2, y0: 2, x1: 4, y1: 4 });
  assert.deepEqual(gridCellBox(2, 1, 448, 448), { x0: 224, y0: 0, x1: 448, y1: 224 });
  assert.deepEqual(gridCellBox(2, 2, 5, 5), { x0: 0, y0: 2, x1: 2, y1: 5 });
  assert.throws(() => gridCellBox(2, 4, 4, 4), RangeError);
});

Deno.test("mapBatchDims and nanMean", () => {
  assert.deepEqual(mapBatchDims({ shape: [3, 4], data: new Float32Array(12) }), { b: 1, h: 3, w: 4 });
  assert.throws(() => mapBatchDims({ shape: [2, 3, 4], data: new Float32Array(5) }), RangeError);
  assert.throws(() => mapBatchDims({ shape: [24], data: new Float32Array(24) }), RangeError);
  assert.deepEqual(nanMean([NaN, NaN]), { mean: NaN, count: 0, nanCount: 2 });
});
