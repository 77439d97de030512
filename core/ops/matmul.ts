/**
 * Batched matrix multiply and the fully connected layer, with their backward rules.
 *
 * `matmul(a, b)` multiplies the last two axes and broadcasts the leading (batch) axes; transposes are
 * strides read by the kernel, never copies. Two kernels (shaders/matmul.wgsl), chosen per adapter and
 * shape, neither using workgroup memory:
 * - `blocked`: each thread keeps a TM x TN block of outputs in registers and loads scalars through
 *   strides, so any shape and layout works. On a CPU adapter (llvmpipe) every storage-buffer load is a
 *   loop over the SIMD lanes (Mesa 22.3: ~8 ns per element and lane, vec4 loads no cheaper), so
 *   the cost is the number of loads per multiply-add (1/TM + 1/TN) and blocks of up to 32 x 32 are
 *   used. Measured at 1024 on 2 cores: 4 x 4 vec4 0.9 GFLOP/s, 4 x 4 blocked 0.7, 16 x 16 3.0,
 *   32 x 32 5.4-5.8 (48 x 32 +7%, but 40 s to compile). On GPUs it is the 4 x 4 fallback for shapes
 *   whose contiguous extents are not multiples of 4.
 * - `vec4`: 4 x 4 outputs per thread from 16-byte loads; the default on GPUs when every contiguous
 *   extent is a multiple of 4.
 *
 * Op kinds: `"matmul"` (saved: `{ transposeA, transposeB }`) and `"linear"` (saved: `{ weight, bias }`,
 * the parameters LRP rules need).
 *
 * @module
 */
import { record } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import type { KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor, view } from "../tensor.ts";
import { broadcastShapes, contiguousStrides } from "./broadcast.ts";
import { sum } from "./reduce.ts";

const FILE = "matmul.wgsl";
const MAX_BATCH_RANK = 4;

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Read `a` as [..., K, M] (its last two axes swapped). */
  transposeA?: boolean;
  /** Read `b` as [..., N, K]. */
  transposeB?: boolean;
}

/** Which kernel runs: `auto` picks by adapter and shape; the others force one (tests, benchmarks). */
export type MatmulKernel = "auto" | "blocked" | "vec4";

interface Plan {
  kernel: "blocked" | "vec4";
  /** Rows and columns of outputs per thread. */
  tm: number;
  tn: number;
  /** Threads per workgroup and along N. */
  wg: number;
  wx: number;
}

let forced: { kernel: MatmulKernel; tile?: readonly [number, number] } = { kernel: "auto" };

/**
 * Forces the matmul kernel (and, for `blocked`, the block of outputs per thread) until reset with
 * `"auto"`. For tests and benchmarks; results do not depend on the choice.
 *
 * @example
 * ```ts ignore
 * setMatmulKernel("blocked", [8, 8]);
 * const c = matmul(a, b);
 * setMatmulKernel("auto");
 * ```
 */
export function setMatmulKernel(kernel: MatmulKernel, tile?: readonly [number, number]): void {
  if (tile && !tile.every((t) => [4, 8, 16, 32].includes(t))) {
    throw new RangeError(`setMatmulKernel: tile [${tile}] must use 4, 8, 16 or 32`);
  }
  forced = { kernel, tile };
}

/**
 * Expands `//#unroll VAR COUNT` ... `//#end` blocks of WGSL (nestable): the body is repeated COUNT
 * times with `{VAR}` replaced by 0 .. COUNT-1. COUNT is a number or a key of `counts`.
 *
 * @example
 * ```ts
 * import { expandUnroll } from "./matmul.ts";
 * const src = "//#unroll i N\nlet x{i} = {i}u;\n//#end";
 * console.log(expandUnroll(src, { N: 2 })); // "let x0 = 0u;\nlet x1 = 1u;"
 * ```
 */
export function expandUnroll(source: string, counts: Record<string, number>): string {
  const lines = source.split("\n");
  const open = /^\s*\/\/#unroll\s+(\w+)\s+(\w+)\s*$/;
  const close = /^\s*\/\/#end\s*$/;
  const expand = (from: number, to: number, vars: Record<string, number>): string[] => {
    const out: string[] = [];
    for (let i = from; i < to; i++) {
      const m = lines[i].match(open);
      if (!m) {
        out.push(lines[i].replace(/\{(\w+)\}/g, (s, name: string) => name in vars ? String(vars[name]) : s));
        continue;
      }
      let depth = 1;
      let end = i + 1;
      for (; end < to; end++) {
        if (open.test(lines[end])) depth++;
        else if (close.test(lines[end]) && --depth === 0) break;
      }
      if (depth !== 0) throw new SyntaxError(`unclosed //#unroll at line ${i + 1}`);
      const count = /^\d+$/.test(m[2]) ? Number(m[2]) : counts[m[2]];
      if (count === undefined) throw new SyntaxError(`//#unroll count ${m[2]} is not defined`);
      for (let v = 0; v < count; v++) out.push(...expand(i + 1, end, { ...vars, [m[1]]: v }));
      i = end;
    }
    return out;
  };
  return expand(0, lines.length, {}).join("\n");
}

