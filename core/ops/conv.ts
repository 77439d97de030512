/**
 * 2-D convolution with torch semantics (`F.conv2d`): NCHW activations, weights `[O, C / groups, KH, KW]`,
 * optional bias `[O]`, stride / padding / dilation per axis and grouped (including depthwise) channels.
 *
 * All kernels are direct (no im2col copy) and keep a register block of output channels x pixels per
 * thread, because on llvmpipe every storage load costs tens of cycles per lane while a multiply-add costs
 * about one: weights are packed so that 4 output channels are one vec4 load, and a thread loads each
 * input row segment (or, for narrow outputs, each input window) once for all kernel taps.
 * - forward: `fwd` (rows of PB pixels; a 1x1 stride-1 convolution runs on the image as one row, with vec4
 *   input loads when possible) or `fwd2d` (tiles of several rows, for outputs at most 14 wide); a strided
 *   1x1 convolution without padding runs at stride 1 on the subsampled input;
 * - input gradient: stride 1 is the forward kernel with mirrored taps and complementary padding; larger
 *   strides gather per residue class of columns (`tap_seg`, or `tap` with column dilation);
 * - weight gradient: `dw` reduces over chunks of pixels from channel-last copies of the input and the
 *   output gradient, writing the result directly when there is one chunk and summing the chunks in
 *   `dw_reduce` otherwise.
 * Block sizes depend on the adapter: large on CPU adapters (llvmpipe), small on GPUs.
 *
 * Op kind `conv2d`; the node's `saved` holds {@link Conv2dSaved} (weight, bias, stride, padding,
 * dilation, groups), so LRP / B-cos rule overrides can recompute the convolution with modified weights
 * through {@link conv2d}, {@link conv2dGradInput} and {@link conv2dGradWeight}.
 *
 * @module
 */
