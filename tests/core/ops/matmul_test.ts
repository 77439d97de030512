import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import { expandUnroll, linear, matmul, setMatmulKernel } from "../../../core/ops/matmul.ts";
import { broadcastShapes } from "../../../core/ops/broadcast.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { fromArray, tidy, tidyAsync } from "../../../core/tensor.ts";
import assert from "node:assert/strict";

/** float64 reference of matmul with transposes and batch broadcasting. */
function matmul64(a: Tensor64, b: Tensor64, tA = false, tB = false): Tensor64 {
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [M, K] = tA ? [a1, a0] : [a0, a1];
  const N = tB ? b0 : b1;
  const batch = broadcastShapes("ref", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = batch.reduce((p, d) => p * d, 1);
  const offset = (own: number[], z: number, mat: number) => {
    // index of batch entry z (over `batch`) in an operand with batch axes `own`
    let off = 0;
    let stride = mat;
    let rest = z;
    for (let d = batch.length - 1; d >= 0; d--) {
      const c = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      const k = own.length - batch.length + d;
      if (k >= 0) {
        if (own[k] !== 1) off += c * stride;
        stride *= own[k];
      }
    }
    return off;
  };
  const out = new Float64Array(nb * M * N);
  for (let z = 0; z < nb; z++) {
    const ao = offset(a.shape.slice(0, -2), z, M * K);
    const bo = offset(b.shape.slice(0, -2), z, K * N);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          s += a.data[ao + (tA ? k * M + i : i * K + k)] * b.data[bo + (tB ? j * K + k : k * N + j)];
        }
        out[(z * M + i) * N + j] = s;
      }
    }
  }
  return { shape: [...batch, M, N], data: out };
}

