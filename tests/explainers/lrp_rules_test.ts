import { grad, withRules } from "../../core/autograd.ts";
import { initGpu } from "../../core/gpu/device.ts";
import "../../core/ops/mod.ts";
import { conv2d, type Conv2dOptions } from "../../core/ops/conv.ts";
import { linear } from "../../core/ops/matmul.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import { lrpLayerRule } from "../../explainers/lrp/backward.ts";
import {
  alphaBeta,
  epsilon,
  flat,
  gamma,
  type LrpRule,
  wSquare,
  zBox,
  zPlus,
} from "../../explainers/lrp/rules.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";

type Matrix = { w: Float64Array[]; b: Float64Array; inputs: number; outputs: number };

/** A layer as a dense matrix W [out][in] and bias, by applying a float64 conv to unit vectors. */
function convMatrix(
  w: Float32Array,
  b: Float32Array | null,
  [C, H, W]: number[],
  [O, Cg, KH, KW]: number[],
  stride: number,
  pad: number,
): Matrix {
  const Ho = Math.floor((H + 2 * pad - KH) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - KW) / stride) + 1;
  const outputs = O * Ho * Wo;
  const rows: Float64Array[] = Array.from({ length: outputs }, () => new Float64Array(C * H * W));
  for (let o = 0; o < O; o++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const row = rows[(o * Ho + oy) * Wo + ox];
        for (let c = 0; c < Cg; c++) {
          for (let ky = 0; ky < KH; ky++) {
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * stride + ky - pad, ix = ox * stride + kx - pad;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              row[(c * H + iy) * W + ix] += w[((o * Cg + c) * KH + ky) * KW + kx];
            }
          }
        }
      }
    }
  }
  const bias = new Float64Array(outputs);
  if (b) { for (let j = 0; j < outputs; j++) bias[j] = b[Math.floor(j / (Ho * Wo))]; }
  return { w: rows, b: bias, inputs: C * H * W, outputs };
}

function linearMatrix(w: Float32Array, b: Float32Array | null, out: number, inp: number): Matrix {
  const rows = Array.from({ length: out }, (_, o) => Float64Array.from(w.subarray(o * inp, (o + 1) * inp)));
  return { w: rows, b: b ? Float64Array.from(b) : new Float64Array(out), inputs: inp, outputs: out };
}

const stab = (z: number, e: number) => z + (z >= 0 ? e : -e);
const pos = (v: number) => Math.max(v, 0);
const negp = (v: number) => Math.min(v, 0);

/** The textbook formula of each rule in matrix form, for one sample. */
function naive(
  rule: string,
  m: Matrix,
  x: Float64Array,
  R: Float64Array,
  conn: Matrix,
  lo = 0,
  hi = 0,
): Float64Array {
  const out = new Float64Array(m.inputs);
  const e = 1e-6;
  for (let j = 0; j < m.outputs; j++) {
    const w = m.w[j];
    const b = m.b[j];
    // z_ij contributions and the denominator per rule.
    const contrib = (f: (i: number) => number) => {
      let z = 0;
      const c = new Float64Array(m.inputs);
      for (let i = 0; i < m.inputs; i++) {
        c[i] = f(i);
        z += c[i];
      }
      return { c, z };
    };
    if (rule === "epsilon" || rule === "gamma") {
      const g = rule === "gamma" ? 0.25 : 0;
      const { c, z } = contrib((i) => x[i] * (w[i] + g * pos(w[i])));
      const d = stab(z + b + g * pos(b), e);
      for (let i = 0; i < m.inputs; i++) out[i] += (c[i] * R[j]) / d;
    } else if (rule === "zplus" || rule === "alphabeta") {
      const p = contrib((i) => pos(x[i]) * pos(w[i]) + negp(x[i]) * negp(w[i]));
      const dp = stab(p.z + pos(b), e);
      if (rule === "zplus") {
        for (let i = 0; i < m.inputs; i++) out[i] += (p.c[i] * R[j]) / dp;
      } else {
        const n = contrib((i) => pos(x[i]) * negp(w[i]) + negp(x[i]) * pos(w[i]));
        const dn = stab(n.z + negp(b), e);
        for (let i = 0; i < m.inputs; i++) out[i] += (2 * p.c[i] * R[j]) / dp - (n.c[i] * R[j]) / dn;
      }
    } else if (rule === "zbox") {
      const { c, z } = contrib((i) => x[i] * w[i] - lo * pos(w[i]) - hi * negp(w[i]));
      const d = stab(z, e); // b - b+ - b- = 0
      for (let i = 0; i < m.inputs; i++) out[i] += (c[i] * R[j]) / d;
    } else if (rule === "flat") {
      const { c, z } = contrib((i) => (conn.w[j][i] !== 0 ? 1 : 0));
      for (let i = 0; i < m.inputs; i++) out[i] += (c[i] * R[j]) / stab(z, e);
    } else if (rule === "wsquare") {
      const { c, z } = contrib((i) => w[i] * w[i]);
      for (let i = 0; i < m.inputs; i++) out[i] += (c[i] * R[j]) / stab(z, e);
    }
  }
  return out;
}

