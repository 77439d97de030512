/**
 * Batch norm (torch semantics, plus the B-cos uncentred variant) and layer norm, as fused kernels
 * with their own backward rules.
 *
 * Op kinds and what they save (for rule overrides and canonizers):
 * - `batch_norm`: `{ weight, bias, mean, invstd, statMean, eps, training, centred, detachVariance }`:
 *   `mean` is the per-channel mean subtracted in the forward (`null` when not centred), `invstd` the
 *   per-channel `1 / sqrt(var + eps)` used (batch or running statistics; `[C]` tensors), `statMean`
 *   the centre of the batch variance in training (`[C]`: the batch mean, zeros for the uncentred
 *   second-moment variant; in eval a copy of the running mean, or zeros when not centred).
 *   `y = (x - mean) * invstd * weight + bias`, so an eval BN merges into a preceding conv as
 *   `w' = w * (weight * invstd)`, `b' = (b - mean) * weight * invstd + bias`.
 * - `layer_norm`: `{ weight, bias, mean, invstd, eps, normalizedShape, detachVariance }` with per-row
 *   `mean` / `invstd` tensors of shape `[rows]`.
 *
 * {@link batchNormDetachedVarianceRule} and {@link layerNormDetachedVarianceRule} are the backward
 * rules with the variance treated as a constant (B-cos explanation mode; see `bcos.ts`).
 *
 * The saved statistics exist only when the op is recorded on the tape; otherwise they are freed at
 * once. All reductions are fixed trees in workgroup memory, so results are deterministic.
 *
 * @module
 */
import { isGradEnabled, record, type RuleContext } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import { type ConstValue, f32, type KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor, view } from "../tensor.ts";

const FILE = "norm.wgsl";
const EW_WG = 256;
const LN_WG = 64;

type Cfg = Record<string, ConstValue>;

async function spec(
  kernel: string,
  read: string[],
  write: string[],
  workgroupSize: number | ((c: Cfg) => number),
): Promise<KernelSpec<Cfg>> {
  return {
    name: `norm.${kernel}`,
    source: await kernelSource(FILE, kernel),
    bindings: [
      ...read.map((name) => ({ name, access: "read" as const })),
      ...write.map((name) => ({ name, access: "read_write" as const })),
    ],
    workgroupSize,
  };
}

const byLanes = (c: Cfg) => Number(c.LANES);

/**
 * Records a dispatch; `LANES` (threads per reduced segment, used by the shared reduction helper that
 * every kernel of norm.wgsl compiles) defaults to 1 for the kernels that do not reduce.
 */
function run(
  k: KernelSpec<Cfg>,
  config: Cfg,
  buffers: GPUBuffer[],
  meta: (number | ReturnType<typeof f32>)[],
  invocations: number,
): void {
  gpu().runtime.dispatch(k, { LANES: 1, ...config }, buffers, meta, invocations);
}
const BN_STATS = await spec("bn_stats", ["x"], ["mean", "invstd", "rmean", "rvar"], byLanes);
const BN_EVAL_STATS = await spec("bn_eval_stats", ["rmean", "rvar"], ["mean", "invstd"], EW_WG);
const BN_APPLY = await spec("bn_apply", ["x", "mean", "invstd", "w", "b"], ["y"], EW_WG);
const BN_BWD_REDUCE = await spec("bn_backward_reduce", ["x", "g", "mean", "invstd"], ["db", "dw"], byLanes);
const BN_BWD_APPLY = await spec(
  "bn_backward_apply",
  ["x", "g", "mean", "invstd", "w", "db", "dw"],
  ["dx"],
  EW_WG,
);
const LN_FWD = await spec("ln_forward", ["x", "w", "b"], ["y", "mean", "invstd"], LN_WG);
const LN_BWD = await spec("ln_backward", ["x", "g", "w", "mean", "invstd"], ["dx"], LN_WG);
const LN_BWD_PARAMS = await spec("ln_backward_params", ["x", "g", "mean", "invstd"], ["dw", "db"], EW_WG);

