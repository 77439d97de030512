/**
 * Fused classification losses: softmax cross-entropy and binary cross-entropy with logits, each one
 * dispatch forward and one backward. Reduced losses are scalars of shape `[]` (one element), reduced
 * in a single workgroup in a fixed order (deterministic).
 *
 * Op kinds: `cross_entropy` (saves `{ reduction, soft, stats }`, where `stats` is `[N, 2]` holding each
 * row's log-sum-exp and target sum) and `bce_with_logits` (saves `{ reduction, scale }`).
 *
 * @module
 */
import { record } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import { f32, type KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";
import { sameShape } from "./broadcast.ts";
import { oneHot } from "./gather.ts";

const FILE = "loss.wgsl";
const RED_WG = 256;
const WG = 256;

type Cfg = { SOFT: boolean; RED: number };
type BceCfg = { RED: number };

function bind(read: string[], write: string[]) {
  return [
    ...read.map((name) => ({ name, access: "read" as const })),
    ...write.map((name) => ({ name, access: "read_write" as const })),
  ];
}

const CE_FWD: KernelSpec<Cfg> = {
  name: "loss.ce_forward",
  source: await kernelSource(FILE, "ce_forward"),
  bindings: bind(["z", "t"], ["stats", "out"]),
  workgroupSize: RED_WG,
};
const CE_BWD: KernelSpec<Cfg> = {
  name: "loss.ce_backward",
  source: await kernelSource(FILE, "ce_backward"),
  bindings: bind(["z", "t", "stats", "g"], ["dz"]),
  workgroupSize: WG,
};
const CE_BWD_T: KernelSpec<{ RED: number }> = {
  name: "loss.ce_backward_target",
  source: await kernelSource(FILE, "ce_backward_target"),
  bindings: bind(["z", "stats", "g"], ["dt"]),
  workgroupSize: WG,
};
const BCE_FWD: KernelSpec<BceCfg> = {
  name: "loss.bce_forward",
  source: await kernelSource(FILE, "bce_forward"),
  bindings: bind(["z", "t"], ["out"]),
  workgroupSize: RED_WG,
};
const BCE_BWD: KernelSpec<BceCfg> = {
  name: "loss.bce_backward",
  source: await kernelSource(FILE, "bce_backward"),
  bindings: bind(["z", "t", "g"], ["dz", "dt"]),
  workgroupSize: WG,
};

/** Reduction of {@link crossEntropy}: batch mean (torch's default), batch sum, or per-sample `[N]`. */
export type CrossEntropyReduction = "mean" | "sum" | "none";

/**
 * Softmax cross-entropy of `logits` [N, C] against either class indices `target` [N] (float values
 * holding integers; an index outside `[0, C)` makes the loss NaN) or probability targets [N, C]
 * (`-sum_c t_nc log softmax(z)_nc`, as torch's `cross_entropy` with soft targets). Reduced over the
 * batch by `reduction` (default `"mean"`, like torch); the reduced loss has shape `[]`, `"none"` gives
 * `[N]`.
 *
 * Backward: logits get `(softmax(z) * sum_c t - t) * g`; soft targets get `-log_softmax(z) * g`.
 * Op kind `cross_entropy`, saves `{ reduction, soft, stats }`.
 *
 * @example
 * ```ts ignore
 * const loss = crossEntropy(logits, labels); // labels [N] -> loss []
 * ```
 */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  reduction: CrossEntropyReduction = "mean",
): Tensor {
  if (logits.rank !== 2) throw new RangeError(`crossEntropy: logits must be [N, C], got [${logits.shape}]`);
  const [N, C] = logits.shape;
  const soft = target.rank === 2;
  if (soft ? !sameShape(target.shape, logits.shape) : target.rank !== 1 || target.shape[0] !== N) {
    throw new RangeError(
      `crossEntropy: target [${target.shape}] must be class indices [${N}] or probabilities [${N}, ${C}]`,
    );
  }
  const RED = reduction === "none" ? 1 : 0;
  const scale = reduction === "mean" ? 1 / N : 1;
  const stats = empty([N, 2]);
  const out = empty(reduction === "none" ? [N] : []);
  const meta = [N, C, f32(scale)];
  const rt = gpu().runtime;
  rt.dispatch(
    CE_FWD,
    { SOFT: soft, RED },
    [logits.buffer, target.buffer, stats.buffer, out.buffer],
    meta,
    RED_WG,
  );
  const y = record(
    "cross_entropy",
    [logits, target],
    out,
    ({ gradOutput: g }) => {
      let dz: Tensor | null = null;
      let dt: Tensor | null = null;
      if (logits.requiresGrad) {
        dz = empty(logits.shape);
        const bufs = [logits.buffer, target.buffer, stats.buffer, g.buffer, dz.buffer];
        rt.dispatch(CE_BWD, { SOFT: soft, RED }, bufs, meta, N * C);
      }
      if (soft && target.requiresGrad) {
        dt = empty(target.shape);
        rt.dispatch(CE_BWD_T, { RED }, [logits.buffer, stats.buffer, g.buffer, dt.buffer], meta, N * C);
      }
      return [dz, dt];
    },
    { reduction, soft, stats },
  );
  if (!y.node) stats.dispose(); // not recorded: the row statistics are not needed
  return y;
}

