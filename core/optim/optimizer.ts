/**
 * The shared base of the optimisers: parameter groups, per-parameter state tensors (kept, updated in
 * place on the GPU), step counters, `zeroGrad`, and state dicts as host arrays for checkpoints.
 *
 * Subclasses implement one fused in-place update per parameter ({@link Optimizer.update}); `step()`
 * records those dispatches and never reads back. Like PyTorch, a parameter whose `.grad` is `null` is
 * skipped and its own step counter does not advance.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import { empty, fromHost, type Tensor } from "../tensor.ts";

/** A group of parameters sharing hyper-parameter overrides (like a PyTorch param group). */
export interface ParamGroup {
  /** The parameters of the group. */
  params: readonly Tensor[];
  /** Multiplies the optimiser's learning rate for this group (default 1). */
  lrScale?: number;
  /** Weight decay of this group (default: the optimiser's). */
  weightDecay?: number;
}

/** Parameters as a flat list or as groups. */
export type Params = readonly Tensor[] | readonly ParamGroup[];

/** A resolved group: the effective multiplier and weight decay of its parameters. */
export interface ResolvedGroup {
  /** The parameters of the group. */
  params: readonly Tensor[];
  /** Learning-rate multiplier. */
  lrScale: number;
  /** Weight decay. */
  weightDecay: number;
}

/** Per-parameter optimiser state: its own step count and kept state tensors (shaped like it). */
export interface ParamState {
  /** Updates applied to this parameter. */
  step: number;
  /** State tensors by name (PyTorch's names: `momentum_buffer`, `exp_avg`, `exp_avg_sq`). */
  tensors: Record<string, Tensor>;
}

/** The host copy of one parameter's state. */
export interface ParamStateDict {
  /** Updates applied to this parameter. */
  step: number;
  /** State arrays by name. */
  tensors: Record<string, HostTensor>;
}

/** An optimiser's state as host data: enough to continue training exactly where it stopped. */
export interface OptimizerStateDict {
  /** Optimiser type (`SGD`, `Adam`, `AdamW`); loading checks it. */
  type: string;
  /** Learning rate at the time of saving. */
  lr: number;
  /** Calls of `step()` so far. */
  steps: number;
  /** Hyper-parameters, for the record (loading does not change them). */
  hyper: Record<string, number | boolean>;
  /** Per-parameter state in parameter order (flattened over groups); `null` before its first update. */
  state: (ParamStateDict | null)[];
}

function isGroupList(params: Params): params is readonly ParamGroup[] {
  return params.length > 0 && !("shape" in params[0]);
}

/**
 * Resolves a flat list or a group list into groups with defaults filled in, and checks that no
 * parameter appears twice (two views of one buffer count as the same parameter).
 *
 * @example
 * ```ts ignore
 * const groups = resolveGroups([{ params: weights }, { params: biases, weightDecay: 0 }], 5e-4);
 * ```
 */
export function resolveGroups(params: Params, weightDecay: number): ResolvedGroup[] {
  const groups: ResolvedGroup[] = isGroupList(params)
    ? params.map((g) => ({
      params: [...g.params],
      lrScale: g.lrScale ?? 1,
      weightDecay: g.weightDecay ?? weightDecay,
    }))
    : [{ params: [...params], lrScale: 1, weightDecay }];
  const seen = new Set<GPUBuffer>();
  for (const g of groups) {
    checkNonNegative("lrScale", g.lrScale);
    checkNonNegative("weightDecay", g.weightDecay);
    for (const p of g.params) {
      if (seen.has(p.buffer)) {
        throw new Error(`optimizer: parameter ${p} appears more than once (or shares storage)`);
      }
      seen.add(p.buffer);
    }
  }
  return groups;
}

/**
 * Throws a `RangeError` unless `value` is a finite number >= 0.
 *
 * @example
 * ```ts
 * import { checkNonNegative } from "./optimizer.ts";
 * checkNonNegative("lr", 0.1);
 * ```
 */
export function checkNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`optimizer: ${name} must be >= 0, got ${value}`);
  }
}

/** The base of SGD, Adam and AdamW. */
export abstract class Optimizer {
  /** Optimiser type, recorded in state dicts. */
  abstract readonly type: string;
  /** Names of the per-parameter state tensors, in a fixed order. */
  protected abstract readonly stateKeys: readonly string[];
  /** Parameter groups with their overrides. */
  readonly groups: readonly ResolvedGroup[];
  /** All parameters, flattened over groups (the order of state dicts). */
  readonly params: readonly Tensor[];
  /** The group of each parameter, in flattened order. */
  readonly #groupOf: readonly ResolvedGroup[];
  /** Calls of `step()` so far. */
  steps = 0;
  #lr: number;
  #state: (ParamState | null)[];

  /**
   * Resolves the parameter groups; state tensors are allocated on each parameter's first update.
   *
   * @param params parameters (flat or grouped)
   * @param lr learning rate
   * @param weightDecay default weight decay of groups that do not set their own
   */
  constructor(params: Params, lr: number, weightDecay: number) {
    checkNonNegative("lr", lr);
    this.#lr = lr;
    this.groups = resolveGroups(params, weightDecay);
    this.params = this.groups.flatMap((g) => g.params);
    this.#groupOf = this.groups.flatMap((g) => g.params.map(() => g));
    this.#state = this.params.map(() => null);
  }

