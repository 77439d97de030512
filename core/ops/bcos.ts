/**
 * The B-cos unit (B-cos v2, PROTOCOL.md §4), composed of the `conv2d` op (its tuned kernels do the
 * linear part) and three small B-cos kernels:
 *
 * ```text
 * w_hat = w / ||w||  per output filter, differentiable w.r.t. the raw w          (bcos_weight_norm)
 * lin_f = conv2d(x, w_hat)  (stride, padding, dilation, groups)                  (conv2d)
 * norm  = sqrt(sum over the receptive patch and the group's channels of x^2 + eps) (bcos_patch_norm)
 *       = ||x|| + eps  for the linear layer
 * lin   = max over each group of `maxOut` consecutive channels of lin_f
 * y     = |lin| / norm * lin                     (b = 2)                          (bcos_scale)
 *       = (|lin / norm| + 1e-6)^(b - 1) * lin    (other b, exactly as B-cos v2; b = 1 gives lin)
 * ```
 *
 * Op kinds and saved values: `bcos_weight_norm` `{ norms }`; `conv2d` (see conv.ts; `saved.weight` is
 * w_hat); `bcos_patch_norm` `{ kernel, stride, padding, dilation, groups, eps, linear }`;
 * `bcos_scale` (inputs `[lin_f, norm]`) `{ lin, index, b, maxOut, groups, explanationMode }` with
 * `lin` (after max-out) and `index` (the chosen member, float) shaped like the output, so the dynamic
 * scale is `s = y / lin` and the unit's dynamic linear map is `s * w_hat` (rows of the chosen members).
 *
 * The `bcos_scale` default backward is the full derivative; under {@link BCOS_EXPLANATION_RULES} (or
 * with `explanationMode: true`) the scale `|lin| / norm` is a constant, so the unit is dynamic-linear,
 * `y = s(x) * W x`, and `x * grad` sums to the output (B-cos explanations).
 *
 * Dispatches per B-cos conv: forward 3 + conv2d's; explanation backward 1 + conv2d's input gradient;
 * full backward 3 + conv2d's + a gradient sum + 1 for the filter normalisation.
 *
 * @module
 */
