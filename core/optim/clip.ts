/**
 * Global gradient-norm clipping on the GPU without a readback (PyTorch's `clip_grad_norm_`).
 *
 * Each gradient gets one dispatch that writes per-workgroup partial sums of squares (or maxima of |g|)
 * into a shared partials buffer; one single-workgroup dispatch combines them into the norm and the clip
 * coefficient `min(1, maxNorm / (norm + 1e-6))`; one dispatch per gradient scales it by that
 * coefficient, read from the buffer. The partition is fixed by the sizes, so results are deterministic.
 *
 * @module
 */
import { f32, type KernelSpec } from "../gpu/kernel.ts";
import { gpu } from "../gpu/device.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, Tensor } from "../tensor.ts";

const FILE = "optim.wgsl";
const WG = 256;
/** Elements per thread aimed at by the partial-norm pass before more workgroups are added. */
const PER_THREAD = 8;
/** Most workgroups (partials) per gradient. */
const MAX_GROUPS = 1024;

const PARTIALS: KernelSpec = {
  name: "optim.norm_partials",
  source: await kernelSource(FILE, "norm_partials"),
  bindings: [{ name: "g", access: "read" }, { name: "partials", access: "read_write" }],
  workgroupSize: WG,
};
const FINISH: KernelSpec = {
  name: "optim.norm_finish",
  source: await kernelSource(FILE, "norm_finish"),
  bindings: [{ name: "partials", access: "read" }, { name: "stats", access: "read_write" }],
  workgroupSize: WG,
};
const SCALE: KernelSpec = {
  name: "optim.scale_by_stat",
  source: await kernelSource(FILE, "scale_by_stat"),
  bindings: [{ name: "stats", access: "read" }, { name: "g", access: "read_write" }],
  workgroupSize: WG,
};

/** Options of {@link clipGradNorm} and {@link gradNorm}. */
export interface NormOptions {
  /** `2` for the L2 norm (default) or `"inf"` for the largest absolute value. */
  normType?: 2 | "inf";
}

/**
 * Records the norm of all tensors into a new scalar tensor whose buffer holds `[norm, coefficient]`
 * (the coefficient at word 1 is what the scaling kernel reads).
 */
function normStats(tensors: readonly Tensor[], maxNorm: number, inf: boolean): Tensor {
  const rt = gpu().runtime;
  const live = tensors.filter((t) => t.size > 0);
  const groups = live.map((t) => Math.min(MAX_GROUPS, Math.ceil(t.size / (WG * PER_THREAD))));
  const count = groups.reduce((a, b) => a + b, 0);
  const partials = empty([count]);
  let offset = 0;
  live.forEach((t, i) => {
    rt.dispatch(
      PARTIALS,
      {},
      [t.buffer, partials.buffer],
      [t.size, offset, groups[i], inf ? 1 : 0],
      groups[i] * WG,
    );
    offset += groups[i];
  });
  const stats = new Tensor(rt.pool.acquire(8), []);
  rt.dispatch(FINISH, {}, [partials.buffer, stats.buffer], [count, f32(maxNorm), inf ? 1 : 0], WG);
  partials.dispose();
  return stats;
}

function gradsOf(params: readonly Tensor[]): Tensor[] {
  return params.flatMap((p) => (p.grad ? [p.grad] : []));
}

/**
 * Scales the gradients of `params` in place so that their global norm is at most `maxNorm`: every
 * gradient is multiplied by `min(1, maxNorm / (norm + 1e-6))`, computed and applied on the GPU.
 * Parameters without a gradient are ignored; a gradient tensor shared by several parameters counts once
 * per parameter in the norm and is scaled once. Returns the norm before clipping as a new scalar tensor
 * (owned by the caller or the enclosing scope): read it every N steps, not every step.
 *
 * @example
 * ```ts ignore
 * backward(loss);
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 * if (step % 100 === 0) console.log("grad norm", (await norm.read())[0]);
 * norm.dispose();
 * ```
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number, opts: NormOptions = {}): Tensor {
  if (!(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  const grads = gradsOf(params);
  const stats = normStats(grads, maxNorm, opts.normType === "inf");
  const rt = gpu().runtime;
  // The tape may hand one gradient tensor to several leaves (y = a + b): scale each buffer once.
  const scaled = new Set<GPUBuffer>();
  for (const g of grads) {
    if (g.size === 0 || scaled.has(g.buffer)) continue;
    scaled.add(g.buffer);
    rt.dispatch(SCALE, {}, [stats.buffer, g.buffer], [g.size], g.size);
  }
  return stats;
}

/**
 * The global norm of the gradients of `params`, as a new scalar tensor, without changing them.
 *
 * @example
 * ```ts ignore
 * const n = gradNorm(model.parameters());
 * ```
 */
export function gradNorm(params: readonly Tensor[], opts: NormOptions = {}): Tensor {
  return normStats(gradsOf(params), Infinity, opts.normType === "inf");
}