import { record } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import type { KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";
import { sum } from "./reduce.ts";

const FILE = "conv.wgsl";
const SOURCES = {
  pack: await kernelSource(FILE, "pack"),
  toNhwc: await kernelSource(FILE, "to_nhwc"),
  toNhwc4: await kernelSource(FILE, "to_nhwc4"),
  strided: await kernelSource(FILE, "strided"),
  fwd: await kernelSource(FILE, "fwd"),
  fwd2d: await kernelSource(FILE, "fwd2d"),
  tap: await kernelSource(FILE, "tap"),
  tapSeg: await kernelSource(FILE, "tap_seg"),
  dw: await kernelSource(FILE, "dw"),
  dwReduce: await kernelSource(FILE, "dw_reduce"),
};

/** A size per spatial axis: one number for both, or `[h, w]`. */
export type Size2 = number | readonly [number, number];

/** Options of {@link conv2d} (torch defaults: stride 1, padding 0, dilation 1, groups 1). */
export interface Conv2dOptions {
  /** Step between output positions, per axis. */
  stride?: Size2;
  /** Zero padding added to both sides, per axis. */
  padding?: Size2;
  /** Spacing between kernel taps, per axis. */
  dilation?: Size2;
  /** Number of channel groups; `C` and `O` must be divisible by it. */
  groups?: number;
}

/** What a `conv2d` tape node saves for backward rules and rule overrides. */
export interface Conv2dSaved {
  /** The weight `[O, C / groups, KH, KW]`. */
  weight: Tensor;
  /** The bias `[O]`, or null. */
  bias: Tensor | null;
  /** `[sh, sw]`. */
  stride: [number, number];
  /** `[ph, pw]`. */
  padding: [number, number];
  /** `[dh, dw]`. */
  dilation: [number, number];
  /** Channel groups. */
  groups: number;
}

// ---- unroll expansion ---------------------------------------------------------------------------

type Env = Record<string, number>;

/** Evaluates an integer expression (+ - * / % and parentheses; `/` floors) over `env`. */
function evalInt(expr: string, env: Env): number {
  const tokens = expr.match(/\d+|[A-Za-z_]\w*|[-+*/%()]/g) ?? [];
  if (tokens.join("") !== expr.replace(/\s+/g, "")) throw new SyntaxError(`bad unroll expression '${expr}'`);
  let i = 0;
  const atom = (): number => {
    const tok = tokens[i++];
    if (tok === "(") {
      const v = additive();
      if (tokens[i++] !== ")") throw new SyntaxError(`missing ')' in '${expr}'`);
      return v;
    }
    if (tok === "-") return -atom();
    if (tok !== undefined && /^\d+$/.test(tok)) return Number(tok);
    if (tok !== undefined && tok in env) return env[tok];
    throw new SyntaxError(`unknown name '${tok}' in unroll expression '${expr}'`);
  };
  const multiplicative = (): number => {
    let v = atom();
    while (tokens[i] === "*" || tokens[i] === "/" || tokens[i] === "%") {
      const op = tokens[i++];
      const r = atom();
      v = op === "*" ? v * r : op === "/" ? Math.floor(v / r) : v % r;
    }
    return v;
  };
  const additive = (): number => {
    let v = multiplicative();
    while (tokens[i] === "+" || tokens[i] === "-") {
      v = tokens[i++] === "+" ? v + multiplicative() : v - multiplicative();
    }
    return v;
  };
  const v = additive();
  if (i !== tokens.length) throw new SyntaxError(`trailing tokens in unroll expression '${expr}'`);
  return v;
}

/**
 * Expands the unroll directives of a shader with the integer constants in `env`: `//! for v < EXPR` ...
 * `//! end` repeats its lines for v = 0 .. EXPR-1, `//! if EXPR` ... [`//! else` ...] `//! end` keeps one
 * branch, and `$(EXPR)` outside comments becomes the expression's value. Directives nest.
 */
function expandUnrolled(src: string, env: Env): string {
  const lines = src.split("\n");
  const out: string[] = [];
  const subst = (line: string, scope: Env) =>
    /^\s*\/\//.test(line)
      ? line
      : line.replace(/\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g, (_, e) => String(evalInt(e, scope)));
  // Emits lines from `from` up to the closing `//! end` or `//! else`; returns the index after it.
  const block = (from: number, scope: Env, write: boolean): { next: number; stop: string } => {
    let i = from;
    while (i < lines.length) {
      const d = lines[i].match(/^\s*\/\/!\s*(for|if|else|end)\b\s*(.*)$/);
      if (!d) {
        if (write) out.push(subst(lines[i], scope));
        i++;
        continue;
      }
      const [, kw, rest] = d;
      if (kw === "end" || kw === "else") return { next: i + 1, stop: kw };
      if (kw === "for") {
        const head = rest.match(/^(\w+)\s*<\s*(.+)$/);
        if (!head) throw new SyntaxError(`bad unroll directive '${lines[i].trim()}'`);
        let r = block(i + 1, scope, false);
        const count = write ? evalInt(head[2], scope) : 0;
        for (let k = 0; k < count; k++) r = block(i + 1, { ...scope, [head[1]]: k }, true);
        i = r.next;
      } else {
        const cond = write && evalInt(rest, scope) !== 0;
        let r = block(i + 1, scope, cond);
        if (r.stop === "else") r = block(r.next, scope, write && !cond);
        i = r.next;
      }
    }
    return { next: i, stop: "eof" };
  };
  block(0, env, true);
  return out.join("\n");
}

const specs = new Map<string, KernelSpec<Env>>();

/** The kernel spec of `kernel` with its unroll blocks expanded for `config`. */
function unrolledSpec(
  kernel: "fwd" | "fwd2d" | "tap" | "tapSeg" | "dw",
  bindings: KernelSpec["bindings"],
  config: Env,
  workgroupSize: number,
): KernelSpec<Env> {
  const key = `${kernel}|${Object.entries(config).sort().join("|")}|${workgroupSize}`;
  let spec = specs.get(key);
  if (!spec) {
    spec = {
      name: `conv.${kernel === "tapSeg" ? "tap_seg" : kernel}`,
      source: expandUnrolled(SOURCES[kernel], config),
      bindings,
      workgroupSize,
    };
    specs.set(key, spec);
  }
  return spec;
}

const PACK: KernelSpec = {
  name: "conv.pack",
  source: SOURCES.pack,
  bindings: [{ name: "w", access: "read" }, { name: "out", access: "read_write" }],
  workgroupSize: 64,
};
const TO_NHWC: KernelSpec = {
  name: "conv.to_nhwc",
  source: SOURCES.toNhwc,
  bindings: [{ name: "a", access: "read" }, { name: "out", access: "read_write", element: "vec4<f32>" }],
  workgroupSize: 64,
};
const TO_NHWC4: KernelSpec = {
  name: "conv.to_nhwc4",
  source: SOURCES.toNhwc4,
  bindings: [
    { name: "a4", access: "read", element: "vec4<f32>" },
    { name: "out", access: "read_write", element: "vec4<f32>" },
  ],
  workgroupSize: 64,
};
const STRIDED: KernelSpec = {
  name: "conv.strided",
  source: SOURCES.strided,
  bindings: [{ name: "a", access: "read" }, { name: "out", access: "read_write" }],
  workgroupSize: 64,
};
const DW_REDUCE: KernelSpec = {
  name: "conv.dw_reduce",
  source: SOURCES.dwReduce,
  bindings: [{ name: "part", access: "read" }, { name: "out", access: "read_write" }],
  workgroupSize: 64,
};
const FWD_BINDINGS: KernelSpec["bindings"] = [
  { name: "x", access: "read" },
  { name: "wp", access: "read", element: "vec4<f32>" },
  { name: "bias", access: "read" },
  { name: "y", access: "read_write" },
];
const FWD_VX_BINDINGS: KernelSpec["bindings"] = [
  { name: "x4", access: "read", element: "vec4<f32>" },
  ...FWD_BINDINGS.slice(1),
];
const TAP_BINDINGS: KernelSpec["bindings"] = [
  { name: "x", access: "read" },
  { name: "wp", access: "read", element: "vec4<f32>" },
  { name: "y", access: "read_write" },
];
const DW_BINDINGS: KernelSpec["bindings"] = [
  { name: "xt", access: "read", element: "vec4<f32>" },
  { name: "gt", access: "read", element: "vec4<f32>" },
  { name: "part", access: "read_write", element: "vec4<f32>" },
];

// ---- geometry -----------------------------------------------------------------------------------

/** Resolved shapes and hyper-parameters of one convolution. */
interface Geometry {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  KH: number;
  KW: number;
  sy: number;
  sx: number;
  py: number;
  px: number;
  dy: number;
  dx: number;
  G: number;
  Cg: number;
  Og: number;
  Ho: number;
  Wo: number;
}

function pair(v: Size2 | undefined, dflt: number, what: string): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x))) {
    throw new RangeError(`conv2d: ${what} must be integers, got ${v}`);
  }
  return p;
}