import type { RuleContext, RuleOverrides } from "../autograd.ts";
import { record } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import { type ConstValue, f32, type KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";
import { conv2d } from "./conv.ts";
import { permute, reshape } from "./layout.ts";
import { batchNormDetachedVarianceRule, layerNormDetachedVarianceRule } from "./norm.ts";

const FILE = "bcos.wgsl";
const WG = 64;
const ROW_WG = 64;

type Cfg = Record<string, ConstValue>;

async function spec(kernel: string, read: string[], write: string[], wg: number): Promise<KernelSpec<Cfg>> {
  return {
    name: `bcos.${kernel}`,
    source: await kernelSource(FILE, kernel),
    bindings: [
      ...read.map((name) => ({ name, access: "read" as const })),
      ...write.map((name) => ({ name, access: "read_write" as const })),
    ],
    workgroupSize: wg,
  };
}

const PATCH_NORM = await spec("patch_norm", ["x"], ["out"], WG);
const PATCH_NORM_BWD = await spec("patch_norm_backward", ["x", "nrm", "g"], ["dx"], WG);
const SCALE_FWD = await spec("scale_forward", ["linf", "nrm"], ["y", "lin", "idx"], WG);
const SCALE_BWD_LIN = await spec("scale_backward_lin", ["lin", "idx", "nrm", "g"], ["glin"], WG);
const SCALE_BWD_NORM = await spec("scale_backward_norm", ["lin", "nrm", "g"], ["gnorm"], WG);
const FILTER_NORM = await spec("filter_norm", ["w"], ["what", "norms"], ROW_WG);
const FILTER_NORM_BWD = await spec("filter_norm_backward", ["g", "what", "norms"], ["dw"], ROW_WG);

/** A 2-D size given as one number or `[height, width]`. */
export type Pair = number | readonly [number, number];

function pair(v: Pair | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/** Options of {@link bcosConv2d}. */
export interface BcosConv2dOptions {
  /** Stride (default 1). */
  stride?: Pair;
  /** Zero padding on each side (default 0). */
  padding?: Pair;
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Channel groups (default 1); the patch norm is taken per group, as in B-cos v2. */
  groups?: number;
  /** The B of the B-cos transform (default 2). */
  b?: number;
  /** Max-out group size over consecutive raw output channels (default 1: none). */
  maxOut?: number;
  /** Stabiliser inside the patch norm's square root (default 1e-6). */
  eps?: number;
  /** Record the explanation-mode rule (detached scale) instead of the full derivative. */
  explanationMode?: boolean;
}

/** Options of {@link bcosLinear}. */
export interface BcosLinearOptions {
  /** The B of the B-cos transform (default 2). */
  b?: number;
  /** Max-out group size (default 1). */
  maxOut?: number;
  /** Added to `||x||` (default 1e-12, as B-cos v2's BcosLinear). */
  eps?: number;
  /** Record the explanation-mode rule instead of the full derivative. */
  explanationMode?: boolean;
}

/** Options of {@link bcosPatchNorm}. */
export interface PatchNormOptions {
  /** Stride (default 1). */
  stride?: Pair;
  /** Zero padding (default 0). */
  padding?: Pair;
  /** Dilation (default 1). */
  dilation?: Pair;
  /** Channel groups (default 1): one norm per group. */
  groups?: number;
  /** Stabiliser (default 1e-6). */
  eps?: number;
  /** `sqrt(P) + eps` (B-cos linear layers) instead of `sqrt(P + eps)`. */
  linear?: boolean;
}

/** Options of {@link bcosScale}. */
export interface BcosScaleOptions {
  /** The B of the B-cos transform (default 2). */
  b?: number;
  /** Max-out group size (default 1). */
  maxOut?: number;
  /** Groups of the norm (default 1): output channel `o` uses norm channel `o / (O / groups)`. */
  groups?: number;
  /** Record the explanation-mode rule (detached scale). */
  explanationMode?: boolean;
}

/**
 * Normalises each output filter (row of `w` flattened over all but the first axis) to unit L2 norm,
 * differentiably (`dw = (g - w_hat <g, w_hat>) / ||w||`). No epsilon, as B-cos v2 (an all-zero filter
 * gives NaN). Op kind `bcos_weight_norm`, saves `{ norms }` (`[rows]`).
 *
 * @example
 * ```ts ignore
 * const wHat = normaliseFilters(w); // [O, C, k, k], each w_hat[o] of norm 1
 * ```
 */
export function normaliseFilters(w: Tensor): Tensor {
  const rows = w.shape[0] ?? 1;
  const K = rows === 0 ? 0 : w.size / rows;
  const what = empty(w.shape);
  const norms = empty([rows]);
  gpu().runtime.dispatch(FILTER_NORM, {}, [w.buffer, what.buffer, norms.buffer], [rows, K], rows * ROW_WG);
  const out = record("bcos_weight_norm", [w], what, ({ gradOutput: g, output }) => {
    const dw = empty(w.shape);
    gpu().runtime.dispatch(
      FILTER_NORM_BWD,
      {},
      [g.buffer, output.buffer, norms.buffer, dw.buffer],
      [rows, K],
      rows * ROW_WG,
    );
    return [dw];
  }, { norms });
  if (!out.node) norms.dispose();
  return out;
}

/**
 * The B-cos patch norm of `x` [N, C, H, W] for a `kernel` [KH, KW] window: per group of `C / groups`
 * channels and output position, `sqrt(sum of x^2 over the window + eps)` (or `sqrt(sum) + eps` when
 * `linear`) -> [N, groups, Ho, Wo] with the convolution's output size. Backward:
 * `dx = x * sum over the windows containing x of g / sqrt(sum (+ eps))`. Op kind `bcos_patch_norm`.
 *
 * @example
 * ```ts ignore
 * const norm = bcosPatchNorm(x, 3, { padding: 1 }); // [N, 1, H, W]
 * ```
 */
export function bcosPatchNorm(x: Tensor, kernel: Pair, opts: PatchNormOptions = {}): Tensor {
  if (x.rank !== 4) throw new RangeError(`bcosPatchNorm: x must be [N, C, H, W], got [${x.shape}]`);
  const [N, C, H, W] = x.shape;
  const [KH, KW] = pair(kernel, 1);
  const [sy, sx] = pair(opts.stride, 1);
  const [py, px] = pair(opts.padding, 0);
  const [dy, dx] = pair(opts.dilation, 1);
  const G = opts.groups ?? 1;
  const eps = opts.eps ?? 1e-6;
  const linear = opts.linear ?? false;
  if (C % G !== 0) throw new RangeError(`bcosPatchNorm: ${C} channels do not split into ${G} groups`);
  const Ho = Math.floor((H + 2 * py - dy * (KH - 1) - 1) / sy) + 1;
  const Wo = Math.floor((W + 2 * px - dx * (KW - 1) - 1) / sx) + 1;
  if (Ho < 1 || Wo < 1) throw new RangeError(`bcosPatchNorm: window does not fit input [${x.shape}]`);
  const geo = [N, C, H, W, G, Ho, Wo, KH, KW, sy, sx, py, px, dy, dx];
  const norm = empty([N, G, Ho, Wo]);
  const cfg = { LINEAR_NORM: linear };
  gpu().runtime.dispatch(PATCH_NORM, cfg, [x.buffer, norm.buffer], [...geo, norm.size, f32(eps)], norm.size);
  return record("bcos_patch_norm", [x], norm, ({ gradOutput: g, output }) => {
    const gx = empty(x.shape);
    gpu().runtime.dispatch(
      PATCH_NORM_BWD,
      cfg,
      [x.buffer, output.buffer, g.buffer, gx.buffer],
      [...geo, x.size, f32(eps)],
      x.size,
    );
    return [gx];
  }, {
    kernel: [KH, KW],
    stride: [sy, sx],
    padding: [py, px],
    dilation: [dy, dx],
    groups: G,
    eps,
    linear,
  });
}

interface ScaleSaved {
  lin: Tensor;
  index: Tensor;
  b: number;
  maxOut: number;
  groups: number;
  meta: [number, number, number, number];
  rowsOut: boolean;
}

function scaleBackward(ctx: RuleContext, detach: boolean): (Tensor | null)[] {
  const [linf, norm] = ctx.inputs;
  const s = ctx.saved as unknown as ScaleSaved;
  const [N, O, P, G] = s.meta;
  const g = ctx.gradOutput;
  const rt = gpu().runtime;
  const cfg = { MO: s.maxOut, DETACH: detach };
  const rows = s.rowsOut ? 1 : 0;
  let glin: Tensor | null = null;
  let gnorm: Tensor | null = null;
  if (linf.requiresGrad) {
    glin = empty(linf.shape);
    rt.dispatch(
      SCALE_BWD_LIN,
      cfg,
      [s.lin.buffer, s.index.buffer, norm.buffer, g.buffer, glin.buffer],
      [N, O, P, G, linf.size, f32(s.b), rows],
      linf.size,
    );
  }
  if (!detach && norm.requiresGrad && s.b !== 1) {
    gnorm = empty(norm.shape);
    rt.dispatch(
      SCALE_BWD_NORM,
      {},
      [s.lin.buffer, norm.buffer, g.buffer, gnorm.buffer],
      [N, O, P, G, norm.size, f32(s.b), rows],
      norm.size,
    );
  }
  return [glin, gnorm];
}

function scaleOp(linf: Tensor, norm: Tensor, opts: BcosScaleOptions, rowsOut: boolean): Tensor {
  const maxOut = opts.maxOut ?? 1;
  const G = opts.groups ?? 1;
  const b = opts.b ?? 2;
  const N = linf.shape[0];
  const OM = linf.shape[1];
  const spatial = linf.shape.slice(2);
  const P = spatial.reduce((p, d) => p * d, 1);
  if (linf.rank < 2 || OM % maxOut !== 0 || (OM / maxOut) % G !== 0) {
    throw new RangeError(`bcosScale: [${linf.shape}] does not split into max-out ${maxOut} and ${G} groups`);
  }
  const O = OM / maxOut;
  const wantNorm = [N, G, ...spatial];
  if (norm.rank !== wantNorm.length || norm.shape.some((d, i) => d !== wantNorm[i])) {
    throw new RangeError(`bcosScale: norm must be [${wantNorm}], got [${norm.shape}]`);
  }
  if (rowsOut && N !== 1) throw new RangeError("bcosScale: the row layout needs N = 1");
  const y = empty(rowsOut ? [P, O] : [N, O, ...spatial]);
  const lin = empty([N, O, ...spatial]);
  const index = empty([N, O, ...spatial]);
  gpu().runtime.dispatch(
    SCALE_FWD,
    { MO: maxOut },
    [linf.buffer, norm.buffer, y.buffer, lin.buffer, index.buffer],
    [N, O, P, G, y.size, f32(b), rowsOut ? 1 : 0],
    y.size,
  );
  const detach = opts.explanationMode ?? false;
  const saved: ScaleSaved = { lin, index, b, maxOut, groups: G, meta: [N, O, P, G], rowsOut };
  const out = record("bcos_scale", [linf, norm], y, (ctx) => scaleBackward(ctx, detach), {
    ...saved,
    explanationMode: detach,
  });
  if (!out.node) {
    lin.dispose();
    index.dispose();
  }
  return out;
}

/**
 * The max-out and dynamic scale of the B-cos unit: `lin_f` [N, O * maxOut, ...] (the linear outputs,
 * `maxOut` consecutive channels per unit) and `norm` [N, groups, ...] -> `y` [N, O, ...] with
 * `lin = max over members`, `y = |lin| / norm * lin` (b = 2; see the module doc for other b). Op kind
 * `bcos_scale`; its default backward is the full derivative, {@link bcosExplanationRule} treats the
 * scale as a constant.
 *
 * @example
 * ```ts ignore
 * const y = bcosScale(conv2d(x, wHat), bcosPatchNorm(x, 3, { padding: 1 }), { maxOut: 2 });
 * ```
 */
export function bcosScale(linf: Tensor, norm: Tensor, opts: BcosScaleOptions = {}): Tensor {
  return scaleOp(linf, norm, opts, false);
}

/**
 * The `bcos_scale` backward with the dynamic scale detached (explanation mode): the unit acts as the
 * linear map `y = s(x) * lin` with `s` constant, so `lin_f` gets `g * s` (at the chosen max-out
 * member) and the norm gets no gradient.
 *
 * @example
 * ```ts ignore
 * const g = withRules({ kinds: { bcos_scale: bcosExplanationRule } }, () => grad(logit, [x]));
 * ```
 */
export function bcosExplanationRule(ctx: RuleContext): (Tensor | null)[] {
  return scaleBackward(ctx, true);
}

/**
 * Rule overrides for B-cos explanation mode: every `bcos_scale` is detached, and the variance of
 * `batch_norm` and `layer_norm` is a constant (as B-cos v2's detachable norms). Under these rules a
 * B-cos network is dynamic-linear, `logit = W(x) . x + const`, and `sum_c x * grad` is its
 * contribution map.
 *
 * @example
 * ```ts ignore
 * const [g] = withRules(BCOS_EXPLANATION_RULES, () => grad(logits, [x], { gradOutput: oneHotTarget }));
 * ```
 */
export const BCOS_EXPLANATION_RULES: RuleOverrides = {
  kinds: {
    bcos_scale: bcosExplanationRule,
    batch_norm: batchNormDetachedVarianceRule,
    layer_norm: layerNormDetachedVarianceRule,
  },
};

/** Frees the intermediates of a B-cos unit whose output was not recorded (no gradient wanted). */
function releaseIfUnrecorded(y: Tensor, temps: Tensor[]): Tensor {
  if (!y.node) { for (const t of temps) t.dispose(); }
  return y;
}

/**
 * B-cos 2-D convolution of `x` [N, C, H, W] with raw filters `weight` [O * maxOut, C / groups, KH, KW]
 * (normalised inside, differentiably) -> [N, O, Ho, Wo]; B-cos v2's `BcosConv2d`, the patch norm
 * respecting stride, padding, dilation and groups (v2's exact "slow" norm for dilation > 1). See the
 * module doc for the maths and op kinds.
 *
 * @example
 * ```ts ignore
 * const y = bcosConv2d(x6, w1, { padding: 1, maxOut: 2 }); // [N, 6, H, W] -> [N, 8, H, W]
 * ```
 */
export function bcosConv2d(x: Tensor, weight: Tensor, opts: BcosConv2dOptions = {}): Tensor {
  if (x.rank !== 4 || weight.rank !== 4) {
    throw new RangeError(`bcosConv2d: x [${x.shape}] and weight [${weight.shape}] must be 4-D`);
  }
  const groups = opts.groups ?? 1;
  const maxOut = opts.maxOut ?? 1;
  if (weight.shape[0] % (groups * maxOut) !== 0) {
    throw new RangeError(
      `bcosConv2d: ${weight.shape[0]} filters do not split into ${groups} groups of max-out ${maxOut}`,
    );
  }
  const geometry = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups };
  const what = normaliseFilters(weight);
  const linf = conv2d(x, what, null, geometry);
  const norm = bcosPatchNorm(x, [weight.shape[2], weight.shape[3]], { ...geometry, eps: opts.eps ?? 1e-6 });
  const y = bcosScale(linf, norm, { b: opts.b, maxOut, groups, explanationMode: opts.explanationMode });
  return releaseIfUnrecorded(y, [what, linf, norm]);
}

/**
 * B-cos linear layer: `x` [..., in] with raw weight [out * maxOut, in] -> [..., out], with
 * `norm = ||x|| + eps` over the last axis (B-cos v2's `BcosLinear`). The rows are laid out as the
 * pixels of one image ([1, in, 1, rows], one transpose) so the linear part runs as a pixel-blocked
 * 1 x 1 `conv2d`; the scale kernel writes the output back in row order.
 *
 * @example
 * ```ts ignore
 * const y = bcosLinear(features, w, { b: 2 }); // [B, 2048] -> [B, 10]
 * ```
 */
export function bcosLinear(x: Tensor, weight: Tensor, opts: BcosLinearOptions = {}): Tensor {
  const inF = x.shape[x.rank - 1];
  if (weight.rank !== 2 || weight.shape[1] !== inF) {
    throw new RangeError(`bcosLinear: weight [${weight.shape}] does not match input [${x.shape}]`);
  }
  const maxOut = opts.maxOut ?? 1;
  if (weight.shape[0] % maxOut !== 0) {
    throw new RangeError(`bcosLinear: ${weight.shape[0]} outputs do not split into max-out ${maxOut}`);
  }
  const R = inF === 0 ? 0 : x.size / inF;
  const rows = reshape(x, [R, inF]);
  const cols = permute(rows, [1, 0]);
  const x4 = reshape(cols, [1, inF, 1, R]);
  const what = normaliseFilters(weight);
  const w4 = reshape(what, [weight.shape[0], inF, 1, 1]);
  const linf = conv2d(x4, w4);
  const norm = bcosPatchNorm(x4, 1, { eps: opts.eps ?? 1e-12, linear: true });
  const y = scaleOp(linf, norm, { b: opts.b, maxOut, explanationMode: opts.explanationMode }, true);
  const out = reshape(y, [...x.shape.slice(0, -1), weight.shape[0] / maxOut]);
  releaseIfUnrecorded(out, [rows, cols, x4, what, w4, linf, norm, y]);
  return out;
}
