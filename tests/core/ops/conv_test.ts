import assert from "node:assert/strict";
import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import { conv2d, type Conv2dOptions, type Conv2dSaved } from "../../../core/ops/conv.ts";
import { grad } from "../../../core/autograd.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";

function pairOf(v: number | readonly [number, number] | undefined, d: number): [number, number] {
  return v === undefined ? [d, d] : typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/** float64 reference of torch's F.conv2d. */
function conv2d64(x: Tensor64, w: Tensor64, b: Tensor64 | null, opts: Conv2dOptions): Tensor64 {
  const [N, C, H, W] = x.shape;
  const [O, Cg, KH, KW] = w.shape;
  const G = opts.groups ?? 1;
  const [sy, sx] = pairOf(opts.stride, 1);
  const [py, px] = pairOf(opts.padding, 0);
  const [dy, dx] = pairOf(opts.dilation, 1);
  const Ho = Math.floor((H + 2 * py - dy * (KH - 1) - 1) / sy) + 1;
  const Wo = Math.floor((W + 2 * px - dx * (KW - 1) - 1) / sx) + 1;
  const Og = O / G;
  const out = new Float64Array(N * O * Ho * Wo);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let acc = b ? b.data[o] : 0;
          for (let c = 0; c < Cg; c++) {
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sy + ky * dy - py;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sx + kx * dx - px;
                if (ix < 0 || ix >= W) continue;
                acc += w.data[((o * Cg + c) * KH + ky) * KW + kx] *
                  x.data[((n * C + g * Cg + c) * H + iy) * W + ix];
              }
            }
          }
          out[((n * O + o) * Ho + oy) * Wo + ox] = acc;
        }
      }
    }
  }
  return { shape: [N, O, Ho, Wo], data: out };
}

interface Case {
  name: string;
  x: number[];
  w: number[];
  bias?: boolean;
  opts: Conv2dOptions;
  forwardOnly?: boolean;
}

async function runCase(c: Case, seed: number): Promise<void> {
  const inputs = [randomHost(c.x, seed), randomHost(c.w, seed + 1, -0.5, 0.5)];
  if (c.bias) inputs.push(randomHost([c.w[0]], seed + 2));
  await checkOp({
    name: c.name,
    inputs,
    gpu: (x, w, b) => conv2d(x, w, b ?? null, c.opts),
    cpu: (x, w, b) => conv2d64(x, w, b ?? null, c.opts),
    tol: 2e-5,
    gradTol: 2e-4,
    forwardOnly: c.forwardOnly,
  });
}

const gradCases: Case[] = [
  { name: "3x3 pad 1", x: [2, 3, 7, 7], w: [4, 3, 3, 3], bias: true, opts: { padding: 1 } },
  {
    name: "7x7 stride 2 pad 3 (stem)",
    x: [1, 3, 13, 13],
    w: [5, 3, 7, 7],
    bias: true,
    opts: { stride: 2, padding: 3 },
  },
  { name: "3x3 dilation 2 pad 2", x: [2, 2, 9, 9], w: [3, 2, 3, 3], opts: { padding: 2, dilation: 2 } },
  {
    name: "groups 2 stride 2",
    x: [1, 4, 7, 7],
    w: [6, 2, 3, 3],
    bias: true,
    opts: { stride: 2, padding: 1, groups: 2 },
  },
  { name: "depthwise", x: [2, 7, 6, 6], w: [7, 1, 3, 3], opts: { padding: 1, groups: 7 } },
  { name: "1x1", x: [2, 5, 5, 5], w: [7, 5, 1, 1], bias: true, opts: {} },
  { name: "1x1 stride 2", x: [1, 6, 7, 7], w: [5, 6, 1, 1], opts: { stride: 2 } },
  {
    name: "1x1 padding 1 (negative transposed padding)",
    x: [1, 2, 4, 5],
    w: [3, 2, 1, 1],
    opts: { padding: 1 },
  },
  {
    name: "depthwise stride 2",
    x: [1, 5, 7, 6],
    w: [5, 1, 3, 3],
    bias: true,
    opts: { stride: 2, padding: 1, groups: 5 },
  },
  {
    name: "channels and pixels multiples of 4",
    x: [2, 4, 4, 6],
    w: [8, 4, 3, 3],
    bias: true,
    opts: { padding: 1 },
  },
  { name: "1x1 flat vec4 pixels", x: [1, 3, 4, 4], w: [4, 3, 1, 1], opts: {} },
  { name: "stride 2 drops a row", x: [1, 2, 8, 8], w: [3, 2, 3, 3], opts: { stride: 2 } },
  { name: "stride 3 > kernel 2", x: [1, 2, 8, 7], w: [2, 2, 2, 2], opts: { stride: 3, padding: 1 } },
  {
    name: "stride [1, 2], even kernel",
    x: [1, 2, 6, 9],
    w: [3, 2, 2, 4],
    opts: { stride: [1, 2], padding: [0, 2] },
  },
  {
    name: "per-axis stride/padding/dilation",
    x: [1, 3, 9, 8],
    w: [4, 3, 3, 2],
    opts: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] },
  },
];

