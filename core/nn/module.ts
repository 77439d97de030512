/**
 * `Module`: named parameters and buffers with PyTorch state-dict keys, named sub-modules addressable
 * by dotted path (`layer4.2.conv3`), train/eval modes. Calling a child through {@link Module.call}
 * records its dotted name on every op of its forward, which is how explainers select layers.
 *
 * @module
 */
import { currentLayer, inLayer } from "../autograd.ts";
import type { HostTensor } from "../host_tensor.ts";
import { gpu } from "../gpu/device.ts";
import { keep, type Tensor } from "../tensor.ts";

/** A tensor-to-tensor network piece with named state. */
export abstract class Module {
  /** True in training mode (batch statistics, dropout), false in evaluation mode. */
  training = true;
  #params = new Map<string, Tensor>();
  #buffers = new Map<string, Tensor>();
  #children = new Map<string, Module>();

  /** The computation; call children with `child.call(x, "name")` so that their ops carry their names. */
  abstract forward(x: Tensor): Tensor;

  /**
   * Runs `forward` with this module's local name appended to the layer path.
   *
   * @example
   * ```ts ignore
   * const y = this.conv1.call(x, "conv1");
   * ```
   */
  call(x: Tensor, name = ""): Tensor {
    return inLayer(name, () => {
      const y = this.forward(x);
      if (captureStack.length) {
        const path = currentLayer();
        for (const c of captureStack) if (c.names.has(path)) c.outputs.set(path, y);
      }
      return y;
    });
  }

  /**
   * Registers a trainable parameter (kept across scopes, `requiresGrad` set).
   *
   * @example
   * ```ts ignore
   * this.weight = this.param("weight", randNormal([out, inp], seed, 0, 0.01));
   * ```
   */
  protected param(name: string, t: Tensor): Tensor {
    keep(t);
    t.requiresGrad = true;
    t.name = name;
    this.#params.set(name, t);
    return t;
  }

  /**
   * Registers a non-trainable state tensor (running statistics), saved in the state dict.
   *
   * @example
   * ```ts ignore
   * this.runningVar = this.buffer("running_var", ones([c]));
   * ```
   */
  protected buffer(name: string, t: Tensor): Tensor {
    keep(t);
    t.name = name;
    this.#buffers.set(name, t);
    return t;
  }

  /**
   * Registers a child module under `name` and returns it.
   *
   * @example
   * ```ts ignore
   * this.conv1 = this.child("conv1", new Conv2d(3, 64, 7, { stride: 2, padding: 3 }));
   * ```
   */
  protected child<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  /** Direct children by local name. */
  children(): [string, Module][] {
    return [...this.#children];
  }

  /** Every module below and including this one, with dotted names (`""` for this one). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this.#children) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /**
   * The sub-module at a dotted path.
   *
   * @example
   * ```ts ignore
   * const target = model.get("layer4.2.conv3");
   * ```
   */
  get(path: string): Module {
    return path.split(".").filter(Boolean).reduce<Module>((m, part) => {
      const next = m.#children.get(part);
      if (!next) throw new RangeError(`no layer '${path}' (no '${part}' under ${m.constructor.name})`);
      return next;
    }, this);
  }

  /** Trainable parameters with their state-dict keys. */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#params) out.push([prefix ? `${prefix}.${n}` : n, t]);
    for (const [n, m] of this.#children) out.push(...m.namedParameters(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Trainable parameters. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Buffers (running statistics) with their state-dict keys. */
  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.#buffers) out.push([prefix ? `${prefix}.${n}` : n, t]);
    for (const [n, m] of this.#children) out.push(...m.namedBuffers(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Parameters and buffers by state-dict key (torchvision / B-cos v2 names). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /**
   * Loads host tensors by key into the parameters and buffers (in place). Shapes must match exactly;
   * with `strict` (default) missing and unexpected keys are errors. Keys such as
   * `num_batches_tracked` that the module does not hold are ignored unless listed as unexpected.
   *
   * @example
   * ```ts ignore
   * model.loadStateDict(await readWeights("resnet50.pth"), { strict: true });
   * ```
   */
  loadStateDict(
    weights: Map<string, HostTensor>,
    opts: { strict?: boolean; source?: string } = {},
  ): { missing: string[]; unexpected: string[] } {
    const own = this.stateDict();
    const src = opts.source ?? "state dict";
    const missing = [...own.keys()].filter((k) => !weights.has(k));
    const unexpected = [...weights.keys()].filter((k) => !own.has(k) && !k.endsWith("num_batches_tracked"));
    for (const [k, t] of own) {
      const w = weights.get(k);
      if (!w) continue;
      if (w.shape.length !== t.shape.length || w.shape.some((d, i) => d !== t.shape[i])) {
        throw new RangeError(`${src}: key '${k}' has shape [${w.shape}], the model expects [${t.shape}]`);
      }
    }
    if (opts.strict ?? true) {
      if (missing.length) throw new RangeError(`${src}: missing keys: ${missing.slice(0, 10).join(", ")}`);
      if (unexpected.length) {
        throw new RangeError(`${src}: unexpected keys: ${unexpected.slice(0, 10).join(", ")}`);
      }
    }
    for (const [k, t] of own) {
      const w = weights.get(k);
      if (w) copyHostInto(t, w);
    }
    return { missing, unexpected };
  }

  /** Switches this module and all below to training mode. */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  /** Switches this module and all below to evaluation mode. */
  eval(): this {
    return this.train(false);
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, t] of this.stateDict()) t.dispose();
  }
}

const captureStack: { names: Set<string>; outputs: Map<string, Tensor> }[] = [];

/**
 * Runs `fn` and returns the outputs of the layers named in `names` (dotted paths) alongside its
 * result: GradCAM and ScoreCAM read activations this way, and take gradients with respect to them.
 *
 * @example
 * ```ts ignore
 * const { result: logits, outputs } = withCapture(["layer4.2.conv3"], () => model.call(x));
 * const act = outputs.get("layer4.2.conv3")!;
 * ```
 */
export function withCapture<T>(
  names: readonly string[],
  fn: () => T,
): { result: T; outputs: Map<string, Tensor> } {
  const entry = { names: new Set(names), outputs: new Map<string, Tensor>() };
  captureStack.push(entry);
  try {
    const result = fn();
    const missing = names.filter((n) => !entry.outputs.has(n));
    if (missing.length) {
      throw new RangeError(`withCapture: no layer output recorded for ${missing.join(", ")}`);
    }
    return { result, outputs: entry.outputs };
  } finally {
    captureStack.splice(captureStack.indexOf(entry), 1);
  }
}

function copyHostInto(t: Tensor, w: HostTensor): void {
  gpu().runtime.upload(t.buffer, w.data);
}
