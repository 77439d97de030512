import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import { expandUnroll, linear, matmul, setMatmulKernel } from "../../../core/ops/matmul.ts";
import { broadcastShapes } from "../../../core/ops/broadcast.ts";
import { gpu, initGpu } from "../../../core/gpu/device.ts";
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

/** Runs `fn` with the texture path forced (tile and texture limit optional), then restores `auto`. */
async function withTexture(
  fn: () => Promise<void>,
  tile?: readonly [number, number],
  maxTextureExtent?: number,
): Promise<void> {
  try {
    setMatmulKernel("texture", tile, { maxTextureExtent });
    await fn();
  } finally {
    setMatmulKernel("auto");
  }
}

Deno.test("matmul texture path: odd shapes, all transposes, both tiles", async () => {
  await withTexture(async () => {
    for (const shape of SHAPES) await checkMatmul("texture 8x16", shape);
    await checkMatmul("texture 8x16 row groups", [323, 5, 130]); // 41 row tiles: groups of 4, then 1
  }, [8, 16]);
  await withTexture(() => checkMatmul("texture 32x16", [37, 19, 45]));
});

Deno.test("matmul texture path: copied operands (contiguous rows at a 256-byte pitch)", async () => {
  await withTexture(async () => {
    await checkMatmul("texture copy", [33, 64, 128]);
    await checkMatmul("texture copy batched", [9, 64, 64], { aBatch: [2], bBatch: [2] });
    await checkMatmul("texture copy K tail", [5, 64, 7]);
  }, [8, 16]);
});

Deno.test("matmul texture path: broadcast batches, chunked over batch entries and rows", async () => {
  await withTexture(async () => {
    await checkMatmul("texture batch", [5, 6, 7], { aBatch: [2, 3], bBatch: [3] });
    await checkMatmul("texture batch", [5, 6, 7], { aBatch: [], bBatch: [2] });
    await checkMatmul("texture batch", [3, 2, 2], { aBatch: [2, 1, 2, 1, 2], bBatch: [2, 1, 2] });
  }, [8, 16]);
  // A 40-texel limit: blocks of 8..40 rows, so batches split into chunks and long A's into row chunks.
  await withTexture(
    async () => {
      await checkMatmul("texture chunks", [13, 6, 7], { aBatch: [2, 3], bBatch: [3] });
      await checkMatmul("texture chunks", [30, 5, 9], { aBatch: [4], bBatch: [] }); // folded: 120 rows
      await checkMatmul("texture chunks", [33, 5, 3], { aBatch: [], bBatch: [3] });
    },
    [8, 16],
    40,
  );
});

Deno.test("matmul texture path: gradients and linear with bias", async () => {
  await withTexture(async () => {
    await checkMatmul("texture grad", [3, 5, 4], { grad: true });
    await checkMatmul("texture grad", [2, 3, 4], { grad: true, aBatch: [3], bBatch: [] });
    await checkMatmul("texture grad", [2, 3, 2], { grad: true, aBatch: [2, 1], bBatch: [3] });
    await checkOp({
      name: "texture linear+bias",
      inputs: [randomHost([2, 3, 5], 7), randomHost([4, 5], 8), randomHost([4], 9)],
      gpu: (x, w, b) => linear(x, w, b),
      cpu: (x, w, b) => linear64(x, w, b),
      tol: 2e-5,
    });
    await checkOp({
      name: "texture linear+bias large",
      inputs: [randomHost([3, 50, 64], 10), randomHost([33, 64], 11), randomHost([33], 12)],
      gpu: (x, w, b) => linear(x, w, b),
      cpu: (x, w, b) => linear64(x, w, b),
      forwardOnly: true,
      tol: 2e-5,
    });
  }, [8, 16]);
});

Deno.test("matmul texture path: copies contiguous operands, chunks where textures are short", async () => {
  await initGpu();
  const dispatches = async (a: number[], b: number[], tA: boolean, tB: boolean, batch: number[] = []) => {
    const before = gpu().runtime.stats().dispatches;
    await tidyAsync(async () => {
      const x = fromArray([...batch, ...a], new Array(a[0] * a[1] * (batch[0] ?? 1)).fill(1));
      const y = fromArray(b, new Array(b[0] * b[1]).fill(1));
      const c = matmul(x, y, { transposeA: tA, transposeB: tB });
      assert.equal((await c.read())[0], tA ? a[0] : a[1]);
    });
    return gpu().runtime.stats().dispatches - before;
  };
  await withTexture(async () => {
    assert.equal(await dispatches([16, 64], [64, 64], false, false), 1, "both operands copied");
    assert.equal(await dispatches([64, 16], [64, 64], true, true), 2, "Aᵀ packed, Bᵀ copied");
    assert.equal(await dispatches([64, 16], [64, 9], true, false), 3, "both packed by the kernel");
  }, [8, 16]);
  await withTexture(
    async () => {
      // 120 folded rows of A in chunks of 40: three packs of A, one of B, three products.
      assert.equal(await dispatches([30, 5], [5, 9], false, false, [4]), 7);
    },
    [8, 16],
    40,
  );
});

Deno.test("matmul texture path: the default on a CPU adapter from 64³, textures pooled", async () => {
  await initGpu();
  const textures = gpu().runtime.textures;
  const run = () =>
    tidyAsync(async () => {
      const a = fromArray([64, 64], new Array(64 * 64).fill(0.5));
      const c = matmul(a, a);
      assert.equal((await c.read())[0], 16);
    });
  await run();
  const created = textures.stats().created;
  await run();
  assert.equal(textures.stats().live, 0);
  assert.equal(textures.stats().created, created, "the second product reuses the pooled textures");
  if (gpu().adapter.isFallback) assert.ok(created > 0, "the texture path ran");
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
