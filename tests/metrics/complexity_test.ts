import assert from "node:assert/strict";
import { assertClose } from "../util/assert_close.ts";
import { attributionEntropy, giniIndex } from "../../metrics/complexity.ts";

const plogp = (ps: number[]) => -ps.reduce((s, p) => s + p * Math.log2(p), 0);

Deno.test("gini: one-hot map = 1 - 1/n, uniform map = 0 (negatives ignored)", () => {
  const oneHot = new Float32Array(16).fill(-3);
  oneHot[7] = 2;
  const r = giniIndex({
    shape: [2, 4, 4],
    data: Float32Array.from([...oneHot, ...new Float32Array(16).fill(0.3)]),
  });
  assertClose(r, [1 - 1 / 16, 0], 1e-12);
});

Deno.test("gini: hand-computed example and its standard form", () => {
  // x sorted = [0, 0, 1, 3], n = 4, sum 4: G = 1 - 2 * ((1.5/4) * 1/4 + (0.5/4) * 3/4) = 0.625,
  // equal to sum_k (2k - n - 1) x_k / (n sum x) = ((6 - 5) * 1 + (8 - 5) * 3) / 16 = 0.625.
  const r = giniIndex({ shape: [1, 2, 2], data: Float32Array.of(3, -1, 0, 1) });
  assertClose(r, [0.625], 1e-12);
  // Invariant to scale and pixel order.
  const r2 = giniIndex({ shape: [1, 2, 2], data: Float32Array.of(0, 10, 30, 0) });
  assertClose(r2, [0.625], 1e-12);
});

Deno.test("gini: all-zero / all-negative maps are NaN", () => {
  const r = giniIndex({ shape: [2, 2, 2], data: Float32Array.of(0, 0, 0, 0, -1, -2, -3, -4) });
  assert.ok(Number.isNaN(r[0]) && Number.isNaN(r[1]));
});

Deno.test("entropy: uniform unsmoothed map = log2(H * W); one-hot = 0; zero map = NaN", () => {
  const data = Float32Array.from([...new Float32Array(12).fill(2), ...new Float32Array(12)]);
  data[12 + 5] = 1;
  const r = attributionEntropy({ shape: [2, 3, 4], data }, { smooth: false });
  assertClose(r, [Math.log2(12), 0], 1e-12);
  const z = attributionEntropy({ shape: [1, 3, 4], data: new Float32Array(12).fill(-1) });
  assert.ok(Number.isNaN(z[0]));
});

Deno.test("entropy: smoothed uniform maps, by hand", () => {
  // 3x3 ones, default 5x5 pooling: every pixel sees the whole map -> 9/25 everywhere -> log2(9).
  const r5 = attributionEntropy({ shape: [1, 3, 3], data: new Float32Array(9).fill(1) });
  assertClose(r5, [Math.log2(9)], 1e-12);
  // 4x4 ones, 5x5 pooling: corners 9, edges 12, centre 16 (x 1/25); sum 4*9 + 8*12 + 4*16 = 196.
  const r4 = attributionEntropy({ shape: [1, 4, 4], data: new Float32Array(16).fill(1) });
  const p4 = [...Array(4).fill(9 / 196), ...Array(8).fill(12 / 196), ...Array(4).fill(16 / 196)];
  assertClose(r4, [plogp(p4)], 1e-12);
  // 3x3 ones, 3x3 pooling: corners 4, edges 6, centre 9 (x 1/9); sum 49.
  const r3 = attributionEntropy({ shape: [1, 3, 3], data: new Float32Array(9).fill(1) }, { kernelSize: 3 });
  const p3 = [...Array(4).fill(4 / 49), ...Array(4).fill(6 / 49), 9 / 49];
  assertClose(r3, [plogp(p3)], 1e-12);
});

Deno.test("entropy: smooth-then-clamp (default) vs clamp-then-smooth", () => {
  // 1x3 map [1, -1, 0], kernel 3. Smooth first: [0, 0, -1/9] -> no positive mass -> NaN.
  // Clamp first: [1, 0, 0] -> [1/9, 1/9, 0] -> two equal pixels -> 1 bit.
  const maps = { shape: [1, 1, 3], data: Float32Array.of(1, -1, 0) };
  assert.ok(Number.isNaN(attributionEntropy(maps, { kernelSize: 3 })[0]));
  assertClose(attributionEntropy(maps, { kernelSize: 3, order: "clamp-then-smooth" }), [1], 1e-12);
});
