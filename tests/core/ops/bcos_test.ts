import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import { readFixture } from "../../util/read_fixture.ts";
import { assertClose, maxRelError } from "../../util/assert_close.ts";
import {
  BCOS_EXPLANATION_RULES,
  bcosConv2d,
  type BcosConv2dOptions,
  bcosLinear,
  bcosPatchNorm,
  bcosScale,
  normaliseFilters,
} from "../../../core/ops/bcos.ts";
import { addScalar, mean, mul, sum } from "../../../core/ops/mod.ts";
import { grad, noGrad, withRules } from "../../../core/autograd.ts";
import { gpu, initGpu } from "../../../core/gpu/device.ts";
import { fromArray, fromHost, type Tensor, tidyAsync } from "../../../core/tensor.ts";
import assert from "node:assert/strict";

interface Conv64Options {
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
  b: number;
  maxOut: number;
  eps: number;
  linearNorm?: boolean;
  /** Explanation mode reference: the scale is computed from these frozen inputs. */
  frozen?: [Tensor64, Tensor64];
}

const DEFAULTS: Conv64Options = { stride: 1, padding: 0, dilation: 1, groups: 1, b: 2, maxOut: 1, eps: 1e-6 };

/** float64 B-cos conv: returns y, plus the scale per output (for the frozen-scale reference). */
function bcosParts(x: Tensor64, w: Tensor64, o: Conv64Options): { y: Tensor64; scale: Float64Array } {
  const [N, C, H, W] = x.shape;
  const [OM, cg, KH, KW] = w.shape;
  const K = cg * KH * KW;
  const wn = new Float64Array(w.data.length);
  for (let f = 0; f < OM; f++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += w.data[f * K + k] ** 2;
    for (let k = 0; k < K; k++) wn[f * K + k] = w.data[f * K + k] / Math.sqrt(s);
  }
  const O = OM / o.maxOut;
  const Ho = Math.floor((H + 2 * o.padding - o.dilation * (KH - 1) - 1) / o.stride) + 1;
  const Wo = Math.floor((W + 2 * o.padding - o.dilation * (KW - 1) - 1) / o.stride) + 1;
  const y = new Float64Array(N * O * Ho * Wo);
  const scale = new Float64Array(y.length);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < O; oc++) {
      const grp = Math.floor(oc / (O / o.groups));
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let best = -Infinity;
          let sq = 0;
          for (let j = 0; j < o.maxOut; j++) {
            const f = oc * o.maxOut + j;
            let acc = 0;
            for (let cl = 0; cl < cg; cl++) {
              const c = grp * cg + cl;
              for (let ky = 0; ky < KH; ky++) {
                const iy = oy * o.stride - o.padding + ky * o.dilation;
                if (iy < 0 || iy >= H) continue;
                for (let kx = 0; kx < KW; kx++) {
                  const ix = ox * o.stride - o.padding + kx * o.dilation;
                  if (ix < 0 || ix >= W) continue;
                  const xv = x.data[((n * C + c) * H + iy) * W + ix];
                  acc += wn[((f * cg + cl) * KH + ky) * KW + kx] * xv;
                  if (j === 0) sq += xv * xv;
                }
              }
            }
            best = Math.max(best, acc);
          }
          const norm = o.linearNorm ? Math.sqrt(sq) + o.eps : Math.sqrt(sq + o.eps);
          const s = o.b === 2
            ? Math.abs(best) / norm
            : o.b === 1
            ? 1
            : (Math.abs(best / norm) + 1e-6) ** (o.b - 1);
          const q = ((n * O + oc) * Ho + oy) * Wo + ox;
          scale[q] = s;
          y[q] = s * best;
        }
      }
    }
  }
  return { y: { shape: [N, O, Ho, Wo], data: y }, scale };
}

function bcos64(x: Tensor64, w: Tensor64, o: Conv64Options): Tensor64 {
  if (!o.frozen) return bcosParts(x, w, o).y;
  const { scale } = bcosParts(o.frozen[0], o.frozen[1], o);
  const lin = bcosParts(x, w, { ...o, b: 1 }).y;
  return { shape: lin.shape, data: lin.data.map((v, i) => v * scale[i]) };
}

const copy64 = (h: { shape: number[]; data: Float32Array }): Tensor64 => ({
  shape: [...h.shape],
  data: Float64Array.from(h.data),
});