const RULES: [string, LrpRule][] = [
  ["epsilon", epsilon(1e-6)],
  ["gamma", gamma(0.25)],
  ["zplus", zPlus()],
  ["alphabeta", alphaBeta(2, 1)],
  ["zbox", zBox(-1.5, 2)],
  ["flat", flat()],
  ["wsquare", wSquare()],
];

Deno.test("each LRP rule equals its matrix-form definition on one conv2d layer", async () => {
  await initGpu();
  const N = 2, C = 3, H = 5, W = 6, O = 4, K = 3;
  const opts: Conv2dOptions = { stride: 2, padding: 1 };
  const xh = randomHost([N, C, H, W], 1);
  const wh = randomHost([O, C, K, K], 2);
  const bh = randomHost([O], 3, -0.3, 0.3);
  const m = convMatrix(wh.data, bh.data, [C, H, W], [O, C, K, K], 2, 1);
  const conn = convMatrix(new Float32Array(wh.data.length).fill(1), null, [C, H, W], [O, C, K, K], 2, 1);
  const Rh = randomHost([N, O, 3, 3], 4, 0, 1);
  await tidyAsync(async () => {
    for (const [name, rule] of RULES) {
      const x = fromArray(xh.shape, xh.data);
      x.requiresGrad = true;
      const w = fromArray(wh.shape, wh.data);
      const b = fromArray(bh.shape, bh.data);
      const y = conv2d(x, w, b, opts);
      const [rin] = withRules(
        { kinds: { conv2d: lrpLayerRule(rule) } },
        () => grad(y, [x], { gradOutput: fromArray(Rh.shape, Rh.data) }),
      );
      const want: number[] = [];
      for (let n = 0; n < N; n++) {
        const xs = Float64Array.from(xh.data.subarray(n * C * H * W, (n + 1) * C * H * W));
        const rs = Float64Array.from(Rh.data.subarray(n * m.outputs, (n + 1) * m.outputs));
        want.push(...naive(name, m, xs, rs, conn, -1.5, 2));
      }
      assertClose(await rin!.read(), want, 1e-4, `conv2d ${name}`);
    }
  });
});

Deno.test("each LRP rule equals its matrix-form definition on one linear layer", async () => {
  await initGpu();
  const N = 3, I = 7, O = 5;
  const xh = randomHost([N, I], 5);
  const wh = randomHost([O, I], 6);
  const bh = randomHost([O], 7, -0.3, 0.3);
  const m = linearMatrix(wh.data, bh.data, O, I);
  const Rh = randomHost([N, O], 8, -1, 1);
  await tidyAsync(async () => {
    for (const [name, rule] of RULES) {
      const x = fromArray(xh.shape, xh.data);
      x.requiresGrad = true;
      const y = linear(x, fromArray(wh.shape, wh.data), fromArray(bh.shape, bh.data));
      const [rin] = withRules(
        { kinds: { linear: lrpLayerRule(rule) } },
        () => grad(y, [x], { gradOutput: fromArray(Rh.shape, Rh.data) }),
      );
      const want: number[] = [];
      for (let n = 0; n < N; n++) {
        want.push(...naive(
          name,
          m,
          Float64Array.from(xh.data.subarray(n * I, (n + 1) * I)),
          Float64Array.from(Rh.data.subarray(n * O, (n + 1) * O)),
          m,
          -1.5,
          2,
        ));
      }
      assertClose(await rin!.read(), want, 1e-4, `linear ${name}`);
    }
  });
});
