/**
 * Exponential moving averages of parameters, updated in place on the GPU: the teachers of BYOL and DINO,
 * MoCo's momentum encoder, and EMA weights for evaluation. One fused dispatch per tensor per update
 * computes `shadow = decay * shadow + (1 - decay) * param`; nothing is read back.
 *
 * @module
 */
import { f32, type KernelSpec } from "../gpu/kernel.ts";
import { gpu } from "../gpu/device.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import type { HostTensor } from "../host_tensor.ts";
import { empty, fromHost, type Tensor } from "../tensor.ts";

const EMA: KernelSpec = {
  name: "optim.ema",
  source: await kernelSource("optim.wgsl", "ema"),
  bindings: [{ name: "shadow", access: "read_write" }, { name: "src", access: "read" }],
  workgroupSize: 256,
};

function checkPairs(what: string, a: readonly Tensor[], b: readonly Tensor[]): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} tensors vs ${b.length}`);
  a.forEach((t, i) => {
    if (t.size !== b[i].size) throw new RangeError(`${what}: ${t} and ${b[i]} differ in size`);
  });
}

function checkDecay(decay: number): void {
  if (!(decay >= 0 && decay <= 1)) throw new RangeError(`ema: decay must lie in [0, 1], got ${decay}`);
}

/**
 * Records `shadow[i] = decay * shadow[i] + (1 - decay) * params[i]` for every pair, in place.
 *
 * @example
 * ```ts ignore
 * emaUpdate(teacher.parameters(), student.parameters(), 0.996);
 * ```
 */
export function emaUpdate(shadow: readonly Tensor[], params: readonly Tensor[], decay: number): void {
  checkPairs("emaUpdate", shadow, params);
  checkDecay(decay);
  const rt = gpu().runtime;
  shadow.forEach((s, i) => {
    if (s.size === 0 || s.buffer === params[i].buffer) return;
    rt.dispatch(EMA, {}, [s.buffer, params[i].buffer], [s.size, f32(decay), f32(1 - decay)], s.size);
  });
}

/**
 * Copies every `src[i]` into `dst[i]` on the GPU (same sizes), e.g. to initialise a teacher from the
 * student or to load EMA weights into a model for evaluation.
 *
 * @example
 * ```ts ignore
 * copyInto(student.parameters(), teacher.parameters());
 * ```
 */
export function copyInto(src: readonly Tensor[], dst: readonly Tensor[]): void {
  checkPairs("copyInto", src, dst);
  const rt = gpu().runtime;
  src.forEach((s, i) => {
    if (s.size === 0 || s.buffer === dst[i].buffer) return;
    rt.copy(s.buffer, 0, dst[i].buffer, 0, s.size * 4);
  });
}

/** Options of {@link Ema}. */
export interface EmaOptions {
  /** The tensors to average (the student, the online network, the trained model). */
  params: readonly Tensor[];
  /** Where the average lives (the teacher's parameters); kept copies of `params` when omitted. */
  shadow?: readonly Tensor[];
  /** Default decay of {@link Ema.update} (e.g. 0.999 for MoCo, 0.996 for BYOL and DINO). */
  decay: number;
  /** Copy `params` into a given `shadow` first (default true; false keeps its values, e.g. on resume). */
  initialise?: boolean;
}

/** The host copy of an {@link Ema}. */
export interface EmaStateDict {
  /** Default decay. */
  decay: number;
  /** Updates applied so far. */
  updates: number;
  /** The shadow values, in order. */
  shadow: HostTensor[];
}

/**
 * An exponential moving average of a list of tensors: `shadow = d * shadow + (1 - d) * param` per
 * update, in place, with `d` fixed or passed per call (BYOL and DINO schedule it with a cosine).
 *
 * @example
 * ```ts ignore
 * const teacherEma = new Ema({ params: student.parameters(), shadow: teacher.parameters(), decay: 0.996 });
 * const tau = cosineAnnealing({ base: 0.996, minLr: 1, totalSteps });
 * // after each optimiser step:
 * teacherEma.update(tau(step));
 * ```
 */
export class Ema {
  /** The averaged tensors. */
  readonly params: readonly Tensor[];
  /** The averages. */
  readonly shadow: readonly Tensor[];
  /** Default decay. */
  decay: number;
  /** Updates applied so far. */
  updates = 0;
  #owned: boolean;

  /**
   * Allocates (or adopts) the shadow and initialises it from `params`.
   *
   * @param opts tensors, shadow and decay
   */
  constructor(opts: EmaOptions) {
    checkDecay(opts.decay);
    this.params = [...opts.params];
    this.decay = opts.decay;
    this.#owned = !opts.shadow;
    if (opts.shadow) {
      checkPairs("Ema", opts.shadow, opts.params);
      this.shadow = [...opts.shadow];
      if (opts.initialise ?? true) this.reset();
    } else {
      this.shadow = this.params.map((p) => empty(p.shape).keep());
      this.reset();
    }
  }

  /**
   * Applies one update with `decay` (default: {@link Ema.decay}).
   *
   * @example
   * ```ts ignore
   * ema.update();
   * ```
   */
  update(decay: number = this.decay): void {
    emaUpdate(this.shadow, this.params, decay);
    this.updates++;
  }

  /**
   * Sets the shadow to the current parameters.
   *
   * @example
   * ```ts ignore
   * ema.reset();
   * ```
   */
  reset(): void {
    copyInto(this.params, this.shadow);
  }

  /**
   * Copies the shadow into `targets` (default: the averaged parameters themselves), e.g. to evaluate a
   * model with its EMA weights.
   *
   * @example
   * ```ts ignore
   * ema.copyInto(evalModel.parameters());
   * ```
   */
  copyInto(targets: readonly Tensor[] = this.params): void {
    copyInto(this.shadow, targets);
  }

  /**
   * Reads the shadow back to the host (all readbacks issued together).
   *
   * @example
   * ```ts ignore
   * const sd = await ema.stateDict();
   * ```
   */
  async stateDict(): Promise<EmaStateDict> {
    const shadow = await Promise.all(this.shadow.map((t) => t.toHost()));
    return { decay: this.decay, updates: this.updates, shadow };
  }

  /**
   * Restores a state saved by {@link Ema.stateDict} into the shadow tensors.
   *
   * @example
   * ```ts ignore
   * ema.loadStateDict(sd);
   * ```
   */
  loadStateDict(sd: EmaStateDict): void {
    checkDecay(sd.decay);
    if (sd.shadow.length !== this.shadow.length) {
      throw new RangeError(`Ema.loadStateDict: ${sd.shadow.length} tensors for ${this.shadow.length}`);
    }
    sd.shadow.forEach((h, i) => {
      if (h.data.length !== this.shadow[i].size) {
        throw new RangeError(
          `Ema.loadStateDict: tensor ${i} has ${h.data.length} values, expected ${this.shadow[i].size}`,
        );
      }
    });
    const uploaded = sd.shadow.map((h, i) => fromHost({ shape: [...this.shadow[i].shape], data: h.data }));
    copyInto(uploaded, this.shadow);
    for (const t of uploaded) t.dispose();
    this.decay = sd.decay;
    this.updates = sd.updates;
  }

  /**
   * Frees the shadow tensors if this object allocated them.
   *
   * @example
   * ```ts ignore
   * ema.dispose();
   * ```
   */
  dispose(): void {
    if (this.#owned) { for (const t of this.shadow) t.dispose(); }
  }
}