// [x shape, w shape, options]
const CONV_CASES: [number[], number[], Partial<Conv64Options>][] = [
  [[1, 1, 1, 1], [1, 1, 1, 1], {}],
  [[1, 3, 5, 5], [4, 3, 3, 3], { padding: 1, maxOut: 2 }],
  [[2, 4, 7, 7], [4, 2, 3, 3], { stride: 2, dilation: 2, padding: 2, groups: 2 }],
  [[1, 33, 2, 3], [7, 33, 1, 1], {}],
  [[2, 2, 6, 5], [6, 2, 2, 3], { stride: 2, padding: 1, maxOut: 3, b: 1.5 }],
  [[1, 3, 4, 4], [2, 3, 3, 3], { padding: 1, b: 3 }],
  [[1, 2, 4, 4], [3, 2, 3, 3], { b: 1 }],
  // O / groups a multiple of 4: the register-blocked forward (pixel counts 25, 16, 9, 12)
  [[1, 3, 5, 5], [8, 3, 3, 3], { padding: 1, maxOut: 2 }],
  [[2, 4, 7, 7], [8, 2, 3, 3], { stride: 2, dilation: 2, padding: 2, groups: 2 }],
  [[1, 5, 3, 3], [4, 5, 1, 1], { b: 1.5 }],
  [[1, 2, 6, 5], [8, 2, 2, 3], { stride: 2, padding: 1, b: 3, maxOut: 2 }],
  // C / groups a multiple of 4: the channel-blocked backward kernels
  [[1, 8, 5, 5], [8, 4, 3, 3], { padding: 1, groups: 2, stride: 2 }],
  [[2, 4, 3, 3], [4, 4, 1, 1], { maxOut: 2 }],
];

function convOptions(o: Partial<Conv64Options>): BcosConv2dOptions {
  return {
    stride: o.stride,
    padding: o.padding,
    dilation: o.dilation,
    groups: o.groups,
    b: o.b,
    maxOut: o.maxOut,
  };
}

Deno.test("bcosConv2d: forward and full gradients (input and raw weight) vs float64 reference", async () => {
  for (const [k, [xs, ws, opts]] of CONV_CASES.entries()) {
    const o = { ...DEFAULTS, ...opts };
    await checkOp({
      name: `bcosConv2d x[${xs}] w[${ws}] ${JSON.stringify(opts)}`,
      inputs: [randomHost(xs, 200 + k, -1, 1), randomHost(ws, 210 + k, -1, 1)],
      gpu: (x, w) => bcosConv2d(x, w, convOptions(opts)),
      cpu: (x, w) => bcos64(x, w, o),
      tol: 1e-5,
      gradTol: 2e-3,
    });
  }
});

Deno.test("bcosConv2d: explanation mode (option and BCOS_EXPLANATION_RULES) detaches the scale", async () => {
  for (const [k, [xs, ws, opts]] of [...CONV_CASES.slice(1, 6), ...CONV_CASES.slice(7, 9)].entries()) {
    const xh = randomHost(xs, 220 + k, -1, 1);
    const wh = randomHost(ws, 230 + k, -1, 1);
    const o = { ...DEFAULTS, ...opts, frozen: [copy64(xh), copy64(wh)] as [Tensor64, Tensor64] };
    await checkOp({
      name: `bcosConv2d explain x[${xs}] ${JSON.stringify(opts)}`,
      inputs: [xh, wh],
      gpu: (x, w) => bcosConv2d(x, w, { ...convOptions(opts), explanationMode: true }),
      cpu: (x, w) => bcos64(x, w, o),
      gradTol: 2e-3,
    });
    await tidyAsync(async () => {
      const x = fromHost(xh);
      x.requiresGrad = true;
      const w = fromHost(wh);
      const yOpt = bcosConv2d(x, w, { ...convOptions(opts), explanationMode: true });
      const gOut = fromHost(randomHost([...yOpt.shape], 240 + k));
      const [a] = grad(yOpt, [x], { gradOutput: gOut });
      const y = bcosConv2d(x, w, convOptions(opts));
      const [b] = withRules(BCOS_EXPLANATION_RULES, () => grad(y, [x], { gradOutput: gOut }));
      assertClose(await b!.read(), await a!.read(), 1e-6, "rules vs option");
      // Dynamic linearity of one unit: sum x * dx = sum gOut * y.
      const lhs = (await sum(mul(x, b!)).read())[0];
      const rhs = (await sum(mul(gOut, y)).read())[0];
      assert.ok(Math.abs(lhs - rhs) <= 1e-4 * Math.max(1, Math.abs(rhs)), `x . grad ${lhs} != ${rhs}`);
    });
  }
});

