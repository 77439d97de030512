/**
 * Batched matrix multiply and the fully connected layer, with their backward rules.
 *
 * `matmul(a, b)` multiplies the last two axes and broadcasts the leading (batch) axes; transposes are
 * strides read by the kernels, never copies. Three paths (shaders/matmul.wgsl), chosen per adapter and
 * shape, none using workgroup memory:
 * - `texture` (the default on CPU adapters for products of at least 64³ multiply-adds): on Mesa's
 *   llvmpipe every storage-buffer load is a loop over the SIMD lanes (22.3: ~8 ns per element and
 *   lane, vec4 loads no cheaper) while a texel fetch of an rgba32float texture (4 floats) is far
 *   cheaper. Each operand is first packed into a pooled rgba32float texture with its contraction axis
 *   along texel x (a buffer-to-texture copy where rows are contiguous whole texels at a 256-byte
 *   pitch, else the `pack` kernel gathering through the strides and zero-padding), then `tex_nt` (B
 *   packed as rows j) or `tex_nn` (B packed as rows k, when B is stored [K, N]) computes 32 x 16
 *   outputs per thread (8 x 16 for at most 16 rows). Batches stack along texture y, chunked (and M
 *   split) to fit `maxTextureDimension2D`. Measured at 1024 on 2 cores: 19-22 GFLOP/s of CPU time
 *   (the storage kernels: 5.6), packing ~10% of it.
 * - `blocked`: each thread keeps a TM x TN block of outputs in registers and loads scalars through
 *   strides, so any shape and layout works. On llvmpipe the cost is the number of loads per
 *   multiply-add (1/TM + 1/TN) and blocks of up to 32 x 32 are used; it serves small products there
 *   (measured at 1024: 4 x 4 vec4 0.9 GFLOP/s, 4 x 4 blocked 0.7, 16 x 16 3.0, 32 x 32 5.4-5.8). On
 *   GPUs it is the 4 x 4 fallback for shapes whose contiguous extents are not multiples of 4.
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

/**
 * Which kernel runs: `auto` picks by adapter and shape; the others force one (tests, benchmarks).
 * `texture` falls back to `blocked` where a packed operand would not fit a texture.
 */
export type MatmulKernel = "auto" | "blocked" | "vec4" | "texture";

interface Plan {
  kernel: "blocked" | "vec4";
  /** Rows and columns of outputs per thread. */
  tm: number;
  tn: number;
  /** Threads per workgroup and along N. */
  wg: number;
  wx: number;
}

/** Test hooks of {@link setMatmulKernel}. */
export interface MatmulKernelOptions {
  /**
   * Texture extent limit used to plan the texture path instead of the device's
   * `maxTextureDimension2D`, so that tests reach the batch and row chunking with small shapes.
   */
  maxTextureExtent?: number;
}

let forced: { kernel: MatmulKernel; tile?: readonly [number, number]; maxTextureExtent?: number } = {
  kernel: "auto",
};

/**
 * Forces the matmul kernel (and, for `blocked` and `texture`, the block of outputs per thread, rows x
 * columns) until reset with `"auto"`. For tests and benchmarks; results do not depend on the choice.
 *
 * @example
 * ```ts ignore
 * setMatmulKernel("texture", [8, 16]);
 * const c = matmul(a, b);
 * setMatmulKernel("auto");
 * ```
 */
