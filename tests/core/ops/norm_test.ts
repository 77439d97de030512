import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import {
  batchNorm2d,
  batchNormDetachedVarianceRule,
  LAYER_NORM_TUNING,
  layerNorm,
  layerNormDetachedVarianceRule,
} from "../../../core/ops/norm.ts";
import { grad, withRules } from "../../../core/autograd.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { fromArray, fromHost, type Tensor, tidyAsync } from "../../../core/tensor.ts";
import type { HostTensor } from "../../../core/host_tensor.ts";
import { assertClose } from "../../util/assert_close.ts";

interface Bn64Options {
  training: boolean;
  centred: boolean;
  secondMoment?: boolean;
  eps: number;
  runMean: Float64Array | Float32Array;
  runVar: Float64Array | Float32Array;
  /** Statistics taken from this input instead (a frozen copy: the detached-variance reference). */
  statsFrom?: Float64Array;
}

/** Per-channel (stat mean, variance) of x viewed as [N, C, S]. */
function channelStats(x: ArrayLike<number>, shape: number[], centredVar: boolean): [number[], number[]] {
  const [N, C] = shape;
  const S = shape.slice(2).reduce((p, d) => p * d, 1);
  const mu: number[] = [];
  const v: number[] = [];
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) s += x[(n * C + c) * S + k];
    const m = centredVar ? s / (N * S) : 0;
    let q = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < S; k++) q += (x[(n * C + c) * S + k] - m) ** 2;
    mu.push(m);
    v.push(q / (N * S));
  }
  return [mu, v];
}

function bn64(x: Tensor64, w: Tensor64 | null, b: Tensor64 | null, o: Bn64Options): Tensor64 {
  const [N, C] = x.shape;
  const S = x.shape.slice(2).reduce((p, d) => p * d, 1);
  let mean: number[];
  let vars: number[];
  if (o.training) {
    const centredVar = o.centred || !o.secondMoment;
    // Centring uses the live batch mean even when the variance comes from a frozen copy.
    const [muLive] = channelStats(x.data, x.shape, centredVar);
    const [, v] = channelStats(o.statsFrom ?? x.data, x.shape, centredVar);
    mean = o.centred ? muLive : muLive.map(() => 0);
    vars = v;
  } else {
    mean = o.centred ? [...o.runMean] : [...o.runMean].map(() => 0);
    vars = [...o.runVar];
  }
  const out = new Float64Array(x.data.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < S; k++) {
        const i = (n * C + c) * S + k;
        let v = (x.data[i] - mean[c]) / Math.sqrt(vars[c] + o.eps);
        if (w) v *= w.data[c];
        if (b) v += b.data[c];
        out[i] = v;
      }
    }
  }
  return { shape: [...x.shape], data: out };
}

const BN_SHAPES = [[2, 3, 4, 5], [7, 5], [1, 2, 7], [33, 4], [2, 130], [3, 2, 1, 1], [2, 2, 33, 33]];

Deno.test("batchNorm2d: training forward and backward through batch statistics (centred)", async () => {
  for (const [k, shape] of BN_SHAPES.entries()) {
    const C = shape[1];
    const runMean = randomHost([C], 5 + k, -1, 1).data;
    const runVar = randomHost([C], 6 + k, 0.5, 2).data;
    for (const affine of [true, false]) {
      const inputs: HostTensor[] = [randomHost(shape, 10 + k, -2, 3)];
      if (affine) inputs.push(randomHost([C], 20 + k, 0.5, 1.5), randomHost([C], 30 + k, -1, 1));
      await checkOp({
        name: `bn train [${shape}] affine=${affine}`,
        inputs,
        gpu: (x, w, b) =>
          batchNorm2d(x, {
            weight: w,
            bias: b,
            runningMean: fromArray([C], runMean),
            runningVar: fromArray([C], runVar),
            training: true,
          }),
        cpu: (x, w, b) =>
          bn64(x, w ?? null, b ?? null, { training: true, centred: true, eps: 1e-5, runMean, runVar }),
        tol: 2e-5,
        gradTol: 2e-3,
      });
    }
  }
});