Deno.test("conv2d: forward and all gradients vs float64 reference and finite differences", async () => {
  for (const [i, c] of gradCases.entries()) await runCase(c, 10 * i + 1);
});

const forwardCases: Case[] = [
  { name: "33 channels 13x13", x: [1, 33, 13, 13], w: [33, 33, 3, 3], bias: true, opts: { padding: 1 } },
  { name: "stem 3->64 on 30x30", x: [1, 3, 30, 30], w: [64, 3, 7, 7], opts: { stride: 2, padding: 3 } },
  { name: "single channel", x: [1, 1, 7, 7], w: [1, 1, 3, 3], opts: {} },
  { name: "1x1 33->130 flat", x: [2, 33, 7, 7], w: [130, 33, 1, 1], bias: true, opts: {} },
  { name: "1x1 vec4 pixels, partial tile", x: [2, 5, 4, 13], w: [6, 5, 1, 1], bias: true, opts: {} },
  { name: "depthwise 33", x: [1, 33, 13, 13], w: [33, 1, 3, 3], opts: { padding: 1, groups: 33 } },
];

Deno.test("conv2d: forward on larger and odd shapes", async () => {
  for (const [i, c] of forwardCases.entries()) await runCase({ ...c, forwardOnly: true }, 100 + i);
});

Deno.test("conv2d: strided input and weight gradients with channel blocks vs exact float64 adjoints", async () => {
  await initGpu();
  const x = randomHost([2, 9, 13, 13], 7);
  const w = randomHost([8, 9, 3, 3], 8, -0.2, 0.2);
  const gy = randomHost([2, 8, 7, 7], 9);
  const opts: Conv2dOptions = { stride: 2, padding: 1 };
  const x64: Tensor64 = { shape: x.shape, data: Float64Array.from(x.data) };
  const w64: Tensor64 = { shape: w.shape, data: Float64Array.from(w.data) };
  // adjoints by brute force: d<gy, conv(x, w)>/dx and /dw
  const [N, C, H, W] = x.shape;
  const [O, , KH, KW] = w.shape;
  const dx = new Float64Array(x.data.length);
  const dw = new Float64Array(w.data.length);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let oy = 0; oy < 7; oy++) {
        for (let ox = 0; ox < 7; ox++) {
          const gv = gy.data[((n * O + o) * 7 + oy) * 7 + ox];
          for (let c = 0; c < C; c++) {
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * 2 + ky - 1;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * 2 + kx - 1;
                if (ix < 0 || ix >= W) continue;
                const xi = ((n * C + c) * H + iy) * W + ix;
                const wi = ((o * C + c) * KH + ky) * KW + kx;
                dx[xi] += gv * w64.data[wi];
                dw[wi] += gv * x64.data[xi];
              }
            }
          }
        }
      }
    }
  }
  await tidyAsync(async () => {
    const xt = fromArray(x.shape, x.data);
    const wt = fromArray(w.shape, w.data);
    xt.requiresGrad = true;
    wt.requiresGrad = true;
    const y = conv2d(xt, wt, null, opts);
    const [gx, gw] = grad(y, [xt, wt], { gradOutput: fromArray(gy.shape, gy.data) });
    const { assertClose } = await import("../../util/assert_close.ts");
    assertClose(await gx!.read(), dx, 2e-5, "dx");
    assertClose(await gw!.read(), dw, 2e-5, "dw");
  });
});

Deno.test("conv2d: records kind conv2d with the attributes rule overrides need", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const x = fromArray([1, 2, 5, 5], randomHost([1, 2, 5, 5], 3).data);
    const w = fromArray([4, 1, 3, 3], randomHost([4, 1, 3, 3], 4).data);
    const b = fromArray([4], [1, 2, 3, 4]);
    x.requiresGrad = true;
    const y = conv2d(x, w, b, { stride: [2, 1], padding: 1, groups: 2 });
    assert.deepEqual([...y.shape], [1, 4, 3, 5]);
    assert.equal(y.node?.kind, "conv2d");
    const saved = y.node!.saved as unknown as Conv2dSaved;
    assert.equal(saved.weight, w);
    assert.equal(saved.bias, b);
    assert.deepEqual(saved.stride, [2, 1]);
    assert.deepEqual(saved.padding, [1, 1]);
    assert.deepEqual(saved.dilation, [1, 1]);
    assert.equal(saved.groups, 2);
    // only x requires a gradient: the weight and bias get none
    const [gw, gb, gx] = grad(y, [w, b, x]);
    assert.equal(gw, null);
    assert.equal(gb, null);
    assert.deepEqual([...gx!.shape], [1, 2, 5, 5]);
    await gx!.read();
  });
});

Deno.test("conv2d: rejects mismatched shapes", async () => {
  await initGpu();
  const x = fromArray([1, 3, 5, 5], new Float32Array(75));
  const w = fromArray([4, 2, 3, 3], new Float32Array(72));
  assert.throws(() => conv2d(x, w), RangeError);
  assert.throws(() => conv2d(x, fromArray([4, 3, 7, 7], new Float32Array(588))), RangeError);
  x.dispose();
  w.dispose();
});