const blockedTemplate = await kernelSource(FILE, "blocked");
const vec4Source = await kernelSource(FILE, "vec4");
const blockedSpecs = new Map<string, KernelSpec>();

type BlockedConfig = { TM: number; BN: number; WX: number; WGS: number; BIAS: boolean };
type Vec4Config = { TA: boolean; TB: boolean; WX: number; WGS: number; BIAS: boolean };

const bindings = (element: "f32" | "vec4<f32>") =>
  [
    { name: "a", access: "read", element },
    { name: "b", access: "read", element },
    { name: "bias", access: "read" },
    { name: "out", access: "read_write" },
  ] as const;

function blockedSpec(tm: number, bn: number): KernelSpec<BlockedConfig> {
  const key = `${tm}x${bn}`;
  let spec = blockedSpecs.get(key);
  if (!spec) {
    spec = {
      name: `matmul.blocked${key}`,
      source: expandUnroll(blockedTemplate, { TM: tm, BN: bn }),
      bindings: bindings("f32"),
      workgroupSize: (c) => (c as BlockedConfig).WGS,
    };
    blockedSpecs.set(key, spec);
  }
  return spec as KernelSpec<BlockedConfig>;
}

const VEC4: KernelSpec<Vec4Config> = {
  name: "matmul.vec4",
  source: vec4Source,
  bindings: bindings("vec4<f32>"),
  workgroupSize: (c) => c.WGS,
};

/** Outputs per thread along an axis of extent `d` on llvmpipe (fewer loads per multiply-add). */
function cpuTile(d: number): number {
  return d >= 256 ? 32 : d >= 48 ? 16 : d >= 12 ? 8 : 4;
}

function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

function planFor(M: number, N: number, aligned: boolean): Plan {
  let kernel = forced.kernel;
  if (kernel === "vec4" && !aligned) kernel = "blocked";
  const cpu = gpu().adapter.isFallback;
  if (kernel === "auto") kernel = !cpu && aligned ? "vec4" : "blocked";
  if (kernel === "vec4") return { kernel, tm: 4, tn: 4, wg: cpu ? 8 : 256, wx: cpu ? 4 : 16 };
  const [tm, tn] = forced.tile ?? (cpu ? [cpuTile(M), cpuTile(N)] : [4, 4]);
  if (!cpu) return { kernel, tm, tn, wg: 256, wx: 16 };
  // One SIMD group (8 lanes) per workgroup; threads along N only as far as N needs them.
  const wx = Math.min(8, nextPow2(Math.ceil(N / tn)));
  return { kernel, tm, tn, wg: 8, wx };
}

/** Batch axes after dropping size-1 axes and merging axes that both operands walk contiguously. */
interface BatchLayout {
  shape: number[];
  aStrides: number[];
  bStrides: number[];
}

function batchLayout(
  aBatch: readonly number[],
  bBatch: readonly number[],
  aMat: number,
  bMat: number,
): BatchLayout {
  const shape = broadcastShapes("matmul (batch axes)", aBatch, bBatch);
  const stridesOf = (own: readonly number[], mat: number) => {
    const s = contiguousStrides(own).map((v) => v * mat);
    return shape.map((_, i) => {
      const k = own.length - shape.length + i;
      return k < 0 || own[k] === 1 ? 0 : s[k];
    });
  };
  const aS = stridesOf(aBatch, aMat);
  const bS = stridesOf(bBatch, bMat);
  const out: BatchLayout = { shape: [], aStrides: [], bStrides: [] };
  shape.forEach((d, i) => {
    if (d === 1) return;
    const last = out.shape.length - 1;
    if (
      last >= 0 && out.aStrides[last] === aS[i] * d && out.bStrides[last] === bS[i] * d
    ) {
      out.shape[last] *= d;
      out.aStrides[last] = aS[i];
      out.bStrides[last] = bS[i];
    } else {
      out.shape.push(d);
      out.aStrides.push(aS[i]);
      out.bStrides.push(bS[i]);
    }
  });
  return out;
}