Deno.test("batchNorm2d: eval forward and backward use running statistics", async () => {
  for (const [k, shape] of BN_SHAPES.slice(0, 5).entries()) {
    const C = shape[1];
    const runMean = randomHost([C], 40 + k, -1, 1).data;
    const runVar = randomHost([C], 41 + k, 0.5, 2).data;
    for (const centred of [true, false]) {
      await checkOp({
        name: `bn eval [${shape}] centred=${centred}`,
        inputs: [
          randomHost(shape, 42 + k, -2, 2),
          randomHost([C], 43 + k, 0.5, 1.5),
          randomHost([C], 44 + k),
        ],
        gpu: (x, w, b) =>
          batchNorm2d(x, {
            weight: w,
            bias: b,
            runningMean: fromArray([C], runMean),
            runningVar: fromArray([C], runVar),
            training: false,
            centred,
          }),
        cpu: (x, w, b) => bn64(x, w, b, { training: false, centred, eps: 1e-5, runMean, runVar }),
      });
    }
  }
});

Deno.test("batchNorm2d: uncentred training (batch variance and second moment), no bias", async () => {
  for (const [k, shape] of BN_SHAPES.entries()) {
    const C = shape[1];
    const runVar = randomHost([C], 50 + k, 0.5, 2).data;
    for (const secondMoment of [false, true]) {
      await checkOp({
        name: `bn uncentred [${shape}] secondMoment=${secondMoment}`,
        inputs: [randomHost(shape, 51 + k, -1, 3), randomHost([C], 52 + k, 0.5, 1.5)],
        gpu: (x, w) =>
          batchNorm2d(x, {
            weight: w,
            runningVar: fromArray([C], runVar),
            training: true,
            centred: false,
            uncentredStatistic: secondMoment ? "second_moment" : "variance",
          }),
        cpu: (x, w) =>
          bn64(x, w, null, {
            training: true,
            centred: false,
            secondMoment,
            eps: 1e-5,
            runMean: runVar,
            runVar,
          }),
        tol: 2e-5,
        gradTol: 2e-3,
      });
    }
  }
});

Deno.test("batchNorm2d: detached-variance gradient (option and rule) equals the frozen-statistics derivative", async () => {
  for (const [k, shape] of [[2, 3, 4, 5], [7, 5], [33, 4]].entries()) {
    const C = shape[1];
    const runVar = randomHost([C], 60 + k, 0.5, 2).data;
    for (const centred of [true, false]) {
      const xh = randomHost(shape, 61 + k, -1, 2);
      const frozen = Float64Array.from(xh.data);
      const o = { training: true, centred, eps: 1e-5, runMean: runVar, runVar, statsFrom: frozen };
      const call = (x: Tensor, w: Tensor, detachVariance: boolean) =>
        batchNorm2d(x, {
          weight: w,
          runningMean: fromArray([C], runVar),
          runningVar: fromArray([C], runVar),
          training: true,
          centred,
          detachVariance,
        });
      await checkOp({
        name: `bn detach option [${shape}] centred=${centred}`,
        inputs: [xh, randomHost([C], 62 + k, 0.5, 1.5)],
        gpu: (x, w) => call(x, w, true),
        cpu: (x, w) => bn64(x, w, null, o),
        tol: 2e-5,
      });
      // The rule override on an op recorded without the option gives the same gradient.
      await initGpu();
      await tidyAsync(async () => {
        const x = fromHost(xh);
        const w = fromHost(randomHost([C], 62 + k, 0.5, 1.5));
        x.requiresGrad = true;
        const gOut = fromHost(randomHost(shape, 63 + k));
        const [a] = grad(call(x, w, true), [x], { gradOutput: gOut });
        const [b] = withRules(
          { kinds: { batch_norm: batchNormDetachedVarianceRule } },
          () => grad(call(x, w, false), [x], { gradOutput: gOut }),
        );
        assertClose(await b!.read(), await a!.read(), 1e-6, "rule vs option");
      });
    }
  }
});

Deno.test("batchNorm2d: running statistics are updated in place like torch / B-cos v2", async () => {
  await initGpu();
  const shape = [3, 4, 5, 7];
  const C = 4;
  const M = 3 * 5 * 7;
  const xh = randomHost(shape, 70, -1, 3);
  const rm0 = randomHost([C], 71, -1, 1).data;
  const rv0 = randomHost([C], 72, 0.5, 2).data;
  await tidyAsync(async () => {
    for (const centred of [true, false]) {
      const rm = fromArray([C], rm0);
      const rv = fromArray([C], rv0);
      batchNorm2d(fromHost(xh), { runningMean: rm, runningVar: rv, training: true, momentum: 0.3, centred });
      const [mu, v] = channelStats(xh.data, shape, true);
      const expMean = centred ? mu.map((m, c) => 0.7 * rm0[c] + 0.3 * m) : [...rm0];
      const expVar = v.map((s, c) => 0.7 * rv0[c] + 0.3 * (centred ? (s * M) / (M - 1) : s));
      assertClose(await rm.read(), expMean, 1e-5, `running mean centred=${centred}`);
      assertClose(await rv.read(), expVar, 1e-5, `running var centred=${centred}`);
    }
  });
});