Deno.test("bcosConv2d: a larger layer (forward vs float64; noGrad forward frees its intermediates)", async () => {
  const xh = randomHost([2, 16, 9, 9], 300, -1, 1);
  const wh = randomHost([32, 16, 3, 3], 301, -1, 1);
  const opts = { padding: 1, maxOut: 2 };
  await checkOp({
    name: "bcosConv2d [2, 16, 9, 9] -> 16 (max-out 2)",
    inputs: [xh, wh],
    gpu: (x, w) => bcosConv2d(x, w, opts),
    cpu: (x, w) => bcos64(x, w, { ...DEFAULTS, ...opts }),
    forwardOnly: true,
  });
  await tidyAsync(async () => {
    const x = fromHost(xh);
    const w = fromHost(wh);
    const live = gpu().runtime.pool.stats().live;
    const y = noGrad(() => bcosConv2d(x, w, opts));
    assert.equal(y.node, null);
    assert.equal(gpu().runtime.pool.stats().live, live + 1, "only the output stays allocated");
    assertClose(
      await y.read(),
      bcos64(copy64(xh), copy64(wh), { ...DEFAULTS, ...opts }).data,
      1e-5,
      "noGrad",
    );
  });
});

function patchNorm64(
  x: Tensor64,
  k: number,
  o: { stride: number; padding: number; groups: number },
): Tensor64 {
  const [N, C, H, W] = x.shape;
  const Ho = Math.floor((H + 2 * o.padding - k) / o.stride) + 1;
  const Wo = Math.floor((W + 2 * o.padding - k) / o.stride) + 1;
  const cg = C / o.groups;
  const out = new Float64Array(N * o.groups * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < o.groups; g++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let s = 0;
          for (let c = g * cg; c < (g + 1) * cg; c++) {
            for (let ky = 0; ky < k; ky++) {
              for (let kx = 0; kx < k; kx++) {
                const iy = oy * o.stride - o.padding + ky;
                const ix = ox * o.stride - o.padding + kx;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) s += x.data[((n * C + c) * H + iy) * W + ix] ** 2;
              }
            }
          }
          out[((n * o.groups + g) * Ho + oy) * Wo + ox] = Math.sqrt(s + 1e-6);
        }
      }
    }
  }
  return { shape: [N, o.groups, Ho, Wo], data: out };
}

Deno.test("bcosPatchNorm and bcosScale: each op against float64 with its own gradient", async () => {
  const cases: [number[], number, { stride: number; padding: number; groups: number }][] = [
    [[1, 1, 1, 1], 1, { stride: 1, padding: 0, groups: 1 }],
    [[2, 4, 7, 5], 3, { stride: 2, padding: 1, groups: 2 }],
    [[1, 33, 3, 3], 1, { stride: 1, padding: 0, groups: 1 }],
  ];
  for (const [k, [xs, kk, o]] of cases.entries()) {
    await checkOp({
      name: `bcosPatchNorm [${xs}] k${kk} ${JSON.stringify(o)}`,
      inputs: [randomHost(xs, 310 + k, -1, 1)],
      gpu: (x) => bcosPatchNorm(x, kk, o),
      cpu: (x) => patchNorm64(x, kk, o),
    });
  }
  // bcosScale on its own: lin_f [2, 6, 7] (max-out 3 -> 2 units, 2 groups), norm [2, 2, 7]
  for (const b of [2, 1.5]) {
    await checkOp({
      name: `bcosScale b=${b}`,
      inputs: [randomHost([2, 6, 7], 320, -1, 1), randomHost([2, 2, 7], 321, 0.5, 2)],
      gpu: (l, n) => bcosScale(l, n, { b, maxOut: 3, groups: 2 }),
      cpu: (l, n) => {
        const out = new Float64Array(2 * 2 * 7);
        for (let i = 0; i < 2; i++) {
          for (let o = 0; o < 2; o++) {
            for (let p = 0; p < 7; p++) {
              let v = -Infinity;
              for (let j = 0; j < 3; j++) v = Math.max(v, l.data[(i * 6 + o * 3 + j) * 7 + p]);
              const nv = n.data[(i * 2 + o) * 7 + p];
              const s = b === 2 ? Math.abs(v) / nv : (Math.abs(v / nv) + 1e-6) ** (b - 1);
              out[(i * 2 + o) * 7 + p] = s * v;
            }
          }
        }
        return { shape: [2, 2, 7], data: out };
      },
    });
  }
});