function geometry(xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions): Geometry {
  if (xShape.length !== 4) throw new RangeError(`conv2d: input must be [N, C, H, W], got [${xShape}]`);
  if (wShape.length !== 4) {
    throw new RangeError(`conv2d: weight must be [O, C/groups, KH, KW], got [${wShape}]`);
  }
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const G = opts.groups ?? 1;
  const [sy, sx] = pair(opts.stride, 1, "stride");
  const [py, px] = pair(opts.padding, 0, "padding");
  const [dy, dx] = pair(opts.dilation, 1, "dilation");
  if (!Number.isInteger(G) || G < 1 || C % G !== 0 || O % G !== 0 || C / G !== Cg) {
    throw new RangeError(`conv2d: input [${xShape}] and weight [${wShape}] do not match groups=${G}`);
  }
  if (sy < 1 || sx < 1 || dy < 1 || dx < 1 || py < 0 || px < 0) {
    throw new RangeError(`conv2d: stride and dilation must be >= 1 and padding >= 0`);
  }
  const Ho = Math.floor((H + 2 * py - dy * (KH - 1) - 1) / sy) + 1;
  const Wo = Math.floor((W + 2 * px - dx * (KW - 1) - 1) / sx) + 1;
  if (Ho < 1 || Wo < 1 || KH < 1 || KW < 1) {
    throw new RangeError(`conv2d: kernel [${KH}, ${KW}] does not fit input [${xShape}] with these options`);
  }
  return { N, C, H, W, O, KH, KW, sy, sx, py, px, dy, dx, G, Cg, Og: O / G, Ho, Wo };
}