/** Options of {@link batchNorm2d}. */
export interface BatchNormOptions {
  /** Per-channel scale `[C]` (absent: 1). */
  weight?: Tensor;
  /** Per-channel shift `[C]` (absent: 0). */
  bias?: Tensor;
  /** Running mean `[C]`, updated in place in training mode; required when `centred`. */
  runningMean?: Tensor;
  /** Running variance `[C]`, updated in place in training mode; used in eval mode. */
  runningVar: Tensor;
  /** Batch statistics (and running-stat updates) when true; running statistics when false. */
  training: boolean;
  /** Running-stat update factor, `r = (1 - momentum) * r + momentum * batchStat` (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Subtract the mean (default true); false gives B-cos v2's `BatchNormUncentered2d`. */
  centred?: boolean;
  /**
   * Uncentred BN only: the batch statistic divided by. `"variance"` (default, as B-cos v2's
   * `x.var(dim=(0, 2, 3), unbiased=False)`): the biased variance of x around its batch mean (the mean
   * is not subtracted from the output); `"second_moment"`: the mean of x^2.
   */
  uncentredStatistic?: "variance" | "second_moment";
  /**
   * Whether the running variance is updated with the unbiased batch variance `var * M / (M - 1)`
   * (default: true when centred, as torch; false when uncentred, as B-cos v2, which stores the biased
   * variance). The running mean is updated only when centred.
   */
  runningVarUnbiased?: boolean;
  /** Treat the batch variance as a constant in the backward (B-cos explanation mode); default false. */
  detachVariance?: boolean;
}

function channels(x: Tensor): [number, number, number] {
  if (x.rank < 2) throw new RangeError(`batchNorm2d: input must be [N, C, ...], got [${x.shape}]`);
  const S = x.shape.slice(2).reduce((p, d) => p * d, 1);
  return [x.shape[0], x.shape[1], S];
}

function checkChannelVector(name: string, t: Tensor | undefined, C: number): void {
  if (t && (t.rank !== 1 || t.shape[0] !== C)) {
    throw new RangeError(`batchNorm2d: ${name} must be [${C}], got [${t.shape}]`);
  }
}

/**
 * Batch normalisation over `[N, C, H, W]` (also `[N, C]` for BN1d and `[N, C, L]`), with torch
 * semantics: in training the batch mean and biased variance normalise, and the running stats are
 * updated in place on the GPU (`momentum`, unbiased variance); in eval the running stats normalise.
 *
 * `centred: false` is B-cos v2's uncentred BN: `y = x / sqrt(var + eps) * weight (+ bias)`, no mean
 * subtraction, where `var` is the batch variance around the batch mean in training
 * (`uncentredStatistic`, see {@link BatchNormOptions}) and the running variance in eval.
 *
 * Op kind `batch_norm`; the training backward includes the gradient through the batch statistics
 * (unless `detachVariance`). Dispatches: training 2 forward, eval 1 (2 when recorded); backward 2.
 *
 * @example
 * ```ts ignore
 * const y = batchNorm2d(x, { weight, bias, runningMean, runningVar, training: true });
 * ```
 */
export function batchNorm2d(x: Tensor, opts: BatchNormOptions): Tensor {
  const [N, C, S] = channels(x);
  const M = N * S;
  const centred = opts.centred ?? true;
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  const { weight, bias, runningMean, runningVar, training } = opts;
  const detachVariance = opts.detachVariance ?? false;
  checkChannelVector("weight", weight, C);
  checkChannelVector("bias", bias, C);
  checkChannelVector("runningMean", runningMean, C);
  checkChannelVector("runningVar", runningVar, C);
  if (centred && !runningMean) throw new RangeError("batchNorm2d: a centred BN needs runningMean");
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const recording = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const y = empty(x.shape);
  const flags = { CENTRED: centred, HAS_W: !!weight, HAS_B: !!bias };
  let mean: Tensor | null = null;
  let invstd: Tensor | null = null;
  if (training) {
    const statMean = centred || (opts.uncentredStatistic ?? "variance") === "variance";
    mean = empty([C]);
    invstd = empty([C]);
    const lanes = M >= 2048 ? 256 : 64;
    const dummy = runningMean ? null : empty([1]);
    run(
      BN_STATS,
      {
        LANES: lanes,
        STAT_MEAN: statMean,
        UPDATE_MEAN: centred,
        UPDATE_VAR: true,
        UNBIASED: opts.runningVarUnbiased ?? centred,
      },
      [x.buffer, mean.buffer, invstd.buffer, (runningMean ?? dummy!).buffer, runningVar.buffer],
      [C, C, S, M, f32(eps), f32(momentum)],
      C * lanes,
    );
    dummy?.dispose();
    const bufs = [x.buffer, mean.buffer, invstd.buffer, (weight ?? x).buffer, (bias ?? x).buffer, y.buffer];
    run(BN_APPLY, { ...flags, FROM_RUNNING: false }, bufs, [x.size, C, S, 0, f32(eps)], x.size);
  } else if (recording) {
    mean = empty([C]);
    invstd = empty([C]);
    run(
      BN_EVAL_STATS,
      { CENTRED: centred },
      [(runningMean ?? runningVar).buffer, runningVar.buffer, mean.buffer, invstd.buffer],
      [C, 0, 0, 0, f32(eps)],
      C,
    );
    const bufs = [x.buffer, mean.buffer, invstd.buffer, (weight ?? x).buffer, (bias ?? x).buffer, y.buffer];
    run(BN_APPLY, { ...flags, FROM_RUNNING: false }, bufs, [x.size, C, S, 0, f32(eps)], x.size);
  } else {
    const bufs = [
      x.buffer,
      (runningMean ?? runningVar).buffer,
      runningVar.buffer,
      (weight ?? x).buffer,
      (bias ?? x).buffer,
      y.buffer,
    ];
    run(BN_APPLY, { ...flags, FROM_RUNNING: true }, bufs, [x.size, C, S, 0, f32(eps)], x.size);
    return y;
  }
  const out = record("batch_norm", inputs, y, (ctx) => batchNormBackward(ctx, detachVariance), {
    weight: weight ?? null,
    bias: bias ?? null,
    mean: centred ? mean : null,
    invstd,
    statMean: mean,
    eps,
    training,
    centred,
    detachVariance,
  });
  // Statistics of an op that was not recorded (no gradient wanted) are not needed afterwards.
  if (!out.node) {
    mean?.dispose();
    invstd?.dispose();
  }
  return out;
}