function pad4(values: readonly number[], fill = 0): number[] {
  return [...values, ...new Array(MAX_BATCH_RANK - values.length).fill(fill)];
}

/**
 * `op(a) · op(b) (+ bias along the last axis)` without a tape record, where `op` transposes the last
 * two axes when the flag is set. The result is contiguous [...batch, M, N].
 *
 * @example
 * ```ts ignore
 * const c = matmulRaw(a, b, false, true); // a [B, M, K], b [N, K] -> [B, M, N]
 * ```
 */
export function matmulRaw(
  a: Tensor,
  b: Tensor,
  transposeA = false,
  transposeB = false,
  bias?: Tensor,
): Tensor {
  if (a.rank < 2 || b.rank < 2) {
    throw new RangeError(`matmul: operands need at least 2 axes, got [${a.shape}] and [${b.shape}]`);
  }
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [M, K] = transposeA ? [a1, a0] : [a0, a1];
  const [Kb, N] = transposeB ? [b1, b0] : [b0, b1];
  if (K !== Kb) {
    throw new RangeError(
      `matmul: inner sizes differ: [${a.shape}]${transposeA ? "ᵀ" : ""} x [${b.shape}]${
        transposeB ? "ᵀ" : ""
      }`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== N)) {
    throw new RangeError(`matmul: bias [${bias.shape}] must be [${N}]`);
  }
  const layout = batchLayout(a.shape.slice(0, -2), b.shape.slice(0, -2), M * K, K * N);
  const outShape = [...broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2)), M, N];
  if (layout.shape.length > MAX_BATCH_RANK) {
    throw new RangeError(`matmul: more than ${MAX_BATCH_RANK} independent batch axes in [${outShape}]`);
  }
  const out = empty(outShape);
  if (out.size === 0) return out;
  // [Z, M, K] x [K, N] with A's rows contiguous across the batch: one matrix of Z * M rows.
  let rows = M;
  if (
    !transposeA && layout.shape.length === 1 && layout.bStrides[0] === 0 && layout.aStrides[0] === M * K
  ) {
    rows = M * layout.shape[0];
    layout.shape = [];
    layout.aStrides = [];
    layout.bStrides = [];
  }
  const [sAi, sAk] = transposeA ? [1, M] : [K, 1];
  const [sBk, sBj] = transposeB ? [1, K] : [N, 1];
  const batchStrides = [...layout.aStrides, ...layout.bStrides];
  const aligned = (transposeA ? M : K) % 4 === 0 && (transposeB ? K : N) % 4 === 0 &&
    batchStrides.every((s) => s % 4 === 0);
  const plan = planFor(rows, N, aligned);
  const wgN = Math.ceil(N / (plan.wx * plan.tn));
  const wgM = Math.ceil(rows / ((plan.wg / plan.wx) * plan.tm));
  const nbatch = layout.shape.reduce((p, d) => p * d, 1);
  const meta = [
    rows,
    N,
    K,
    sAi,
    sAk,
    sBk,
    sBj,
    wgN,
    wgN * wgM,
    nbatch,
    layout.shape.length,
    ...pad4(layout.shape, 1),
    ...pad4(layout.aStrides),
    ...pad4(layout.bStrides),
  ];
  const buffers = [a.buffer, b.buffer, (bias ?? a).buffer, out.buffer];
  const invocations = nbatch * wgN * wgM * plan.wg;
  const common = { WX: plan.wx, WGS: plan.wg, BIAS: bias !== undefined };
  const runtime = gpu().runtime;
  if (plan.kernel === "vec4") {
    runtime.dispatch(VEC4, { ...common, TA: transposeA, TB: transposeB }, buffers, meta, invocations);
  } else {
    const spec = blockedSpec(plan.tm, plan.tn / 4);
    runtime.dispatch(spec, { ...common, TM: plan.tm, BN: plan.tn / 4 }, buffers, meta, invocations);
  }
  return out;
}

