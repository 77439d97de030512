/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay, with
 * PyTorch's semantics (`torch.optim.SGD`): one fused in-place dispatch per parameter per step.
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

const FILE = "optim.wgsl";
const WG = 256;

const SGD_PLAIN: KernelSpec = {
  name: "optim.sgd",
  source: await kernelSource(FILE, "sgd"),
  bindings: [{ name: "p", access: "read_write" }, { name: "g", access: "read" }],
  workgroupSize: WG,
};
const SGD_MOMENTUM: KernelSpec = {
  name: "optim.sgd_momentum",
  source: await kernelSource(FILE, "sgd_momentum"),
  bindings: [
    { name: "p", access: "read_write" },
    { name: "g", access: "read" },
    { name: "buf", access: "read_write" },
  ],
  workgroupSize: WG,
};

/** Options of {@link SGD}. */
export interface SgdOptions {
  /** Parameters, flat or grouped. */
  params: Params;
  /** Learning rate. */
  lr: number;
  /** Momentum factor (default 0: no momentum buffer). */
  momentum?: number;
  /** Nesterov momentum (needs `momentum > 0` and `dampening = 0`). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Dampening of the momentum (default 0). */
  dampening?: number;
}

/**
 * SGD with PyTorch's update rule, per parameter `p` with gradient `g`:
 * `d = g + wd * p`; with momentum, `b = d` on the first step and `b = momentum * b + (1 - dampening) * d`
 * after, and `d = nesterov ? d + momentum * b : b`; then `p -= lr * d`. The momentum buffer is the
 * state tensor `momentum_buffer`.
 *
 * @example
 * ```ts ignore
 * const opt = new SGD({ params: model.parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
 * backward(loss);
 * opt.step();
 * opt.zeroGrad();
 * ```
 */
export class SGD extends Optimizer {
  /** `SGD`. */
  readonly type: string = "SGD";
  /** Momentum factor. */
  readonly momentum: number;
  /** Dampening of the momentum. */
  readonly dampening: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;
  /** Default weight decay. */
  readonly weightDecay: number;
  /** The state tensor: PyTorch's `momentum_buffer`. */
  protected readonly stateKeys: readonly string[] = ["momentum_buffer"];

  /**
   * Checks the hyper-parameters (Nesterov needs momentum and no dampening).
   *
   * @param opts parameters and hyper-parameters
   */
  constructor(opts: SgdOptions) {
    const { momentum = 0, nesterov = false, weightDecay = 0, dampening = 0 } = opts;
    super(opts.params, opts.lr, weightDecay);
    checkNonNegative("momentum", momentum);
    checkNonNegative("dampening", dampening);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new RangeError("SGD: Nesterov momentum requires momentum > 0 and zero dampening");
    }
    this.momentum = momentum;
    this.dampening = dampening;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
  }

  /** A momentum buffer exists only with momentum. */
  protected override needsState(_group: ResolvedGroup): boolean {
    return this.momentum !== 0;
  }

  /** Momentum, dampening, Nesterov flag and weight decay. */
  protected hyper(): Record<string, number | boolean> {
    return {
      momentum: this.momentum,
      dampening: this.dampening,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
    };
  }

  /** One fused dispatch: `sgd` without momentum, `sgd_momentum` with it. */
  protected update(p: Tensor, g: Tensor, state: ParamState, group: ResolvedGroup): void {
    const rt = gpu().runtime;
    const lr = this.lr * group.lrScale;
    if (this.momentum === 0) {
      rt.dispatch(SGD_PLAIN, {}, [p.buffer, g.buffer], [p.size, f32(lr), f32(group.weightDecay)], p.size);
      return;
    }
    const meta = [
      p.size,
      f32(lr),
      f32(group.weightDecay),
      f32(this.momentum),
      f32(1 - this.dampening),
      state.step === 1 ? 1 : 0,
      this.nesterov ? 1 : 0,
    ];
    rt.dispatch(SGD_MOMENTUM, {}, [p.buffer, g.buffer, state.tensors.momentum_buffer.buffer], meta, p.size);
  }
}
