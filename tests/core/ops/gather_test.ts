import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import { gather, indexSelect, oneHot } from "../../../core/ops/gather.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";
import type { HostTensor } from "../../../core/host_tensor.ts";
import assert from "node:assert/strict";

function strides(shape: number[]): number[] {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function coords(i: number, shape: number[]): number[] {
  const c = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

function gather64(x: Tensor64, idx: Tensor64, axis: number): Tensor64 {
  const xs = strides(x.shape);
  const data = new Float64Array(idx.data.length);
  for (let i = 0; i < data.length; i++) {
    const c = coords(i, idx.shape);
    c[axis] = idx.data[i];
    data[i] = x.data[c.reduce((p, v, d) => p + v * xs[d], 0)];
  }
  return { shape: [...idx.shape], data };
}

function indexSelect64(x: Tensor64, axis: number, idx: Tensor64): Tensor64 {
  const shape = x.shape.map((d, i) => (i === axis ? idx.data.length : d));
  const xs = strides(x.shape);
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = coords(i, shape);
    c[axis] = idx.data[c[axis]];
    data[i] = x.data[c.reduce((p, v, d) => p + v * xs[d], 0)];
  }
  return { shape, data };
}

/** Integer indices in [0, n) with repeats. */
function indicesHost(shape: number[], n: number, seed: number): HostTensor {
  const h = randomHost(shape, seed, 0, n);
  h.data.forEach((v, i) => (h.data[i] = Math.min(n - 1, Math.floor(v))));
  return h;
}

// [x shape, index shape, axis]
const GATHER_CASES: [number[], number[], number][] = [
  [[1], [1], 0],
  [[7], [13], 0],
  [[4, 33], [4, 5], 1],
  [[130, 3], [7, 2], 0], // index shape smaller than x on the other axis
  [[3, 7, 5], [2, 9, 4], 1],
  [[2, 3, 4, 5], [2, 3, 4, 2], 3],
];

Deno.test("gather: forward and scatter-add backward on several shapes and axes", async () => {
  for (const [k, [xs, is, axis]] of GATHER_CASES.entries()) {
    await checkOp({
      name: `gather x[${xs}] idx[${is}] axis ${axis}`,
      inputs: [randomHost(xs, 30 + k), indicesHost(is, xs[axis], 40 + k)],
      grad: [true, false],
      gpu: (x, i) => gather(x, i, axis),
      cpu: (x, i) => gather64(x, i, axis),
      tol: 0,
    });
  }
});

Deno.test("indexSelect: forward and backward with repeated indices", async () => {
  const cases: [number[], number, number][] = [[[7], 0, 4], [[5, 33], 1, 9], [[130, 2], 0, 7], [
    [2, 3, 4],
    2,
    6,
  ]];
  for (const [k, [xs, axis, K]] of cases.entries()) {
    await checkOp({
      name: `indexSelect x[${xs}] axis ${axis} K ${K}`,
      inputs: [randomHost(xs, 50 + k), indicesHost([K], xs[axis], 60 + k)],
      grad: [true, false],
      gpu: (x, i) => indexSelect(x, axis, i),
      cpu: (x, i) => indexSelect64(x, axis, i),
      tol: 0,
    });
  }
});

Deno.test("gather: out-of-range indices give NaN; oneHot encodes labels", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const x = fromArray([2, 3], [1, 2, 3, 4, 5, 6]);
    const y = await gather(x, fromArray([2, 1], [2, 3]), 1).read();
    assert.equal(y[0], 3);
    assert.ok(Number.isNaN(y[1]));
    const h = await oneHot(fromArray([3], [2, 0, 1]), 3).read();
    assert.deepEqual([...h], [0, 0, 1, 1, 0, 0, 0, 1, 0]);
    const big = await oneHot(fromArray([2, 2], [129, 0, 5, 7]), 130, 1, 0.25).read();
    assert.equal(big.length, 4 * 130);
    assert.equal(big[129], 1);
    assert.equal(big[130], 1);
    assert.equal(big[2 * 130 + 5], 1);
    assert.equal(big[3 * 130 + 7], 1);
    assert.equal(big.reduce((s, v) => s + v, 0), 4 + 0.25 * 4 * 129);
  });
});