function linear64(x: Tensor64, w: Tensor64, bias?: Tensor64): Tensor64 {
  const y = matmul64(x, w, false, true);
  if (bias) y.data.forEach((v, i) => (y.data[i] = v + bias.data[i % bias.data.length]));
  return y;
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

/** Operand shapes for an [M, K] x [K, N] product with the given transposes and batch axes. */
function operands(
  m: number,
  k: number,
  n: number,
  tA: boolean,
  tB: boolean,
  aBatch: number[] = [],
  bBatch: number[] = [],
) {
  return {
    a: [...aBatch, ...(tA ? [k, m] : [m, k])],
    b: [...bBatch, ...(tB ? [n, k] : [k, n])],
  };
}

async function checkMatmul(
  name: string,
  [m, k, n]: [number, number, number],
  opts: { aBatch?: number[]; bBatch?: number[]; grad?: boolean; seed?: number } = {},
): Promise<void> {
  for (const [tA, tB] of TRANSPOSES) {
    const s = operands(m, k, n, tA, tB, opts.aBatch, opts.bBatch);
    const seed = opts.seed ?? 1;
    await checkOp({
      name: `${name} [${s.a}]${tA ? "ᵀ" : ""} x [${s.b}]${tB ? "ᵀ" : ""}`,
      inputs: [randomHost(s.a, seed), randomHost(s.b, seed + 1)],
      gpu: (a, b) => matmul(a, b, { transposeA: tA, transposeB: tB }),
      cpu: (a, b) => matmul64(a, b, tA, tB),
      forwardOnly: !opts.grad,
      tol: 2e-5,
      gradTol: 2e-3,
    });
  }
}

const SHAPES: [number, number, number][] = [[1, 1, 1], [7, 33, 130], [33, 7, 1], [130, 130, 7]];

Deno.test("matmul: forward on odd shapes, all transposes (adapter's default kernel)", async () => {
  for (const shape of SHAPES) await checkMatmul("auto", shape);
});

Deno.test("matmul: every kernel variant agrees with the reference", async () => {
  try {
    for (const tile of [[4, 4], [8, 16], [32, 32]] as const) {
      setMatmulKernel("blocked", tile);
      await checkMatmul(`blocked ${tile}`, [37, 19, 45]);
    }
    setMatmulKernel("vec4");
    await checkMatmul("vec4", [36, 20, 44]);
    await checkMatmul("vec4 odd K", [8, 7, 12]); // vec4 only where aligned; the rest falls back
    await checkMatmul("vec4 batched", [12, 8, 4], { aBatch: [3], bBatch: [3] });
  } finally {
    setMatmulKernel("auto");
  }
});

Deno.test("matmul: batch axes broadcast", async () => {
  await checkMatmul("batch", [5, 6, 7], { aBatch: [2, 3], bBatch: [3] });
  await checkMatmul("batch", [5, 6, 7], { aBatch: [], bBatch: [2] });
  await checkMatmul("batch", [5, 6, 7], { aBatch: [2, 1], bBatch: [1, 3] });
  await checkMatmul("batch", [5, 6, 7], { aBatch: [4], bBatch: [] }); // folded into one product
  await checkMatmul("batch", [3, 2, 2], { aBatch: [2, 1, 2, 1, 2], bBatch: [2, 1, 2] });
});

Deno.test("matmul: gradients match finite differences", async () => {
  await checkMatmul("grad", [3, 5, 4], { grad: true });
  await checkMatmul("grad", [2, 3, 4], { grad: true, aBatch: [3], bBatch: [] });
  await checkMatmul("grad", [2, 3, 4], { grad: true, aBatch: [], bBatch: [2] });
  await checkMatmul("grad", [2, 3, 2], { grad: true, aBatch: [2, 1], bBatch: [3] });
  try {
    setMatmulKernel("vec4");
    await checkMatmul("grad vec4", [4, 4, 8], { grad: true, aBatch: [2], bBatch: [] });
  } finally {
    setMatmulKernel("auto");
  }
});

Deno.test("linear: 3-D input with and without bias, forward and gradients", async () => {
  const x = randomHost([2, 3, 5], 7);
  const w = randomHost([4, 5], 8);
  const b = randomHost([4], 9);
  await checkOp({
    name: "linear+bias",
    inputs: [x, w, b],
    gpu: (x, w, b) => linear(x, w, b),
    cpu: (x, w, b) => linear64(x, w, b),
    tol: 2e-5,
  });
  await checkOp({
    name: "linear",
    inputs: [x, w],
    gpu: (x, w) => linear(x, w),
    cpu: (x, w) => linear64(x, w),
    tol: 2e-5,
  });
  await checkOp({
    name: "linear large",
    inputs: [randomHost([3, 50, 70], 10), randomHost([33, 70], 11), randomHost([33], 12)],
    gpu: (x, w, b) => linear(x, w, b),
    cpu: (x, w, b) => linear64(x, w, b),
    forwardOnly: true,
    tol: 2e-5,
  });
});

Deno.test("linear and matmul record their kinds and saved values", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const x = fromArray([2, 3], [1, 2, 3, 4, 5, 6]);
    const w = fromArray([1, 3], [1, 1, 1]);
    const b = fromArray([1], [0.5]);
    x.requiresGrad = true;
    const y = linear(x, w, b);
    assert.equal(y.node?.kind, "linear");
    assert.equal(y.node?.saved.weight, w);
    assert.equal(y.node?.saved.bias, b);
    assert.deepEqual([...await y.read()], [6.5, 15.5]);
    const z = matmul(x, w, { transposeB: true });
    assert.equal(z.node?.kind, "matmul");
    assert.deepEqual(z.node?.saved, { transposeA: false, transposeB: true });
  });
});

Deno.test("matmul: shape errors name the operands", async () => {
  await initGpu();
  tidy(() => {
    const a = fromArray([2, 3], [1, 2, 3, 4, 5, 6]);
    assert.throws(() => matmul(a, a), /inner sizes differ/);
    assert.throws(() => matmul(fromArray([3], [1, 2, 3]), a), /at least 2 axes/);
    assert.throws(() => linear(a, fromArray([2, 2], [1, 2, 3, 4])), /features/);
  });
});

Deno.test("expandUnroll: nested blocks, named counts, errors", () => {
  const src = ["a", "//#unroll i 2", "  //#unroll j N", "x{i}_{j} {k}", "  //#end", "//#end", "b"].join("\n");
  assert.equal(
    expandUnroll(src, { N: 2 }),
    ["a", "x0_0 {k}", "x0_1 {k}", "x1_0 {k}", "x1_1 {k}", "b"].join("\n"),
  );
  assert.throws(() => expandUnroll("//#unroll i 2\nx", {}), /unclosed/);
  assert.throws(() => expandUnroll("//#unroll i Q\nx\n//#end", {}), /not defined/);
});
