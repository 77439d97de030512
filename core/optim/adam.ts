/**
 * Adam and AdamW with PyTorch's semantics (`torch.optim.Adam`, `torch.optim.AdamW`): bias-corrected
 * moments, Adam's L2 weight decay added to the gradient, AdamW's decoupled decay `p -= lr * wd * p`.
 * One fused in-place dispatch per parameter per step reads `p, g, m, v` and writes `p, m, v`.
 *
 * @module
 */
import { f32, type KernelSpec } from "../gpu/kernel.ts";
import { gpu } from "../gpu/device.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import type { Tensor } from "../tensor.ts";
import {
  checkNonNegative,
  Optimizer,
  type Params,
  type ParamState,
  type ResolvedGroup,
} from "./optimizer.ts";

const ADAM: KernelSpec = {
  name: "optim.adam",
  source: await kernelSource("optim.wgsl", "adam"),
  bindings: [
    { name: "p", access: "read_write" },
    { name: "g", access: "read" },
    { name: "exp_avg", access: "read_write" },
    { name: "exp_avg_sq", access: "read_write" },
  ],
  workgroupSize: 256,
};

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamOptions {
  /** Parameters, flat or grouped. */
  params: Params;
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Weight decay (default 0 for Adam, 0.01 for AdamW). */
  weightDecay?: number;
}

/**
 * Adam, per parameter `p` with gradient `g` at its step `t` (from 1):
 * `g += wd * p`; `m = b1 m + (1 - b1) g`; `v = b2 v + (1 - b2) g^2`;
 * `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`. State tensors: `exp_avg` (m) and
 * `exp_avg_sq` (v). The bias corrections are computed on the host in float64 and passed as uniforms.
 *
 * @example
 * ```ts ignore
 * const opt = new Adam({ params: probe.parameters(), lr: 1e-3 });
 * backward(loss);
 * opt.step();
 * opt.zeroGrad();
 * ```
 */
export class Adam extends Optimizer {
  /** `Adam`. */
  readonly type: string = "Adam";
  /** First-moment decay. */
  readonly beta1: number;
  /** Second-moment decay. */
  readonly beta2: number;
  /** Denominator epsilon. */
  readonly eps: number;
  /** Default weight decay. */
  readonly weightDecay: number;
  /** True for AdamW's decoupled weight decay. */
  protected readonly decoupled: boolean = false;
  /** The state tensors: PyTorch's `exp_avg` and `exp_avg_sq`. */
  protected readonly stateKeys: readonly string[] = ["exp_avg", "exp_avg_sq"];

  /**
   * Checks the hyper-parameters and fills in the defaults.
   *
   * @param opts parameters and hyper-parameters
   * @param defaultWeightDecay weight decay when `opts` sets none (0 for Adam, 0.01 for AdamW)
   */
  constructor(opts: AdamOptions, defaultWeightDecay = 0) {
    const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = defaultWeightDecay } = opts;
    super(opts.params, lr, weightDecay);
    for (const b of betas) {
      if (!(b >= 0 && b < 1)) {
        throw new RangeError(`${new.target.name}: betas must lie in [0, 1), got ${betas}`);
      }
    }
    checkNonNegative("eps", eps);
    [this.beta1, this.beta2] = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** Betas, eps and weight decay. */
  protected hyper(): Record<string, number | boolean> {
    return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay };
  }

  /** One fused dispatch of the `adam` kernel with the bias corrections of this parameter's step. */
  protected update(p: Tensor, g: Tensor, state: ParamState, group: ResolvedGroup): void {
    const lr = this.lr * group.lrScale;
    const t = state.step;
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    const wd = group.weightDecay;
    const meta = [
      p.size,
      f32(lr / bc1),
      f32(Math.sqrt(bc2)),
      f32(this.eps),
      f32(this.beta1),
      f32(1 - this.beta1),
      f32(this.beta2),
      f32(1 - this.beta2),
      f32(this.decoupled ? 0 : wd),
      f32(this.decoupled ? 1 - lr * wd : 1),
      t === 1 ? 1 : 0,
    ];
    const { exp_avg, exp_avg_sq } = state.tensors;
    gpu().runtime.dispatch(ADAM, {}, [p.buffer, g.buffer, exp_avg.buffer, exp_avg_sq.buffer], meta, p.size);
  }
}

/**
 * AdamW: Adam with decoupled weight decay, `p *= 1 - lr * wd` before the Adam update (which then sees
 * no L2 term). Default weight decay 0.01, as in PyTorch.
 *
 * @example
 * ```ts ignore
 * const opt = new AdamW({ params: vit.parameters(), lr: 5e-4, weightDecay: 0.05 });
 * opt.lr = schedule(opt.steps);
 * opt.step();
 * ```
 */
export class AdamW extends Adam {
  /** `AdamW`. */
  override readonly type: string = "AdamW";
  /** Decoupled weight decay. */
  protected override readonly decoupled: boolean = true;

  /**
   * AdamW with PyTorch's default weight decay of 0.01.
   *
   * @param opts parameters and hyper-parameters
   */
  constructor(opts: AdamOptions) {
    super(opts, 0.01);
  }
}