  /** The learning rate; set it every step from a schedule (no recompilation: it is a uniform). */
  get lr(): number {
    return this.#lr;
  }

  set lr(value: number) {
    checkNonNegative("lr", value);
    this.#lr = value;
  }

  /** Hyper-parameters for the state dict. */
  protected abstract hyper(): Record<string, number | boolean>;

  /**
   * Records the in-place update of one parameter (one fused dispatch). `state.step` was already
   * incremented; on the first update `state.tensors` holds freshly allocated, uninitialised tensors.
   */
  protected abstract update(
    param: Tensor,
    grad: Tensor,
    state: ParamState,
    group: ResolvedGroup,
  ): void;

  /** Whether this optimiser keeps state tensors for the given group (SGD without momentum does not). */
  protected needsState(_group: ResolvedGroup): boolean {
    return this.stateKeys.length > 0;
  }

  /** The state of parameter `index` (flattened order), or `null` before its first update. */
  stateOf(index: number): ParamState | null {
    return this.#state[index] ?? null;
  }

  /**
   * Applies one update to every parameter that has a gradient: records one dispatch per parameter, no
   * readback.
   *
   * @example
   * ```ts ignore
   * backward(loss);
   * opt.lr = schedule(opt.steps);
   * opt.step();
   * opt.zeroGrad();
   * ```
   */
  step(): void {
    for (const p of this.params) {
      if (p.grad && p.grad.size !== p.size) {
        throw new RangeError(
          `${this.type}: gradient of ${p} has shape [${p.grad.shape}], expected [${p.shape}]`,
        );
      }
    }
    this.params.forEach((p, i) => {
      const group = this.#groupOf[i];
      const g = p.grad;
      if (!g) return;
      let state = this.#state[i];
      if (!state) {
        state = { step: 0, tensors: {} };
        if (this.needsState(group)) {
          for (const k of this.stateKeys) state.tensors[k] = empty(p.shape).keep();
        }
        this.#state[i] = state;
      }
      state.step++;
      if (p.size > 0) this.update(p, g, state, group);
    });
    this.steps++;
  }

  /**
   * Disposes and clears the `.grad` of every parameter.
   *
   * @example
   * ```ts ignore
   * opt.zeroGrad();
   * ```
   */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * Reads the state back to the host (all readbacks issued together).
   *
   * @example
   * ```ts ignore
   * const sd = await opt.stateDict();
   * ```
   */
  async stateDict(): Promise<OptimizerStateDict> {
    const state = await Promise.all(this.#state.map(async (s) => {
      if (!s) return null;
      const entries = await Promise.all(
        Object.entries(s.tensors).map(async ([k, t]) => [k, await t.toHost()] as const),
      );
      return { step: s.step, tensors: Object.fromEntries(entries) };
    }));
    return { type: this.type, lr: this.#lr, steps: this.steps, hyper: this.hyper(), state };
  }

  /**
   * Restores state saved by {@link Optimizer.stateDict} for the same parameters in the same order:
   * learning rate, step counters and state tensors (uploaded and kept; the old ones are disposed).
   * Hyper-parameters come from the constructor, not from the dict.
   *
   * @example
   * ```ts ignore
   * opt.loadStateDict(await opt.stateDict());
   * ```
   */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.type !== this.type) throw new Error(`loadStateDict: state of ${sd.type} given to ${this.type}`);
    if (sd.state.length !== this.params.length) {
      throw new RangeError(
        `loadStateDict: ${sd.state.length} parameter states for ${this.params.length} params`,
      );
    }
    sd.state.forEach((s, i) => {
      if (!s) return;
      const p = this.params[i];
      if (!Number.isInteger(s.step) || s.step < 0) throw new RangeError(`loadStateDict: bad step ${s.step}`);
      const keys = this.needsState(this.#groupOf[i]) ? this.stateKeys : [];
      const given = Object.keys(s.tensors);
      if (given.length !== keys.length || keys.some((k) => !given.includes(k))) {
        throw new Error(`loadStateDict: param ${i} of ${this.type} needs state [${keys}], got [${given}]`);
      }
      for (const [k, h] of Object.entries(s.tensors)) {
        if (h.data.length !== p.size) {
          throw new RangeError(
            `loadStateDict: state '${k}' of param ${i} has ${h.data.length} values, ${p} has ${p.size}`,
          );
        }
      }
    });
    this.#disposeState();
    this.#state = sd.state.map((s, i) => {
      if (!s) return null;
      const shape = [...this.params[i].shape];
      const tensors: Record<string, Tensor> = {};
      for (const [k, h] of Object.entries(s.tensors)) tensors[k] = fromHost({ shape, data: h.data }).keep();
      return { step: s.step, tensors };
    });
    this.lr = sd.lr;
    this.steps = sd.steps;
  }

  /**
   * Frees the state tensors (parameters and their gradients are left alone).
   *
   * @example
   * ```ts ignore
   * opt.dispose();
   * ```
   */
  dispose(): void {
    this.#disposeState();
    this.#state = this.params.map(() => null);
  }

  #disposeState(): void {
    for (const s of this.#state) for (const t of Object.values(s?.tensors ?? {})) t.dispose();
  }
}