/** Whether the adapter is a CPU rasteriser (llvmpipe and friends), which wants large register blocks. */
function cpuAdapter(): boolean {
  const a = gpu().adapter;
  return a.isFallback || /llvmpipe|lavapipe|swiftshader|softpipe/i.test(a.name);
}

/** Pixels per thread along a row: the largest candidate that wastes at most 15%, else the least waste. */
function pickPixels(width: number): number {
  const cands = cpuAdapter() ? [28, 14, 7, 4] : [4];
  const waste = (pb: number) => Math.ceil(width / pb) * pb - width;
  const ok = cands.find((pb) => waste(pb) <= 0.15 * width);
  return ok ?? cands.reduce((best, pb) => (waste(pb) < waste(best) ? pb : best));
}

/** Channel vec4s per thread for `count` channels per group. */
function pickChannels4(count: number, max: number): number {
  return Math.max(1, Math.min(cpuAdapter() ? max : Math.min(max, 2), Math.ceil(count / 4)));
}

// ---- kernels ------------------------------------------------------------------------------------

/** Packs weights for the direct kernels (see shaders/conv.wgsl); returns the tensor and its row width. */
function packWeights(
  w: Tensor,
  g: Geometry,
  swap: boolean,
  flip: boolean,
  ob4: number,
  kwp = g.KW,
): { packed: Tensor; rs: number } {
  const ci = swap ? g.Og : g.Cg;
  const co = swap ? g.Cg : g.Og;
  const rs = Math.ceil(co / (4 * ob4)) * ob4;
  const total = g.G * g.KH * kwp * ci * rs * 4;
  const packed = empty([total]);
  const meta = [total, g.G, g.KH, kwp, ci, rs * 4, co, swap ? 1 : 0, flip ? 1 : 0, g.Og, g.Cg, g.KW];
  gpu().runtime.dispatch(PACK, {}, [w.buffer, packed.buffer], meta, total);
  return { packed, rs };
}

/** Geometry of one direct (gathering) convolution pass, as the `fwd` kernel sees it. */
interface DirectPass {
  N: number;
  Cin: number;
  Hin: number;
  Win: number;
  Cout: number;
  Hout: number;
  Wout: number;
  KH: number;
  KW: number;
  sy: number;
  sx: number;
  py: number;
  px: number;
  dy: number;
  dx: number;
  G: number;
}

/** Runs the `fwd` kernel: out = conv(x, packed weights) (+ bias). */
function directConv(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  p: DirectPass,
  swap: boolean,
  flip: boolean,
  wg: Geometry,
): Tensor {
  const out = empty([p.N, p.Cout, p.Hout, p.Wout]);
  // A 1x1 convolution with stride 1 and no padding sees the image as one long row.
  const flat = p.KH === 1 && p.KW === 1 && p.sy === 1 && p.sx === 1 && p.py === 0 && p.px === 0;
  const Hin = flat ? 1 : p.Hin;
  const Win = flat ? p.Hin * p.Win : p.Win;
  const Hout = flat ? 1 : p.Hout;
  const Wout = flat ? p.Hout * p.Wout : p.Wout;
  const sx = flat ? 1 : p.sx;
  const dx = flat ? 1 : p.dx;
  const coutG = p.Cout / p.G;
  const ob4 = pickChannels4(coutG, 4);
  const pb = pickPixels(Wout);
  const { packed, rs } = packWeights(w, wg, swap, flip, ob4);
  const obg = rs / ob4;
  const tpr = Math.ceil(Wout / pb);
  const meta = [
    p.N,
    p.Cin,
    Hin,
    Win,
    p.Cout,
    Hout,
    Wout,
    p.KH,
    p.sy,
    p.py,
    p.px,
    p.dy,
    p.G,
    p.Cin / p.G,
    coutG,
    obg,
    tpr,
    bias ? 1 : 0,
    rs,
  ];
  const bindings = [x.buffer, packed.buffer, (bias ?? packed).buffer, out.buffer];
  const rt = gpu().runtime;
  // Narrow outputs (late ResNet stages): tiles of several rows reuse each loaded value across kernel rows.
  if (cpuAdapter() && !flat && Wout <= 14 && Hout > 1 && p.KH * p.KW <= 9) {
    const pr = Math.min(Hout, Math.ceil(28 / pb));
    const tpc = Math.ceil(Hout / pr);
    const config = { KH: p.KH, KW: p.KW, SY: p.sy, SX: sx, DY: p.dy, DX: dx, OB4: ob4, PB: pb, PR: pr };
    const spec = unrolledSpec("fwd2d", FWD_BINDINGS, config, 64);
    rt.dispatch(spec, config, bindings, [...meta, tpc], p.N * p.G * obg * tpc * tpr);
  } else {
    const vx = flat && Win % 4 === 0 && pb % 4 === 0 ? 1 : 0;
    const config = { KW: p.KW, SX: sx, DX: dx, OB4: ob4, PB: pb, VX: vx };
    const spec = unrolledSpec("fwd", vx ? FWD_VX_BINDINGS : FWD_BINDINGS, config, 64);
    rt.dispatch(spec, config, bindings, meta, p.N * p.G * obg * Hout * tpr);
  }
  packed.dispose();
  return out;
}

