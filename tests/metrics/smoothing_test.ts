import assert from "node:assert/strict";
import { assertClose } from "../util/assert_close.ts";
import { avgPool2d, smoothMapInto } from "../../metrics/smoothing.ts";

/** Direct 2D reference: zero padding, divisor k*k. */
function naivePool(data: Float32Array, b: number, h: number, w: number, k: number): Float64Array {
  const p = (k - 1) / 2;
  const out = new Float64Array(b * h * w);
  for (let i = 0; i < b; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let dy = -p; dy <= p; dy++) {
          for (let dx = -p; dx <= p; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w) s += data[i * h * w + yy * w + xx];
          }
        }
        out[i * h * w + y * w + x] = s / (k * k);
      }
    }
  }
  return out;
}

Deno.test("avgPool2d: 3x3 ones, kernel 3 counts padding in the divisor", () => {
  const r = avgPool2d({ shape: [1, 3, 3], data: new Float32Array(9).fill(1) }, 3);
  assertClose(r.data, [4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => v / 9), 1e-6);
  assert.deepEqual(r.shape, [1, 3, 3]);
});

Deno.test("avgPool2d: default 5x5 on a 3x3 map averages everything over 25", () => {
  const r = avgPool2d({ shape: [3, 3], data: new Float32Array(9).fill(1) });
  assertClose(r.data, new Array(9).fill(9 / 25), 1e-6);
  assert.deepEqual(r.shape, [3, 3]);
});

Deno.test("avgPool2d: default 5x5 on a 4x4 ones map (corner 9, edge 12, centre 16, over 25)", () => {
  const r = avgPool2d({ shape: [1, 4, 4], data: new Float32Array(16).fill(1) });
  const c = 9 / 25, e = 12 / 25, m = 16 / 25;
  assertClose(r.data, [c, e, e, c, e, m, m, e, e, m, m, e, c, e, e, c], 1e-6);
});

Deno.test("avgPool2d: an impulse spreads as a k x k block of 1/k^2, exact zeros elsewhere", () => {
  const data = new Float32Array(49);
  data[3 * 7 + 3] = 25;
  const r = avgPool2d({ shape: [1, 7, 7], data });
  for (let y = 0; y < 7; y++) {
    for (let x = 0; x < 7; x++) {
      const inside = Math.abs(y - 3) <= 2 && Math.abs(x - 3) <= 2;
      assert.equal(r.data[y * 7 + x], inside ? 1 : 0);
    }
  }
});

Deno.test("avgPool2d: matches a direct 2D reference on a random batch, several kernel sizes", () => {
  const b = 3, h = 5, w = 6;
  const data = new Float32Array(b * h * w);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648 - 0.5;
  }
  for (const k of [1, 3, 5, 7, 13]) {
    const r = avgPool2d({ shape: [b, h, w], data }, k);
    assertClose(r.data, naivePool(data, b, h, w, k), 1e-6, `kernel ${k}`);
  }
});

Deno.test("avgPool2d: kernel 1 is the identity; even or invalid kernels throw", () => {
  const data = Float32Array.of(1, -2, 3, 4);
  assert.deepEqual(Array.from(avgPool2d({ shape: [1, 2, 2], data }, 1).data), [1, -2, 3, 4]);
  assert.throws(() => avgPool2d({ shape: [1, 2, 2], data }, 4), RangeError);
  assert.throws(() => avgPool2d({ shape: [1, 2, 2], data }, 0), RangeError);
  assert.throws(() => avgPool2d({ shape: [2, 2, 2], data }, 3), RangeError);
});

Deno.test("smoothMapInto: reads at an offset into a batch", () => {
  const data = Float32Array.of(0, 0, 0, 0, 9, 9, 9, 9);
  const out = new Float64Array(4);
  smoothMapInto(data, 4, 2, 2, 3, out, new Float64Array(4));
  assertClose(out, [4, 4, 4, 4], 1e-12);
});