/**
 * Batched matrix product: `a` [..., M, K] (or [..., K, M] with `transposeA`) times `b` [..., K, N] (or
 * [..., N, K] with `transposeB`) gives [..., M, N]; the batch axes broadcast (NumPy rules), so
 * [B, M, K] x [K, N] works. Op kind `"matmul"`, saved `{ transposeA, transposeB }`. The backward
 * rule uses the same kernel through its transpose flags (dA = dC · Bᵀ, dB = Aᵀ · dC) and sums the
 * gradient of a broadcast operand over its broadcast batch axes.
 *
 * @example
 * ```ts ignore
 * const scores = matmul(q, k, { transposeB: true }); // [B, T, D] x [B, T, D]ᵀ -> [B, T, T]
 * ```
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const tA = opts.transposeA ?? false;
  const tB = opts.transposeB ?? false;
  const y = matmulRaw(a, b, tA, tB);
  return record("matmul", [a, b], y, ({ gradOutput: g }) => [
    a.requiresGrad ? matmulGradA(a, b, g, tA, tB) : null,
    b.requiresGrad ? matmulGradB(a, b, g, tA, tB) : null,
  ], { transposeA: tA, transposeB: tB });
}

function matmulGradA(a: Tensor, b: Tensor, g: Tensor, tA: boolean, tB: boolean): Tensor {
  // dA_eff = g · B_effᵀ; stored transposed when tA: dA = B_eff · gᵀ.
  const full = tA ? matmulRaw(b, g, tB, true) : matmulRaw(g, b, false, !tB);
  return reduceBatch(full, a.shape);
}

function matmulGradB(a: Tensor, b: Tensor, g: Tensor, tA: boolean, tB: boolean): Tensor {
  const K = a.shape[a.rank - 1];
  const N = g.shape[g.rank - 1];
  if (b.rank === 2 && !tA && a.size / K > g.shape[g.rank - 2]) {
    // b is shared by every batch entry: sum over the batch inside one product, [Z * M, K]ᵀ · [Z * M, N].
    return withViews(
      [view(a, [a.size / K, K]), view(g, [g.size / N, N])],
      ([a2, g2]) => tB ? matmulRaw(g2, a2, true, false) : matmulRaw(a2, g2, true, false),
    );
  }
  // dB_eff = A_effᵀ · g; stored transposed when tB: dB = gᵀ · A_eff.
  const full = tB ? matmulRaw(g, a, true, tA) : matmulRaw(a, g, !tA, false);
  return reduceBatch(full, b.shape);
}

/** Runs `fn` on temporary views and releases them (the underlying buffers stay with their owners). */
function withViews<T>(views: Tensor[], fn: (views: Tensor[]) => T): T {
  try {
    return fn(views);
  } finally {
    for (const v of views) v.dispose();
  }
}

/** A view of `t` with another shape that replaces `t` (which is released). */
function reshaped(t: Tensor, shape: readonly number[]): Tensor {
  const v = view(t, shape);
  t.dispose();
  return v;
}

/** Sums a gradient computed over the broadcast batch back to an operand's shape (frees `full`). */
function reduceBatch(full: Tensor, shape: readonly number[]): Tensor {
  const lead = full.rank - shape.length;
  const axes = full.shape.map((_, i) => i).filter((i) =>
    i < lead || (shape[i - lead] === 1 && full.shape[i] !== 1)
  );
  if (axes.length === 0) return full;
  const summed = sum(full, axes, true);
  full.dispose();
  return reshaped(summed, shape);
}

/**
 * Fully connected layer with PyTorch's weight layout: `x · weightᵀ + bias` for `x` [..., in],
 * `weight` [out, in], `bias` [out]; returns [..., out]. The bias is added by the matmul kernel. Op
 * kind `"linear"` with saved `{ weight, bias }` (bias `null` when absent), so LRP rules can replace
 * the backward rule.
 *
 * @example
 * ```ts ignore
 * const logits = linear(features, fc.weight, fc.bias); // [B, 2048] -> [B, 1000]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.rank !== 2) throw new RangeError(`linear: weight must be [out, in], got [${weight.shape}]`);
  const [outF, inF] = weight.shape;
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) {
    throw new RangeError(
      `linear: input [${x.shape}] does not end in ${inF} features (weight [${weight.shape}])`,
    );
  }
  const rows = x.size / inF;
  const y = withViews(
    [view(x, [rows, inF])],
    ([x2]) =>
      reshaped(matmulRaw(x2, weight, false, true, bias ?? undefined), [...x.shape.slice(0, -1), outF]),
  );
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    "linear",
    inputs,
    y,
    ({ gradOutput: g }) =>
      withViews([view(g, [rows, outF]), view(x, [rows, inF])], ([g2, x2]) => {
        const dx = x.requiresGrad ? reshaped(matmulRaw(g2, weight), x.shape) : null;
        const dw = weight.requiresGrad ? matmulRaw(g2, x2, true, false) : null;
        const db = bias?.requiresGrad ? sum(g2, [0]) : null;
        return bias ? [dx, dw, db] : [dx, dw];
      }),
    { weight, bias: bias ?? null },
  );
}