/**
 * Reduction of {@link bceWithLogits}: `"mean"` over all elements (torch's default), `"sum"`,
 * `"sum_over_classes_mean_over_batch"` (the paper's BCE: sum divided by `logits.shape[0]`), or
 * `"none"` (elementwise, shape of `logits`).
 */
export type BceReduction = "mean" | "sum_over_classes_mean_over_batch" | "sum" | "none";

/** Options of {@link bceWithLogits}. */
export interface BceOptions {
  /** Default `"mean"` (torch's default); the paper's probes use `"sum_over_classes_mean_over_batch"`. */
  reduction?: BceReduction;
}

/**
 * Binary cross-entropy with logits, `max(z, 0) - z t + log(1 + exp(-|z|))` per element (stable for
 * any `z`), reduced as `reduction` says; targets have the shape of the logits. A reduced loss has shape
 * `[]`. Backward: logits get `(sigmoid(z) - t) * g`, targets `-z * g` (both times the reduction's
 * scale). Op kind `bce_with_logits`, saves `{ reduction, scale }`.
 *
 * @example
 * ```ts ignore
 * const loss = bceWithLogits(logits, bceTargets(labels, 10), { reduction: "sum_over_classes_mean_over_batch" });
 * ```
 */
export function bceWithLogits(logits: Tensor, targets: Tensor, options: BceOptions = {}): Tensor {
  const reduction = options.reduction ?? "mean";
  if (!sameShape(logits.shape, targets.shape)) {
    throw new RangeError(`bceWithLogits: targets [${targets.shape}] != logits [${logits.shape}]`);
  }
  const n = logits.size;
  const RED = reduction === "none" ? 1 : 0;
  const scale = reduction === "mean"
    ? 1 / n
    : reduction === "sum_over_classes_mean_over_batch"
    ? 1 / (logits.shape[0] ?? 1)
    : 1;
  const out = empty(reduction === "none" ? logits.shape : []);
  const meta = [n, f32(scale)];
  const rt = gpu().runtime;
  rt.dispatch(BCE_FWD, { RED }, [logits.buffer, targets.buffer, out.buffer], meta, RED_WG);
  return record(
    "bce_with_logits",
    [logits, targets],
    out,
    ({ gradOutput: g }) => {
      const dz = empty(logits.shape);
      const dt = empty(logits.shape);
      rt.dispatch(BCE_BWD, { RED }, [logits.buffer, targets.buffer, g.buffer, dz.buffer, dt.buffer], meta, n);
      if (!targets.requiresGrad) dt.dispose();
      if (!logits.requiresGrad) dz.dispose();
      return [logits.requiresGrad ? dz : null, targets.requiresGrad ? dt : null];
    },
    { reduction, scale },
  );
}

/**
 * BCE targets with uniform off-labels: 1 at each sample's class, `offValue` (default `1/C`) elsewhere,
 * i.e. the one-hot target clamped below at `offValue`. `labels` [N] (float integers) -> [N, C].
 *
 * @example
 * ```ts ignore
 * const t = bceTargets(labels, 1000); // off-label value 1e-3
 * ```
 */
export function bceTargets(labels: Tensor, C: number, offValue = 1 / C): Tensor {
  return oneHot(labels, C, 1, offValue);
}
