import assert from "node:assert/strict";
import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import {
  adaptiveAvgPool2d,
  avgPool2d,
  type AvgPool2dOptions,
  globalAvgPool,
  maxPool2d,
  type MaxPool2dOptions,
} from "../../../core/ops/pool.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";
import { grad } from "../../../core/autograd.ts";

function pairOf(v: number | readonly [number, number] | undefined, d: [number, number]): [number, number] {
  return v === undefined ? d : typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/** float64 reference of torch's max_pool2d / avg_pool2d (floor mode). */
function pool64(x: Tensor64, kind: "max" | "avg", opts: AvgPool2dOptions): Tensor64 {
  const [N, C, H, W] = x.shape;
  const [kh, kw] = pairOf(opts.kernel, [1, 1]);
  const [sh, sw] = pairOf(opts.stride, [kh, kw]);
  const [ph, pw] = pairOf(opts.padding, [0, 0]);
  const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1;
  const Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
  const out = new Float64Array(N * C * Ho * Wo);
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const ys = oy * sh - ph;
        const xs = ox * sw - pw;
        let best = -Infinity;
        let total = 0;
        let count = 0;
        for (let iy = Math.max(ys, 0); iy < Math.min(ys + kh, H); iy++) {
          for (let ix = Math.max(xs, 0); ix < Math.min(xs + kw, W); ix++) {
            const v = x.data[(p * H + iy) * W + ix];
            best = Math.max(best, v);
            total += v;
            count++;
          }
        }
        const div = (opts.countIncludePad ?? true)
          ? (Math.min(ys + kh, H + ph) - ys) * (Math.min(xs + kw, W + pw) - xs)
          : count;
        out[(p * Ho + oy) * Wo + ox] = kind === "max" ? best : total / div;
      }
    }
  }
  return { shape: [N, C, Ho, Wo], data: out };
}

function adaptive64(x: Tensor64, oh: number, ow: number): Tensor64 {
  const [N, C, H, W] = x.shape;
  const out = new Float64Array(N * C * oh * ow);
  for (let p = 0; p < N * C; p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        const y0 = Math.floor((i * H) / oh), y1 = Math.ceil(((i + 1) * H) / oh);
        const x0 = Math.floor((j * W) / ow), x1 = Math.ceil(((j + 1) * W) / ow);
        let s = 0;
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += x.data[(p * H + y) * W + xx];
        out[(p * oh + i) * ow + j] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return { shape: [N, C, oh, ow], data: out };
}

/** Distinct values (a shuffled ramp) so that finite differences never cross a tie of the max. */
function distinct(shape: number[], seed: number) {
  const h = randomHost(shape, seed);
  const order = [...h.data.keys()].sort((a, b) => h.data[a] - h.data[b]);
  order.forEach((k, rank) => (h.data[k] = -1 + (2 * rank) / order.length));
  return h;
}

const maxCases: [number[], MaxPool2dOptions][] = [
  [[2, 3, 7, 7], { kernel: 3, stride: 2, padding: 1 }],
  [[1, 2, 13, 13], { kernel: 2 }],
  [[1, 1, 9, 8], { kernel: [3, 2], stride: [2, 1], padding: [1, 0] }],
  [[2, 7, 6, 5], { kernel: 3, stride: 1, padding: 1 }],
  [[1, 3, 8, 8], { kernel: 3, stride: 3 }],
];

Deno.test("maxPool2d: forward and gradient vs float64 reference", async () => {
  for (const [i, [shape, opts]] of maxCases.entries()) {
    await checkOp({
      name: `maxPool2d [${shape}] ${JSON.stringify(opts)}`,
      inputs: [distinct(shape, 20 + i)],
      gpu: (x) => maxPool2d(x, opts),
      cpu: (x) => pool64(x, "max", opts),
      fdStep: 1e-5,
    });
  }
});

Deno.test("maxPool2d: ties send the gradient to the first maximum only", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const x = fromArray([1, 1, 2, 4], [1, 5, 5, 0, 5, 2, 3, 5]);
    x.requiresGrad = true;
    const y = maxPool2d(x, { kernel: 2 });
    assert.deepEqual([...await y.read()], [5, 5]);
    assert.equal(y.node?.kind, "max_pool2d");
    const [g] = grad(y, [x], { gradOutput: fromArray([1, 1, 1, 2], [1, 10]) });
    assert.deepEqual([...await g!.read()], [0, 1, 10, 0, 0, 0, 0, 0]);
  });
});

const avgCases: [number[], AvgPool2dOptions][] = [
  [[2, 3, 7, 7], { kernel: 3, stride: 2, padding: 1 }],
  [[2, 3, 7, 7], { kernel: 3, stride: 2, padding: 1, countIncludePad: false }],
  [[1, 2, 13, 13], { kernel: 2 }],
  [[1, 33, 5, 6], { kernel: [3, 2], stride: [1, 2], padding: [1, 1], countIncludePad: false }],
];

Deno.test("avgPool2d: forward and gradient vs float64 reference", async () => {
  for (const [i, [shape, opts]] of avgCases.entries()) {
    await checkOp({
      name: `avgPool2d [${shape}] ${JSON.stringify(opts)}`,
      inputs: [randomHost(shape, 40 + i)],
      gpu: (x) => avgPool2d(x, opts),
      cpu: (x) => pool64(x, "avg", opts),
    });
  }
});

const adaptiveCases: [number[], [number, number]][] = [
  [[2, 3, 7, 7], [3, 3]],
  [[1, 2, 13, 10], [5, 4]],
  [[1, 1, 5, 5], [7, 7]],
  [[2, 33, 6, 6], [1, 1]],
  [[1, 1, 130, 1], [7, 1]],
];

Deno.test("adaptiveAvgPool2d: forward and gradient vs float64 reference", async () => {
  for (const [i, [shape, [oh, ow]]] of adaptiveCases.entries()) {
    await checkOp({
      name: `adaptiveAvgPool2d [${shape}] -> [${oh}, ${ow}]`,
      inputs: [randomHost(shape, 60 + i)],
      gpu: (x) => adaptiveAvgPool2d(x, [oh, ow]),
      cpu: (x) => adaptive64(x, oh, ow),
    });
  }
});

Deno.test("globalAvgPool: [N, C] and keepDims", async () => {
  await checkOp({
    name: "globalAvgPool",
    inputs: [randomHost([2, 7, 5, 3], 80)],
    gpu: (x) => globalAvgPool(x),
    cpu: (x) => {
      const a = adaptive64(x, 1, 1);
      return { shape: [2, 7], data: a.data };
    },
  });
  await checkOp({
    name: "globalAvgPool keepDims",
    inputs: [randomHost([1, 3, 4, 4], 81)],
    gpu: (x) => globalAvgPool(x, true),
    cpu: (x) => adaptive64(x, 1, 1),
  });
});

Deno.test("pooling: rejects bad options", async () => {
  await initGpu();
  const x = fromArray([1, 1, 4, 4], new Float32Array(16));
  assert.throws(() => maxPool2d(x, { kernel: 2, padding: 2 }), RangeError);
  assert.throws(() => avgPool2d(x, { kernel: 5 }), RangeError);
  assert.throws(() => adaptiveAvgPool2d(fromArray([4, 4], new Float32Array(16)), 2), RangeError);
  x.dispose();
});
