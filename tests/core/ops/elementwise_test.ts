import { checkOp, map64, randomHost, type Tensor64 } from "../../util/op_check.ts";
import * as ops from "../../../core/ops/mod.ts";
import type { Tensor } from "../../../core/tensor.ts";

const SIZES = [[1], [7], [33], [130], [3, 7], [2, 5, 13]];

function erf(x: number): number {
  // float64 series / continued fraction via high-precision A&S 7.1.26 is too coarse; use Taylor + asymptotic.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = 0;
    let term = t;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= -t * t / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - Math.exp(-t * t) / (t * Math.sqrt(Math.PI)));
}

const unary: [string, (x: Tensor) => Tensor, (v: number) => number, [number, number]][] = [
  ["neg", ops.neg, (v) => -v, [-2, 2]],
  ["exp", ops.exp, Math.exp, [-2, 2]],
  ["log", ops.log, Math.log, [0.2, 3]],
  ["sqrt", ops.sqrt, Math.sqrt, [0.2, 3]],
  ["abs", ops.abs, Math.abs, [0.1, 2]],
  ["relu", ops.relu, (v) => Math.max(v, 0), [0.1, 2]],
  ["gelu", ops.gelu, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)), [-3, 3]],
  ["sigmoid", ops.sigmoid, (v) => 1 / (1 + Math.exp(-v)), [-4, 4]],
  ["tanh", ops.tanh, Math.tanh, [-2, 2]],
  ["square", ops.square, (v) => v * v, [-2, 2]],
  ["reciprocal", ops.reciprocal, (v) => 1 / v, [0.5, 2]],
  ["affine", (x) => ops.affine(x, 1.5, -0.25), (v) => 1.5 * v - 0.25, [-2, 2]],
  ["powScalar3", (x) => ops.powScalar(x, 3), (v) => v ** 3, [-2, 2]],
  ["powScalar2", (x) => ops.powScalar(x, 2), (v) => v ** 2, [-2, 2]],
  ["powScalar1.5", (x) => ops.powScalar(x, 1.5), (v) => v ** 1.5, [0.2, 2]],
];

for (const [name, gpu, cpu, [lo, hi]] of unary) {
  Deno.test(`elementwise: ${name} forward and backward on several sizes`, async () => {
    for (const [k, shape] of SIZES.entries()) {
      // relu/abs: keep away from the kink by using inputs of both signs but |x| >= 0.1
      const h = randomHost(shape, 10 + k, lo, hi);
      if (name === "relu" || name === "abs") h.data.forEach((v, i) => (h.data[i] = i % 2 ? -v : v));
      await checkOp({ name: `${name} [${shape}]`, inputs: [h], gpu, cpu: (x) => map64(x, cpu), tol: 2e-5 });
    }
  });
}

Deno.test("elementwise: clamp passes gradient only inside the range", async () => {
  const h = randomHost([130], 3, -2, 2);
  h.data.forEach((v, i) => (h.data[i] = Math.abs(Math.abs(v) - 1) < 0.01 ? v + 0.05 : v));
  await checkOp({
    name: "clamp",
    inputs: [h],
    gpu: (x) => ops.clamp(x, -1, 1),
    cpu: (x) => map64(x, (v) => Math.min(Math.max(v, -1), 1)),
  });
});

function broadcast64(a: Tensor64, b: Tensor64, f: (x: number, y: number) => number): Tensor64 {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...Array(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...Array(rank - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
      if (pa[d] !== 1) ia += c * sa;
      if (pb[d] !== 1) ib += c * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    data[i] = f(a.data[ia], b.data[ib]);
  }
  return { shape, data };
}

const binary: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
  ["add", ops.add, (x, y) => x + y],
  ["sub", ops.sub, (x, y) => x - y],
  ["mul", ops.mul, (x, y) => x * y],
  ["div", ops.div, (x, y) => x / y],
  ["pow", ops.pow, (x, y) => x ** y],
  ["maximum", ops.maximum, (x, y) => Math.max(x, y)],
];
const PAIRS: [number[], number[]][] = [[[7], [7]], [[33], [1]], [[3, 7], [7]], [[2, 1, 5], [3, 1]], [[130], [
  130,
]], [
  [1],
  [2, 3],
]];

for (const [name, gpu, cpu] of binary) {
  Deno.test(`elementwise: ${name} with broadcasting, forward and both gradients`, async () => {
    for (const [k, [sa, sb]] of PAIRS.entries()) {
      const positive = name === "div" || name === "pow";
      await checkOp({
        name: `${name} [${sa}] x [${sb}]`,
        inputs: [
          randomHost(sa, 20 + k, positive ? 0.5 : -2, 2),
          randomHost(sb, 40 + k, positive ? 0.5 : -2, 2),
        ],
        gpu,
        cpu: (a, b) => broadcast64(a, b, cpu),
        tol: 2e-5,
      });
    }
  });
}

Deno.test("elementwise: where selects with a broadcast condition", async () => {
  const cond = { shape: [3, 1], data: new Float32Array([1, 0, 1]) };
  await checkOp({
    name: "where",
    inputs: [cond, randomHost([3, 4], 1), randomHost([4], 2)],
    grad: [false, true, true],
    gpu: (c, a, b) => ops.where(c, a, b),
    cpu: (c, a, b) => {
      const out = new Float64Array(12);
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 4; j++) {
          out[i * 4 + j] = c.data[i] ? a.data[i * 4 + j] : b.data[j];
        }
      }
      return { shape: [3, 4], data: out };
    },
  });
});