function batchNormBackward(ctx: RuleContext, detachVariance: boolean): (Tensor | null)[] {
  const [x] = ctx.inputs;
  const s = ctx.saved as {
    weight: Tensor | null;
    bias: Tensor | null;
    invstd: Tensor;
    statMean: Tensor;
    training: boolean;
    centred: boolean;
  };
  const g = ctx.gradOutput;
  const [N, C, S] = channels(x);
  const M = N * S;
  const lanes = M >= 2048 ? 256 : 64;
  const dw = empty([C]);
  const db = empty([C]);
  const wantParams = !!(s.weight?.requiresGrad || s.bias?.requiresGrad);
  if (s.training || wantParams) {
    run(
      BN_BWD_REDUCE,
      { LANES: lanes, CENTRED: s.centred },
      [x.buffer, g.buffer, s.statMean.buffer, s.invstd.buffer, db.buffer, dw.buffer],
      [C, C, S, M],
      C * lanes,
    );
  }
  let dx: Tensor | null = null;
  if (x.requiresGrad) {
    dx = empty(x.shape);
    run(
      BN_BWD_APPLY,
      { TRAINING: s.training, CENTRED: s.centred, DETACH: detachVariance, HAS_W: !!s.weight },
      [
        x.buffer,
        g.buffer,
        s.statMean.buffer,
        s.invstd.buffer,
        (s.weight ?? x).buffer,
        db.buffer,
        dw.buffer,
        dx.buffer,
      ],
      [x.size, C, S, M],
      x.size,
    );
  }
  const out: (Tensor | null)[] = [dx];
  if (s.weight) out.push(s.weight.requiresGrad ? dw : null);
  if (s.bias) out.push(s.bias.requiresGrad ? db : null);
  if (!s.weight?.requiresGrad) dw.dispose();
  if (!s.bias?.requiresGrad) db.dispose();
  return out;
}

/**
 * The `batch_norm` backward with the batch variance treated as a constant (the B-cos explanation-mode
 * rule): in training `dx = w * invstd * (g - [centred] mean(g))`, in eval the ordinary rule.
 *
 * @example
 * ```ts ignore
 * const g = withRules({ kinds: { batch_norm: batchNormDetachedVarianceRule } }, () => grad(y, [x]));
 * ```
 */
export function batchNormDetachedVarianceRule(ctx: RuleContext): (Tensor | null)[] {
  return batchNormBackward(ctx, true);
}

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** Treat the standard deviation as a constant in the backward (B-cos ViTc explanation mode). */
  detachVariance?: boolean;
}

