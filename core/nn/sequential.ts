/**
 * `Sequential`: children applied in order, named "0", "1", ... like torch.nn.Sequential, so
 * torchvision keys such as `downsample.0.weight` come out right.
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/** Applies its children in order. */
export class Sequential extends Module {
  #layers: Module[];

  /**
   * @param layers the children, registered as "0", "1", ...
   * @example
   * ```ts ignore
   * const downsample = new Sequential(new Conv2d(64, 256, 1, { bias: false }), new BatchNorm2d(256));
   * ```
   */
  constructor(...layers: Module[]) {
    super();
    this.#layers = layers.map((m, i) => this.child(String(i), m));
  }

  /** Runs the children in order. */
  forward(x: Tensor): Tensor {
    return this.#layers.reduce((h, m, i) => m.call(h, String(i)), x);
  }

  /** The children in order. */
  get layers(): readonly Module[] {
    return this.#layers;
  }
}

/** A module that applies a function (ReLU, GELU, flatten, ...). */
export class Lambda extends Module {
  #fn: (x: Tensor) => Tensor;

  /**
   * @param fn the function
   * @example
   * ```ts ignore
   * const act = new Lambda(relu);
   * ```
   */
  constructor(fn: (x: Tensor) => Tensor) {
    super();
    this.#fn = fn;
  }

  /** Applies the function. */
  forward(x: Tensor): Tensor {
    return this.#fn(x);
  }
}

/** A named holder of sub-modules whose parent calls them itself (torch's ModuleDict role). */
export class ModuleDict extends Module {
  /**
   * Adds `m` under `name` and returns it.
   *
   * @example
   * ```ts ignore
   * const layers = new ModuleDict();
   * layers.add("encoder_layer_0", block);
   * ```
   */
  add<M extends Module>(name: string, m: M): M {
    return this.child(name, m);
  }

  /** Not callable on its own: the parent calls the children. */
  forward(_x: Tensor): Tensor {
    throw new Error("ModuleDict has no forward; call its children");
  }
}