Deno.test("bcosLinear: forward, full and explanation gradients with ||x|| + eps", async () => {
  const cases: [number[], number[], number][] = [[[2, 130], [7, 130], 1], [[3, 5, 7], [6, 7], 2], [[1, 33], [
    1,
    33,
  ], 1]];
  for (const [k, [xs, ws, maxOut]] of cases.entries()) {
    const R = xs.slice(0, -1).reduce((p, d) => p * d, 1);
    const inF = xs[xs.length - 1];
    const as4 = (t: Tensor64): Tensor64 => ({ shape: [R, inF, 1, 1], data: t.data });
    const w4 = (t: Tensor64): Tensor64 => ({ shape: [ws[0], inF, 1, 1], data: t.data });
    const o = { ...DEFAULTS, maxOut, eps: 1e-12, linearNorm: true };
    const outShape = [...xs.slice(0, -1), ws[0] / maxOut];
    await checkOp({
      name: `bcosLinear x[${xs}] w[${ws}] maxOut ${maxOut}`,
      inputs: [randomHost(xs, 250 + k, -1, 1), randomHost(ws, 260 + k, -1, 1)],
      gpu: (x, w) => bcosLinear(x, w, { maxOut }),
      cpu: (x, w) => ({ shape: outShape, data: bcos64(as4(x), w4(w), o).data }),
      gradTol: 2e-3,
    });
    const xh = randomHost(xs, 270 + k, -1, 1);
    const wh = randomHost(ws, 280 + k, -1, 1);
    const frozen: [Tensor64, Tensor64] = [as4(copy64(xh)), w4(copy64(wh))];
    await checkOp({
      name: `bcosLinear explain x[${xs}]`,
      inputs: [xh, wh],
      gpu: (x, w) => bcosLinear(x, w, { maxOut, explanationMode: true }),
      cpu: (x, w) => ({ shape: outShape, data: bcos64(as4(x), w4(w), { ...o, frozen }).data }),
      gradTol: 2e-3,
    });
  }
});

Deno.test("normaliseFilters: unit rows and the projected gradient", async () => {
  for (const [k, shape] of [[1, 1], [7, 3], [4, 33], [2, 130], [3, 2, 3, 3]].entries()) {
    await checkOp({
      name: `normaliseFilters [${shape}]`,
      inputs: [randomHost(shape, 290 + k, -1, 1)],
      gpu: (w) => normaliseFilters(w),
      cpu: (w) => {
        const K = w.data.length / shape[0];
        const out = new Float64Array(w.data.length);
        for (let r = 0; r < shape[0]; r++) {
          let s = 0;
          for (let i = 0; i < K; i++) s += w.data[r * K + i] ** 2;
          for (let i = 0; i < K; i++) out[r * K + i] = w.data[r * K + i] / Math.sqrt(s);
        }
        return { shape: [...shape], data: out };
      },
    });
  }
});

Deno.test("B-cos fixture: logits, explanation-mode gradient, contribution map, plain gradient", async () => {
  await initGpu();
  const fx = await readFixture(new URL("../../fixtures/torch/bcos_small.safetensors", import.meta.url));
  const get = (k: string) => {
    const t = fx.get(k);
    if (!t) throw new Error(`fixture lacks ${k}`);
    return t;
  };
  await tidyAsync(async () => {
    const w1 = fromHost(get("w1"));
    const w2 = fromHost(get("w2"));
    const forward = (x: Tensor) => {
      const h = bcosConv2d(x, w1, { padding: 1, maxOut: 2 });
      const y = bcosConv2d(h, w2);
      return addScalar(mean(y, [2, 3]), -Math.log(9));
    };
    const x = fromHost(get("input_6ch"));
    x.requiresGrad = true;
    const logits = forward(x);
    assertClose(await logits.read(), get("logits").data, 1e-4, "logits");
    const target = new Float32Array(20);
    target[2] = 1;
    target[12] = 1;
    const sel = fromArray([2, 10], target);
    const [plain] = grad(logits, [x], { gradOutput: sel });
    assertClose(await plain!.read(), get("plain_grad").data, 1e-3, "plain gradient");
    const [explain] = withRules(BCOS_EXPLANATION_RULES, () => grad(logits, [x], { gradOutput: sel }));
    const eg = await explain!.read();
    assertClose(eg, get("explain_grad").data, 1e-3, "explanation-mode gradient");
    // Contribution map: sum over channels of x * W(x).
    const contrib = await sum(mul(x, explain!), [1]).read();
    assertClose(contrib, get("contribution_map").data, 1e-3, "contribution map");
    // Dynamic linearity: the map sums to logit + log 9 per image.
    const lg = await logits.read();
    for (let n = 0; n < 2; n++) {
      let s = 0;
      for (let i = 0; i < 144; i++) s += contrib[n * 144 + i];
      const expected = lg[n * 10 + 2] + Math.log(9);
      assert.ok(
        maxRelError([s], [expected]) < 1e-4,
        `image ${n}: map sums to ${s}, logit + log 9 = ${expected}`,
      );
    }
    // The explanation-mode option recorded at forward time gives the same gradient.
    const h = bcosConv2d(x, w1, { padding: 1, maxOut: 2, explanationMode: true });
    const l2 = addScalar(mean(bcosConv2d(h, w2, { explanationMode: true }), [2, 3]), -Math.log(9));
    const [viaOption] = grad(l2, [x], { gradOutput: sel });
    assertClose(await viaOption!.read(), eg, 1e-6, "option vs rules");
  });
});