function ln64(
  x: Tensor64,
  D: number,
  w: Tensor64 | null,
  b: Tensor64 | null,
  eps: number,
  frozen?: Float64Array,
) {
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / D; r++) {
    const src = frozen ?? x.data;
    let s = 0;
    for (let d = 0; d < D; d++) s += src[r * D + d];
    const mf = s / D;
    let q = 0;
    for (let d = 0; d < D; d++) q += (src[r * D + d] - mf) ** 2;
    let sl = 0;
    for (let d = 0; d < D; d++) sl += x.data[r * D + d];
    const mu = sl / D;
    const k = 1 / Math.sqrt(q / D + eps);
    for (let d = 0; d < D; d++) {
      let v = (x.data[r * D + d] - mu) * k;
      if (w) v *= w.data[d];
      if (b) v += b.data[d];
      out[r * D + d] = v;
    }
  }
  return { shape: [...x.shape], data: out };
}

// [shape, normalizedShape]
const LN_CASES: [number[], number[]][] = [
  [[1, 1], [1]],
  [[7, 3], [3]],
  [[3, 33], [33]],
  [[2, 130], [130]],
  [[2, 3, 5, 4], [5, 4]],
  [[1, 300], [300]],
  [[130, 7], [7]],
];

Deno.test("layerNorm: forward and backward (input, weight, bias) on several shapes", async () => {
  for (const [k, [shape, ns]] of LN_CASES.entries()) {
    const D = ns.reduce((p, d) => p * d, 1);
    for (const affine of [true, false]) {
      // affine: up to 64 lanes per row (the GPU variants); plain: the default lanes of this adapter.
      LAYER_NORM_TUNING.maxLanesFallback = affine ? 64 : 4;
      const inputs: HostTensor[] = [randomHost(shape, 80 + k, -2, 2)];
      if (affine) inputs.push(randomHost(ns, 81 + k, 0.5, 1.5), randomHost(ns, 82 + k));
      await checkOp({
        name: `layerNorm [${shape}] over [${ns}] affine=${affine}`,
        inputs,
        gpu: (x, w, b) => layerNorm(x, ns, w, b),
        cpu: (x, w, b) => ln64(x, D, w ?? null, b ?? null, 1e-5),
        tol: 2e-5,
        gradTol: 2e-3,
      });
    }
  }
  LAYER_NORM_TUNING.maxLanesFallback = 4;
});

Deno.test("layerNorm: detachVariance (option and rule) equals the frozen-std derivative", async () => {
  for (const [k, [shape, ns]] of LN_CASES.slice(1, 5).entries()) {
    const D = ns.reduce((p, d) => p * d, 1);
    const xh = randomHost(shape, 90 + k, -2, 2);
    const frozen = Float64Array.from(xh.data);
    const wh = randomHost(ns, 91 + k, 0.5, 1.5);
    await checkOp({
      name: `layerNorm detached [${shape}]`,
      inputs: [xh, wh],
      grad: [true, false],
      gpu: (x, w) => layerNorm(x, ns, w, undefined, 1e-5, { detachVariance: true }),
      cpu: (x, w) => ln64(x, D, w, null, 1e-5, frozen),
      tol: 2e-5,
    });
    await tidyAsync(async () => {
      const x = fromHost(xh);
      x.requiresGrad = true;
      const w = fromHost(wh);
      const gOut = fromHost(randomHost(shape, 92 + k));
      const [a] = grad(layerNorm(x, ns, w, undefined, 1e-5, { detachVariance: true }), [x], {
        gradOutput: gOut,
      });
      const [b] = withRules(
        { kinds: { layer_norm: layerNormDetachedVarianceRule } },
        () => grad(layerNorm(x, ns, w), [x], { gradOutput: gOut }),
      );
      assertClose(await b!.read(), await a!.read(), 1e-6, "rule vs option");
    });
  }
});
