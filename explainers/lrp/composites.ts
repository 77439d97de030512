/**
 * Composites: which LRP rule each linear layer gets, written as data (zennit's layer-map composites).
 * A composite names a rule for the first layer (the conv / linear op that reads the explained input),
 * for the other convolutions and for fully connected layers, optionally per layer name, plus the
 * canonizers it expects.
 *
 * - {@link epsilonGammaBox} (the paper's): ZBox on the first conv with the bounds of the normalised 0
 *   and 1 images, Gamma(0.25) on every other conv (including a probe's 1x1 conv), Epsilon on linear
 *   layers;
 * - {@link epsilonPlus}: ZPlus on convs, Epsilon on linear layers;
 * - {@link epsilonAlpha2Beta1}: AlphaBeta(2, 1) on convs, Epsilon on linear layers;
 * - {@link epsilonPlusFlat}: as epsilonPlus with Flat on the first layer.
 *
 * @module
 */
import type { TapeNode } from "../../core/autograd.ts";
import type { Tensor } from "../../core/tensor.ts";
import { type Canonizer, resnetCanonizers } from "./canonizers.ts";
import { alphaBeta, epsilon, flat, gamma, type LrpRule, zBox, zPlus } from "./rules.ts";

/** A composite: rules per layer, and its canonizers. */
export interface Composite {
  /** Name for reports. */
  readonly name: string;
  /** The rule of a `conv2d` / `linear` node (`first`: it reads the explained input); undefined: gradient. */
  ruleFor(node: TapeNode, first: boolean): LrpRule | undefined;
  /** Canonizers applied with this composite unless the caller passes others. */
  readonly canonizers: readonly Canonizer[];
}

/** The data of a layer-map composite. */
export interface LayerMap {
  /** Name. */
  name: string;
  /** Rule of the first layer (default: as the others of its kind). */
  first?: LrpRule;
  /** Rule of convolutions. */
  conv?: LrpRule;
  /** Rule of fully connected layers. */
  linear?: LrpRule;
  /** Rules by exact layer name, checked first. */
  layers?: Record<string, LrpRule>;
  /** Canonizers (default: merge BN, explicit residual sums). */
  canonizers?: readonly Canonizer[];
}

/**
 * A composite from a {@link LayerMap}.
 *
 * @example
 * ```ts ignore
 * const c = layerMapComposite({ name: "all-epsilon", conv: epsilon(), linear: epsilon() });
 * ```
 */
export function layerMapComposite(map: LayerMap): Composite {
  return {
    name: map.name,
    canonizers: map.canonizers ?? resnetCanonizers(),
    ruleFor(node, first) {
      const byName = node.layer ? map.layers?.[node.layer] : undefined;
      if (byName) return byName;
      if (first && map.first) return map.first;
      if (node.kind === "conv2d") return map.conv;
      if (node.kind === "linear") return map.linear;
      return undefined;
    },
  };
}

/** Per-channel normalisation `(x - mean) / std` of the model input. */
export interface Normalization {
  /** Channel means. */
  mean: readonly number[];
  /** Channel standard deviations. */
  std: readonly number[];
}

/** torchvision's ImageNet normalisation. */
export const IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/**
 * The bounds of the normalised 0 and 1 images, per channel.
 *
 * @example
 * ```ts
 * import { normalizedBounds } from "./composites.ts";
 * const { low, high } = normalizedBounds({ mean: [0.5], std: [0.25] });
 * console.log(low, high); // [-2] [2]
 * ```
 */
export function normalizedBounds(n: Normalization): { low: number[]; high: number[] } {
  return { low: n.mean.map((m, i) => (0 - m) / n.std[i]), high: n.mean.map((m, i) => (1 - m) / n.std[i]) };
}

/** Options of {@link epsilonGammaBox}. */
export interface EpsilonGammaBoxOptions {
  /** Lower input bound (number, per channel, or tensor); default from `normalization`. */
  low?: number | readonly number[] | Tensor;
  /** Upper input bound; default from `normalization`. */
  high?: number | readonly number[] | Tensor;
  /** Input normalisation defining the bounds (default ImageNet's). */
  normalization?: Normalization;
  /** Gamma (default 0.25). */
  gamma?: number;
  /** Epsilon (default 1e-6). */
  epsilon?: number;
  /** Canonizers (default merge BN + residual sums). */
  canonizers?: readonly Canonizer[];
}

/**
 * The paper's composite: ZBox first, Gamma(0.25) on convs, Epsilon on linear layers.
 *
 * @example
 * ```ts ignore
 * const c = epsilonGammaBox({ normalization: IMAGENET_NORMALIZATION });
 * ```
 */
export function epsilonGammaBox(opts: EpsilonGammaBoxOptions = {}): Composite {
  const bounds = normalizedBounds(opts.normalization ?? IMAGENET_NORMALIZATION);
  return layerMapComposite({
    name: "epsilon_gamma_box",
    first: zBox(opts.low ?? bounds.low, opts.high ?? bounds.high),
    conv: gamma(opts.gamma ?? 0.25),
    linear: epsilon(opts.epsilon ?? 1e-6),
    canonizers: opts.canonizers,
  });
}

/**
 * ZPlus on convolutions, Epsilon on linear layers.
 *
 * @example
 * ```ts ignore
 * const c = epsilonPlus();
 * ```
 */
export function epsilonPlus(opts: { epsilon?: number; canonizers?: readonly Canonizer[] } = {}): Composite {
  return layerMapComposite({
    name: "epsilon_plus",
    conv: zPlus(),
    linear: epsilon(opts.epsilon ?? 1e-6),
    canonizers: opts.canonizers,
  });
}

/**
 * AlphaBeta(2, 1) on convolutions, Epsilon on linear layers.
 *
 * @example
 * ```ts ignore
 * const c = epsilonAlpha2Beta1();
 * ```
 */
export function epsilonAlpha2Beta1(
  opts: { epsilon?: number; canonizers?: readonly Canonizer[] } = {},
): Composite {
  return layerMapComposite({
    name: "epsilon_alpha2_beta1",
    conv: alphaBeta(2, 1),
    linear: epsilon(opts.epsilon ?? 1e-6),
    canonizers: opts.canonizers,
  });
}

/**
 * Flat on the first layer, ZPlus on other convolutions, Epsilon on linear layers.
 *
 * @example
 * ```ts ignore
 * const c = epsilonPlusFlat();
 * ```
 */
export function epsilonPlusFlat(
  opts: { epsilon?: number; canonizers?: readonly Canonizer[] } = {},
): Composite {
  return layerMapComposite({
    name: "epsilon_plus_flat",
    first: flat(),
    conv: zPlus(),
    linear: epsilon(opts.epsilon ?? 1e-6),
    canonizers: opts.canonizers,
  });
}