/** A strided 1x1 convolution without padding: a stride-1 one on the subsampled grid. */
function stridedPointwise(g: Geometry): boolean {
  return g.KH === 1 && g.KW === 1 && g.py === 0 && g.px === 0 && (g.sy > 1 || g.sx > 1);
}

function convForward(x: Tensor, w: Tensor, bias: Tensor | null, g: Geometry): Tensor {
  if (stridedPointwise(g)) {
    const xs = strided(x, g.H, g.W, g.Ho, g.Wo, g.sy, g.sx, false);
    const y = convForward(xs, w, bias, { ...g, H: g.Ho, W: g.Wo, sy: 1, sx: 1 });
    xs.dispose();
    return y;
  }
  const pass: DirectPass = {
    N: g.N,
    Cin: g.C,
    Hin: g.H,
    Win: g.W,
    Cout: g.O,
    Hout: g.Ho,
    Wout: g.Wo,
    KH: g.KH,
    KW: g.KW,
    sy: g.sy,
    sx: g.sx,
    py: g.py,
    px: g.px,
    dy: g.dy,
    dx: g.dx,
    G: g.G,
  };
  return directConv(x, w, bias, pass, false, false, g);
}

function gradInputRaw(gy: Tensor, w: Tensor, g: Geometry): Tensor {
  if (stridedPointwise(g)) {
    const small = gradInputRaw(gy, w, { ...g, H: g.Ho, W: g.Wo, sy: 1, sx: 1 });
    const dx = strided(small, g.H, g.W, g.Ho, g.Wo, g.sy, g.sx, true);
    small.dispose();
    return dx;
  }
  if (g.sy === 1 && g.sx === 1) {
    // A stride-1 transposed convolution is a convolution with mirrored taps and complementary padding.
    const pass: DirectPass = {
      N: g.N,
      Cin: g.O,
      Hin: g.Ho,
      Win: g.Wo,
      Cout: g.C,
      Hout: g.H,
      Wout: g.W,
      KH: g.KH,
      KW: g.KW,
      sy: 1,
      sx: 1,
      py: g.dy * (g.KH - 1) - g.py,
      px: g.dx * (g.KW - 1) - g.px,
      dy: g.dy,
      dx: g.dx,
      G: g.G,
    };
    return directConv(gy, w, null, pass, true, true, g);
  }
  const out = empty([g.N, g.C, g.H, g.W]);
  const ob4 = pickChannels4(g.Cg, 4);
  const pb = pickPixels(Math.ceil(g.W / g.sx));
  // Column dilation 1: reuse one row segment across the valid taps (taps padded to a multiple of sx).
  const nt = Math.ceil(g.KW / g.sx);
  const seg = g.dx === 1;
  const { packed, rs } = packWeights(w, g, true, false, ob4, seg ? nt * g.sx : g.KW);
  const obg = rs / ob4;
  const tpr = Math.ceil(Math.ceil(g.W / g.sx) / pb);
  const meta = [
    g.N,
    g.O,
    g.Ho,
    g.Wo,
    g.C,
    g.H,
    g.W,
    g.KH,
    seg ? nt * g.sx : g.KW,
    g.sy,
    g.sx,
    g.py,
    g.px,
    g.dy,
    g.dx,
    g.G,
    g.Og,
    g.Cg,
    obg,
    tpr,
    rs,
  ];
  const config: Env = seg ? { SX: g.sx, NT: nt, OB4: ob4, PB: pb } : { OB4: ob4, PB: pb };
  const spec = unrolledSpec(seg ? "tapSeg" : "tap", TAP_BINDINGS, config, 64);
  const threads = g.N * g.G * obg * g.sx * g.H * tpr;
  gpu().runtime.dispatch(spec, config, [gy.buffer, packed.buffer, out.buffer], meta, threads);
  packed.dispose();
  return out;
}