/**
 * Layer normalisation over the trailing `normalizedShape` dimensions (torch semantics: biased
 * variance, `y = (x - mean) / sqrt(var + eps) * weight + bias`, weight and bias shaped
 * `normalizedShape`). One dispatch forward, one or two backward. Op kind `layer_norm`.
 *
 * @example
 * ```ts ignore
 * const y = layerNorm(tokens, [768], gamma, beta); // [B, T, 768]
 * ```
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight?: Tensor,
  bias?: Tensor,
  eps = 1e-5,
  opts: LayerNormOptions = {},
): Tensor {
  const k = normalizedShape.length;
  if (k === 0 || k > x.rank || normalizedShape.some((d, i) => d !== x.shape[x.rank - k + i])) {
    throw new RangeError(`layerNorm: [${normalizedShape}] is not a suffix of [${x.shape}]`);
  }
  const D = normalizedShape.reduce((p, d) => p * d, 1);
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t && t.size !== D) throw new RangeError(`layerNorm: ${name} [${t.shape}] != [${normalizedShape}]`);
  }
  const R = D === 0 ? 0 : x.size / D;
  const y = empty(x.shape);
  const mean = empty([R]);
  const invstd = empty([R]);
  const lanes = lanesFor(D);
  run(
    LN_FWD,
    { LANES: lanes, HAS_W: !!weight, HAS_B: !!bias },
    [x.buffer, (weight ?? x).buffer, (bias ?? x).buffer, y.buffer, mean.buffer, invstd.buffer],
    [R, D, 0, 0, f32(eps)],
    Math.ceil(R / (LN_WG / lanes)) * LN_WG,
  );
  const detachVariance = opts.detachVariance ?? false;
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const out = record("layer_norm", inputs, y, (ctx) => layerNormBackward(ctx, detachVariance), {
    weight: weight ?? null,
    bias: bias ?? null,
    mean,
    invstd,
    eps,
    normalizedShape: [...normalizedShape],
    detachVariance,
  });
  if (!out.node) {
    mean.dispose();
    invstd.dispose();
  }
  return out;
}

/**
 * Threads per layer-norm row (mutable, e.g. for tests): at most `maxLanes` on a GPU (a warp-sized
 * segment keeps long rows coalesced), at most `maxLanesFallback` on a CPU fallback adapter (llvmpipe
 * measured 4 lanes best at D = 96 and 384; 64 lanes were 3-5x slower). Powers of two up to 64.
 */
export const LAYER_NORM_TUNING = { maxLanes: 32, maxLanesFallback: 4 };

function lanesFor(D: number): number {
  const cap = gpu().adapter.isFallback ? LAYER_NORM_TUNING.maxLanesFallback : LAYER_NORM_TUNING.maxLanes;
  const want = D >= 256 ? 64 : D >= 64 ? 16 : D >= 16 ? 4 : 1;
  return Math.min(want, cap);
}

function layerNormBackward(ctx: RuleContext, detachVariance: boolean): (Tensor | null)[] {
  const [x] = ctx.inputs;
  const s = ctx.saved as { weight: Tensor | null; bias: Tensor | null; mean: Tensor; invstd: Tensor };
  const g = ctx.gradOutput;
  const R = s.mean.size;
  const D = R === 0 ? 0 : x.size / R;
  let dx: Tensor | null = null;
  if (x.requiresGrad) {
    dx = empty(x.shape);
    const lanes = lanesFor(D);
    run(
      LN_BWD,
      { LANES: lanes, HAS_W: !!s.weight, DETACH: detachVariance },
      [x.buffer, g.buffer, (s.weight ?? x).buffer, s.mean.buffer, s.invstd.buffer, dx.buffer],
      [R, D],
      Math.ceil(R / (LN_WG / lanes)) * LN_WG,
    );
  }
  const out: (Tensor | null)[] = [dx];
  if (s.weight?.requiresGrad || s.bias?.requiresGrad) {
    const dw = empty([D]);
    const db = empty([D]);
    run(
      LN_BWD_PARAMS,
      { LANES: 1 },
      [x.buffer, g.buffer, s.mean.buffer, s.invstd.buffer, dw.buffer, db.buffer],
      [R, D],
      D,
    );
    if (s.weight) out.push(s.weight.requiresGrad ? reshapeLike(dw, s.weight) : (dw.dispose(), null));
    else dw.dispose();
    if (s.bias) out.push(s.bias.requiresGrad ? reshapeLike(db, s.bias) : (db.dispose(), null));
    else db.dispose();
  } else {
    if (s.weight) out.push(null);
    if (s.bias) out.push(null);
  }
  return out;
}

function reshapeLike(t: Tensor, like: Tensor): Tensor {
  if (t.shape.length === like.rank && t.shape.every((d, i) => d === like.shape[i])) return t;
  const v = view(t, like.shape);
  t.dispose();
  return v;
}

/**
 * The `layer_norm` backward with the standard deviation treated as a constant (B-cos ViTc
 * explanation mode): `dx = invstd * (g w - mean(g w))`.
 *
 * @example
 * ```ts ignore
 * const g = withRules({ kinds: { layer_norm: layerNormDetachedVarianceRule } }, () => grad(y, [x]));
 * ```
 */
export function layerNormDetachedVarianceRule(ctx: RuleContext): (Tensor | null)[] {
  return layerNormBackward(ctx, true);
}