export function setMatmulKernel(
  kernel: MatmulKernel,
  tile?: readonly [number, number],
  opts: MatmulKernelOptions = {},
): void {
  if (tile && !tile.every((t) => [4, 8, 16, 32].includes(t))) {
    throw new RangeError(`setMatmulKernel: tile [${tile}] must use 4, 8, 16 or 32`);
  }
  forced = { kernel, tile, maxTextureExtent: opts.maxTextureExtent };
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

const texTemplate = await kernelSource(FILE, "tex");
const texLoops = { nt: await kernelSource(FILE, "tex_nt"), nn: await kernelSource(FILE, "tex_nn") };
const texSpecs = new Map<string, KernelSpec<TexConfig>>();

/** The `tex` kernel with a loop section (minus the file's shared text) in place of its `//#loop` line. */
function spliceLoop(loopSection: string): string {
  const shared = texTemplate.slice(0, texTemplate.indexOf("// The texture-operand matmul"));
  const loop = loopSection.slice(shared.length);
  return texTemplate.replace(/^[ \t]*\/\/#loop[^\n]*\n/m, loop.endsWith("\n") ? loop : loop + "\n");
}

type TexConfig = { TM: number; BN: number };
type PackConfig = { TR: boolean };

/** Threads per workgroup of the texture kernels: one SIMD group of llvmpipe. */
const TEX_WG = 8;
/**
 * Row tiles per group in the texture kernels' workgroup order (groups are walked column by column, so
 * a group's rows of A stay in cache): at 2048, best of 6 interleaved runs, 1 row tile 21.6 GFLOP/s of
 * CPU time, 4 24.4, 8 21.9; no difference at 1024.
 */
const TEX_GROUP = 4;
/** Outputs per thread (rows x columns) of the texture kernels unless forced: most rows ... */
const TEX_TILE: readonly [number, number] = [32, 16];
/** ... and for at most 16 rows. */
const TEX_TILE_FEW_ROWS: readonly [number, number] = [8, 16];
/**
 * Smallest product (batch * M * N * K multiply-adds) for which `auto` packs operands into textures on a
 * CPU adapter; below it the extra pack dispatches cost as much as the faster loads save.
 */
const TEX_MIN_MACS = 64 ** 3;
/**
 * Smallest M * N / (M + N) (the multiply-adds per packed element, over K) for which `auto` packs: a
 * matrix-vector-like product reads each operand element about once, so packing it does not pay.
 */
const TEX_MIN_REUSE = 4;

/** The texture extent the texture path plans with. */
function textureLimit(): number {
  return forced.maxTextureExtent ?? gpu().device.limits.maxTextureDimension2D;
}

const PACK: KernelSpec<PackConfig> = {
  name: "matmul.pack",
  source: await kernelSource(FILE, "pack"),
  bindings: [
    { name: "src", access: "read" },
    { name: "dst", access: "read_write", element: "texture_storage_2d<rgba32float, write>" },
  ],
  workgroupSize: 64,
};

function texSpec(nt: boolean, tm: number, bn: number): KernelSpec<TexConfig> {
  const key = `${nt ? "nt" : "nn"}${tm}x${bn}`;
  let spec = texSpecs.get(key);
  if (!spec) {
    spec = {
      name: `matmul.tex_${key}`,
      source: expandUnroll(spliceLoop(texLoops[nt ? "nt" : "nn"]), { TM: tm, BN: bn }),
      bindings: [
        { name: "A", access: "read", element: "texture_2d<f32>" },
        { name: "B", access: "read", element: "texture_2d<f32>" },
        { name: "bias", access: "read" },
        { name: "out", access: "read_write" },
      ],
      workgroupSize: TEX_WG,
    };
    texSpecs.set(key, spec);
  }
  return spec;
}

/** One operand as the pack kernel reads it: element (z, r, c) at offset(z) + r * sR + c * sC. */
interface PackSource {
  buffer: GPUBuffer;
  sR: number;
  sC: number;
  /** Batch strides over the merged batch axes (all 0: one matrix shared by every batch entry). */
  batchStrides: number[];
}

/** Most batch entries packed by per-entry buffer-to-texture copies instead of the pack kernel. */
const MAX_COPIES = 16;

/** Element offset of batch entry z in an operand (host side of the shader's `operand_offset`). */
function operandOffset(z: number, shape: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    off += (z % shape[d]) * strides[d];
    z = Math.floor(z / shape[d]);
  }
  return off;
}

/**
 * Records the pack of rows [r0, r0 + R) of batch entries [z0, z0 + zn) of an operand (C columns) into a
 * pooled texture: block z of RB rows per entry, texels over columns. Rows that are contiguous whole
 * texels at a 256-byte pitch are copied (a memcpy on llvmpipe), unless `zeroRows` asks for zeros in
 * rows R .. RB; otherwise the pack kernel gathers through the strides and zero-fills every tail.
 * Returns the texture (the caller releases it after recording its last reader).
 */
function packOperand(
  src: PackSource,
  batchShape: readonly number[],
  region: { z0: number; zn: number; r0: number; R: number; RB: number; C: number; zeroRows: boolean },
  widthTexels: number,
): GPUTexture {
  const runtime = gpu().runtime;
  const { r0, R, RB, C } = region;
  const batched = src.batchStrides.some((s) => s !== 0);
  const [z0, zn] = batched ? [region.z0, region.zn] : [0, 1];
  const H = zn * RB;
  const texture = runtime.textures.acquire(widthTexels, H);
  const offsets = Array.from(
    { length: zn <= MAX_COPIES ? zn : 0 },
    (_, zl) => operandOffset(z0 + zl, batchShape, src.batchStrides) + r0 * src.sR,
  );
  const copyable = offsets.length === zn && src.sC === 1 && C % 4 === 0 && src.sR % 64 === 0 &&
    src.sR >= C && (R === RB || !region.zeroRows) && offsets.every((o) => o % 4 === 0);
  if (copyable) {
    offsets.forEach((o, zl) =>
      runtime.copyToTexture(src.buffer, o * 4, src.sR * 4, texture, [0, zl * RB], [C / 4, R])
    );
    return texture;
  }
  const meta = [
    widthTexels,
    H,
    RB,
    R,
    C,
    src.sR,
    src.sC,
    z0,
    r0,
    batched ? batchShape.length : 0,
    ...pad4(batched ? batchShape : [], 1),
    ...pad4(batched ? src.batchStrides : []),
  ];
  const TR = src.sC !== 1 && src.sR === 1;
  runtime.dispatch(PACK, { TR }, [src.buffer, texture], meta, widthTexels * H);
  return texture;
}

/** The texture path's decision for one product, or null where it does not apply. */
interface TexPlan {
  /** B packed as rows j with texels over k (`tex_nt`), else rows k with texels over j (`tex_nn`). */
  nt: boolean;
  tm: number;
  tn: number;
}

function texturePlan(
  rows: number,
  N: number,
  K: number,
  nbatch: number,
  transposeB: boolean,
): TexPlan | null {
  const want = forced.kernel === "texture" ||
    (forced.kernel === "auto" && gpu().adapter.isFallback && nbatch * rows * N * K >= TEX_MIN_MACS &&
      (rows * N) / (rows + N) >= TEX_MIN_REUSE);
  if (!want || K === 0) return null;
  const [tm, tn] = forced.kernel === "texture" && forced.tile
    ? forced.tile
    : rows <= 16
    ? TEX_TILE_FEW_ROWS
    : TEX_TILE;
  if (tn % 4 !== 0) return null;
  const max = textureLimit();
  const k4 = Math.ceil(K / 4);
  const nPad = Math.ceil(N / tn) * tn;
  const fitsNt = k4 <= max && nPad <= max;
  const fitsNn = k4 <= max && k4 * 4 <= max && nPad / 4 <= max;
  // Pack B along its contiguous axis: rows j when it is stored [N, K], rows k when stored [K, N].
  const nt = transposeB ? fitsNt : !fitsNn;
  if (!(nt ? fitsNt : fitsNn) || tm > max) return null;
  return { nt, tm, tn };
}

/**
 * Records a product through textures: packs B (once, or per chunk of batch entries) and A (per chunk
 * of batch entries and rows, so any batch and any M fit the texture limit), then one texture-kernel
 * dispatch per chunk; textures go back to the pool as soon as their reader is recorded.
 */
function textureMatmul(
  plan: TexPlan,
  a: PackSource,
  b: { buffer: GPUBuffer; sBk: number; sBj: number; batchStrides: number[] },
  batchShape: readonly number[],
  dims: { rows: number; N: number; K: number; nbatch: number },
  bias: Tensor | undefined,
  out: Tensor,
): void {
  const runtime = gpu().runtime;
  const max = textureLimit();
  const { nt, tm, tn } = plan;
  const { rows, N, K, nbatch } = dims;
  const k4 = Math.ceil(K / 4);
  const nPad = Math.ceil(N / tn) * tn;
  const bSrc: PackSource = nt
    ? { buffer: b.buffer, sR: b.sBj, sC: b.sBk, batchStrides: b.batchStrides }
    : { buffer: b.buffer, sR: b.sBk, sC: b.sBj, batchStrides: b.batchStrides };
  const [bRB, bR, bC, bW] = nt ? [nPad, N, K, k4] : [k4 * 4, K, N, nPad / 4];
  const aBatched = a.batchStrides.some((s) => s !== 0);
  const bBatched = b.batchStrides.some((s) => s !== 0);
  const rowChunk = Math.min(rows, Math.floor(max / tm) * tm);
  const aRB = Math.ceil(rowChunk / tm) * tm;
  const zPer = Math.max(
    1,
    Math.min(nbatch, Math.floor(max / Math.max(aBatched ? aRB : 1, bBatched ? bRB : 1))),
  );
  const wx = Math.min(TEX_WG, nextPow2(Math.ceil(N / tn)));
  const wgN = Math.ceil(N / (wx * tn));
  const spec = texSpec(nt, tm, tn / 4);
  const config = { TM: tm, BN: tn / 4 };
  const biasBuffer = bias?.buffer ?? a.buffer;
  const packA = (z0: number, zn: number, r0: number, R: number) =>
    packOperand(a, batchShape, { z0, zn, r0, R, RB: Math.ceil(R / tm) * tm, C: K, zeroRows: false }, k4);
  const packB = (z0: number, zn: number) =>
    packOperand(bSrc, batchShape, { z0, zn, r0: 0, R: bR, RB: bRB, C: bC, zeroRows: !nt }, bW);
  const sharedB = bBatched ? null : packB(0, 1);
  const sharedA = !aBatched && rows <= rowChunk ? packA(0, 1, 0, rows) : null;
  for (let z0 = 0; z0 < nbatch; z0 += zPer) {
    const zn = Math.min(zPer, nbatch - z0);
    const texB = sharedB ?? packB(z0, zn);
    for (let i0 = 0; i0 < rows; i0 += rowChunk) {
      const mc = Math.min(rowChunk, rows - i0);
      const texA = sharedA ?? packA(z0, zn, i0, mc);
      const wgM = Math.ceil(mc / ((TEX_WG / wx) * tm));
      const meta = [
        mc,
        N,
        k4,
        wgN,
        wgN * wgM,
        zn,
        aBatched ? Math.ceil(mc / tm) * tm : 0,
        bBatched ? bRB : 0,
        (z0 * rows + i0) * N,
        rows * N,
        wx,
        bias ? 1 : 0,
        TEX_GROUP,
      ];
      runtime.dispatch(spec, config, [texA, texB, biasBuffer, out.buffer], meta, zn * wgN * wgM * TEX_WG);
      if (!sharedA) runtime.textures.release(texA);
    }
    if (!sharedB) runtime.textures.release(texB);
  }
  if (sharedA) runtime.textures.release(sharedA);
  if (sharedB) runtime.textures.release(sharedB);
}

/** Outputs per thread along an axis of extent `d` on llvmpipe (fewer loads per multiply-add). */
function cpuTile(d: number): number {
  return d >= 256 ? 32 : d >= 48 ? 16 : d >= 12 ? 8 : 4;
}

function nextPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

function planFor(M: number, N: number, aligned: boolean): Plan {
  let kernel = forced.kernel === "texture" ? "blocked" : forced.kernel;
  if (kernel === "vec4" && !aligned) kernel = "blocked";
  const cpu = gpu().adapter.isFallback;
  if (kernel === "auto") kernel = !cpu && aligned ? "vec4" : "blocked";
  if (kernel === "vec4") return { kernel, tm: 4, tn: 4, wg: cpu ? 8 : 256, wx: cpu ? 4 : 16 };
  const tile = forced.kernel === "blocked" ? forced.tile : undefined;
  const [tm, tn] = tile ?? (cpu ? [cpuTile(M), cpuTile(N)] : [4, 4]);
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
  const nbatch = layout.shape.reduce((p, d) => p * d, 1);
  const tex = texturePlan(rows, N, K, nbatch, transposeB);
  if (tex) {
    textureMatmul(
      tex,
      { buffer: a.buffer, sR: sAi, sC: sAk, batchStrides: layout.aStrides },
      { buffer: b.buffer, sBk, sBj, batchStrides: layout.bStrides },
      layout.shape,
      { rows, N, K, nbatch },
      bias,
      out,
    );
    return out;
  }
  const batchStrides = [...layout.aStrides, ...layout.bStrides];
  const aligned = (transposeA ? M : K) % 4 === 0 && (transposeB ? K : N) % 4 === 0 &&
    batchStrides.every((s) => s % 4 === 0);
  const plan = planFor(rows, N, aligned);
  const wgN = Math.ceil(N / (plan.wx * plan.tn));
  const wgM = Math.ceil(rows / ((plan.wg / plan.wx) * plan.tm));
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