/** Channel-last copy `[N, HW, G, Cp]` with each group's channels padded to a multiple of 4. */
function toNhwc(t: Tensor, groups: number): { out: Tensor; cp: number } {
  const [N, C, H, W] = t.shape;
  const cg = C / groups;
  const cp = Math.ceil(cg / 4) * 4;
  const out = empty([N * H * W * groups * cp]);
  const blocks = cg % 4 === 0 && (H * W) % 4 === 0;
  const threads = blocks ? out.size / 16 : out.size / 4;
  const meta = [threads, C, H * W, groups, cg, cp];
  gpu().runtime.dispatch(blocks ? TO_NHWC4 : TO_NHWC, {}, [t.buffer, out.buffer], meta, threads);
  return { out, cp };
}

/** `t[:, :, ::sy, ::sx]` cropped to `[ho, wo]` (gather), or its adjoint into zeros of `[h, w]` (scatter). */
function strided(
  t: Tensor,
  h: number,
  w: number,
  ho: number,
  wo: number,
  sy: number,
  sx: number,
  scatter: boolean,
) {
  const [N, C] = t.shape;
  const out = empty(scatter ? [N, C, h, w] : [N, C, ho, wo]);
  const meta = [out.size, h, w, ho, wo, sy, sx, scatter ? 1 : 0];
  gpu().runtime.dispatch(STRIDED, {}, [t.buffer, out.buffer], meta, out.size);
  return out;
}

function gradWeightRaw(x: Tensor, gy: Tensor, g: Geometry): Tensor {
  const { out: xt, cp } = toNhwc(x, g.G);
  const { out: gt, cp: op } = toNhwc(gy, g.G);
  let ob4 = pickChannels4(g.Og, 4);
  let cb4 = pickChannels4(g.Cg, 8);
  // With few input channels per group, a thread takes several taps of a kernel row instead.
  const kt = cpuAdapter() && cb4 === 1 ? Math.min(g.KW, 8) : 1;
  if (cpuAdapter() && cb4 === 1 && kt === 1) ob4 = pickChannels4(g.Og, 8);
  else if (cpuAdapter() && ob4 === 1) cb4 = pickChannels4(g.Cg, 8);
  const obg = Math.ceil(op / 4 / ob4);
  const cbg = Math.ceil(cp / 4 / cb4);
  const pixels = g.N * g.Ho * g.Wo;
  const base = g.G * g.KH * Math.ceil(g.KW / kt) * obg * cbg;
  const target = cpuAdapter() ? 256 : 16384;
  const splits = Math.max(1, Math.min(Math.ceil(target / base), Math.floor(pixels / 32)));
  const chunk = Math.ceil(pixels / splits);
  const direct = splits === 1;
  const dw = empty([g.O, g.Cg, g.KH, g.KW]);
  const part = direct ? dw : empty([splits * g.G * g.KH * g.KW * cp * op]);
  const meta = [
    g.N,
    g.H,
    g.W,
    g.Ho,
    g.Wo,
    g.KH,
    g.KW,
    g.sy,
    g.sx,
    g.py,
    g.px,
    g.dy,
    g.dx,
    g.G,
    cp,
    op,
    obg,
    cbg,
    splits,
    chunk,
    direct ? 1 : 0,
    g.Og,
    g.Cg,
  ];
  const config = { OB4: ob4, CB4: cb4, KT: kt };
  const rt = gpu().runtime;
  const spec = unrolledSpec("dw", DW_BINDINGS, config, cpuAdapter() ? 16 : 64);
  rt.dispatch(spec, config, [xt.buffer, gt.buffer, part.buffer], meta, splits * base);
  xt.dispose();
  gt.dispose();
  if (direct) return dw;
  const total = dw.size;
  rt.dispatch(
    DW_REDUCE,
    {},
    [part.buffer, dw.buffer],
    [total, splits, g.G, g.Og, g.Cg, g.KH, g.KW, cp, op],
    total,
  );
  part.dispose();
  return dw;
}

// ---- public ops ---------------------------------------------------------------------------------

/**
 * 2-D convolution like torch's `F.conv2d`: `x [N, C, H, W]`, `weight [O, C / groups, KH, KW]`, optional
 * `bias [O]`; output `[N, O, Ho, Wo]` with `Ho = floor((H + 2 ph - dh (KH - 1) - 1) / sh) + 1`.
 *
 * Records op kind `conv2d` with `saved` = {@link Conv2dSaved}; gradients flow to `x`, `weight` and
 * `bias` (each only when it requires one).
 *
 * @example
 * ```ts ignore
 * const y = conv2d(x, w, b, { stride: 2, padding: 3 }); // ResNet stem: [N, 3, 224, 224] -> [N, 64, 112, 112]
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const g = geometry(x.shape, weight.shape, opts);
  const b = bias ?? null;
  if (b && (b.rank !== 1 || b.shape[0] !== g.O)) {
    throw new RangeError(`conv2d: bias must be [${g.O}], got [${b.shape}]`);
  }
  const y = convForward(x, weight, b, g);
  const saved: Conv2dSaved = {
    weight,
    bias: b,
    stride: [g.sy, g.sx],
    padding: [g.py, g.px],
    dilation: [g.dy, g.dx],
    groups: g.G,
  };
  const inputs = b ? [x, weight, b] : [x, weight];
  return record("conv2d", inputs, y, ({ gradOutput: gy }) => {
    const grads: (Tensor | null)[] = [
      x.requiresGrad ? gradInputRaw(gy, weight, g) : null,
      weight.requiresGrad ? gradWeightRaw(x, gy, g) : null,
    ];
    if (b) grads.push(b.requiresGrad ? sum(gy, [0, 2, 3]) : null);
    return grads;
  }, saved as unknown as Record<string, unknown>);
}

/**
 * The gradient of `conv2d` with respect to its input (a transposed convolution) for output gradient
 * `gradOutput [N, O, Ho, Wo]`, weight `[O, C / groups, KH, KW]` and the input shape. No tape record.
 * LRP rules call it with modified weights.
 *
 * @example
 * ```ts ignore
 * const dx = conv2dGradInput(dy, w, x.shape, { stride: 2, padding: 1 });
 * ```
 */
export function conv2dGradInput(
  gradOutput: Tensor,
  weight: Tensor,
  inputShape: readonly number[],
  opts: Conv2dOptions = {},
): Tensor {
  const g = geometry(inputShape, weight.shape, opts);
  checkGradShape(gradOutput, g);
  return gradInputRaw(gradOutput, weight, g);
}

/**
 * The gradient of `conv2d` with respect to its weight for input `x` and output gradient `gradOutput`;
 * returns `[O, C / groups, KH, KW]`. No tape record.
 *
 * @example
 * ```ts ignore
 * const dw = conv2dGradWeight(x, dy, w.shape, { padding: 1 });
 * ```
 */
export function conv2dGradWeight(
  x: Tensor,
  gradOutput: Tensor,
  weightShape: readonly number[],
  opts: Conv2dOptions = {},
): Tensor {
  const g = geometry(x.shape, weightShape, opts);
  checkGradShape(gradOutput, g);
  return gradWeightRaw(x, gradOutput, g);
}

function checkGradShape(gy: Tensor, g: Geometry): void {
  const want = [g.N, g.O, g.Ho, g.Wo];
  if (gy.rank !== 4 || gy.shape.some((d, i) => d !== want[i])) {
    throw new RangeError(`conv2d gradient: output gradient must be [${want}], got [${gy.shape}]`);
  }
}
