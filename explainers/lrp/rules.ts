/**
 * LRP rules as data (zennit's `BasicHook` formulation). A rule is a list of groups of terms; term `k`
 * has an input modifier `in_k`, a parameter modifier `p_k` and a sign. For a linear layer
 * `z = layer(x; W, b)` (conv2d or linear) with upper relevance `R`:
 *
 * ```text
 * z_k   = layer(in_k(x); p_k(W), p_k(b))                 (the forward with modified input and parameters)
 * D_g   = sum_{k in g} sign_k z_k                          (the group's denominator)
 * s_g   = R / stabilize(D_g)                               (stabilize: + eps * sign, sign(0) = +1)
 * R_in  = sum_g c_g sum_{k in g} sign_k in_k(x) * J_k^T s_g  (J_k^T: the layer's transpose with p_k(W))
 * ```
 *
 * One generic backward (`backward.ts`) evaluates every rule for conv2d and linear ops. The rules:
 * Epsilon, Gamma, ZPlus (alpha 1, beta 0), AlphaBeta, ZBox (bounded inputs), Flat and WSquare
 * (relevance by connectivity / squared weights; their biases are dropped so relevance is conserved),
 * and Pass (for elementwise layers, in `backward.ts`).
 *
 * @module
 */
import { add, clamp, full, scale, square } from "../../core/ops/elementwise.ts";
import { expandTo } from "../../core/ops/reduce.ts";
import { fromArray, type Tensor } from "../../core/tensor.ts";

/** Maps the layer input to a term's input (positive part, ones, a bound, ...). */
export type InputModifier = (x: Tensor) => Tensor;
/** Maps a parameter (`weight` or `bias`) to a term's parameter; `null` drops the bias. */
export type ParamModifier = (p: Tensor, name: "weight" | "bias") => Tensor | null;

/** One forward term of a rule. */
export interface LrpTerm {
  /** Input modifier. */
  readonly input: InputModifier;
  /** Parameter modifier. */
  readonly param: ParamModifier;
  /** Sign of the term in its group's denominator and relevance (default +1). */
  readonly sign?: 1 | -1;
}

/** Terms sharing one denominator. */
export interface LrpGroup {
  /** The terms. */
  readonly terms: readonly LrpTerm[];
  /** Weight of the group's relevance (AlphaBeta: alpha and -beta); default 1. */
  readonly coefficient?: number;
}

/** An LRP rule for conv2d / linear ops. */
export interface LrpRule {
  /** Name shown in errors and reports, e.g. `epsilon(1e-6)`. */
  readonly name: string;
  /** The groups of terms. */
  readonly groups: readonly LrpGroup[];
  /** Stabiliser of the denominators. */
  readonly stabilizer: number;
}

const BIG = 3.4e38;

/** The input itself. */
export function keepInput(x: Tensor): Tensor {
  return x;
}
/** `max(x, 0)`. */
export function positiveInput(x: Tensor): Tensor {
  return clamp(x, 0, BIG);
}
/** `min(x, 0)`. */
export function negativeInput(x: Tensor): Tensor {
  return clamp(x, -BIG, 0);
}
/** Ones shaped like the input. */
export function onesInput(x: Tensor): Tensor {
  return full(x.shape, 1);
}

/** The parameter itself. */
export function keepParam(p: Tensor): Tensor {
  return p;
}
/** `max(p, 0)` (bias too). */
export function positiveParam(p: Tensor): Tensor {
  return clamp(p, 0, BIG);
}
/** `min(p, 0)` (bias too). */
export function negativeParam(p: Tensor): Tensor {
  return clamp(p, -BIG, 0);
}

/**
 * `p + gamma * max(p, 0)` (bias too).
 *
 * @example
 * ```ts ignore
 * const mod = gammaParam(0.25);
 * ```
 */
export function gammaParam(gamma: number): ParamModifier {
  return (p) => add(p, scale(clamp(p, 0, BIG), gamma));
}

/**
 * `modifier` on the weight, no bias.
 *
 * @example
 * ```ts ignore
 * const term = { input: negativeInput, param: withoutBias(negativeParam) };
 * ```
 */
export function withoutBias(modifier: ParamModifier): ParamModifier {
  return (p, name) => (name === "bias" ? null : modifier(p, name));
}

/**
 * A constant input: a number, one value per channel (axis 1), or a tensor broadcastable to the input.
 *
 * @example
 * ```ts ignore
 * const low = constantInput([-2.118, -2.036, -1.804]);
 * ```
 */
export function constantInput(value: number | readonly number[] | Tensor): InputModifier {
  return (x) => {
    if (typeof value === "number") return full(x.shape, value);
    if (Array.isArray(value) || !("shape" in value)) {
      const v = value as readonly number[];
      if (x.rank < 2 || x.shape[1] !== v.length) {
        throw new RangeError(`LRP bound: ${v.length} channel values for an input [${x.shape}]`);
      }
      const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
      return expandTo(fromArray(shape, v), x.shape);
    }
    return expandTo(value as Tensor, x.shape);
  };
}

/**
 * The epsilon rule: `R_i = sum_j x_i w_ij R_j / (z_j + eps sign(z_j))`.
 *
 * @example
 * ```ts ignore
 * const rule = epsilon(1e-6);
 * ```
 */
export function epsilon(eps = 1e-6): LrpRule {
  return {
    name: `epsilon(${eps})`,
    groups: [{ terms: [{ input: keepInput, param: keepParam }] }],
    stabilizer: eps,
  };
}

/**
 * The gamma rule: the epsilon rule with `w + gamma w+` (and `b + gamma b+`), stabiliser 1e-6 (zennit's).
 *
 * @example
 * ```ts ignore
 * const rule = gamma(0.25);
 * ```
 */
export function gamma(g = 0.25, stabilizer = 1e-6): LrpRule {
  return {
    name: `gamma(${g})`,
    groups: [{ terms: [{ input: keepInput, param: gammaParam(g) }] }],
    stabilizer,
  };
}

/**
 * The z+ rule (alpha = 1, beta = 0, negative inputs allowed, as zennit's `ZPlus`):
 * `z = W+ x+ + b+ + W- x-`.
 *
 * @example
 * ```ts ignore
 * const rule = zPlus();
 * ```
 */
export function zPlus(stabilizer = 1e-6): LrpRule {
  return {
    name: "zplus",
    groups: [{
      terms: [
        { input: positiveInput, param: positiveParam },
        { input: negativeInput, param: withoutBias(negativeParam) },
      ],
    }],
    stabilizer,
  };
}

/**
 * The alpha-beta rule (`alpha - beta = 1`): alpha times the positive contributions' share minus beta
 * times the negative contributions' share.
 *
 * @example
 * ```ts ignore
 * const rule = alphaBeta(2, 1);
 * ```
 */
export function alphaBeta(alpha = 2, beta = 1, stabilizer = 1e-6): LrpRule {
  if (alpha < 0 || beta < 0 || Math.abs(alpha - beta - 1) > 1e-12) {
    throw new RangeError(`alphaBeta: need alpha, beta >= 0 and alpha - beta = 1, got ${alpha}, ${beta}`);
  }
  return {
    name: `alpha${alpha}beta${beta}`,
    groups: [
      {
        coefficient: alpha,
        terms: [
          { input: positiveInput, param: positiveParam },
          { input: negativeInput, param: withoutBias(negativeParam) },
        ],
      },
      {
        coefficient: -beta,
        terms: [
          { input: positiveInput, param: negativeParam },
          { input: negativeInput, param: withoutBias(positiveParam) },
        ],
      },
    ],
    stabilizer,
  };
}

/**
 * The z-box rule for inputs bounded by `low <= x <= high` (numbers, per-channel values, or tensors):
 * `z = W x - W+ low - W- high` (biases cancel, as zennit's `ZBox`).
 *
 * @example
 * ```ts ignore
 * const rule = zBox(-2.1, 2.6);
 * ```
 */
export function zBox(
  low: number | readonly number[] | Tensor,
  high: number | readonly number[] | Tensor,
  stabilizer = 1e-6,
): LrpRule {
  return {
    name: "zbox",
    groups: [{
      terms: [
        { input: keepInput, param: keepParam },
        { input: constantInput(low), param: positiveParam, sign: -1 },
        { input: constantInput(high), param: negativeParam, sign: -1 },
      ],
    }],
    stabilizer,
  };
}

/**
 * The flat rule: relevance spread evenly over the connected inputs (weights and inputs set to one, no
 * bias).
 *
 * @example
 * ```ts ignore
 * const rule = flat();
 * ```
 */
export function flat(stabilizer = 1e-6): LrpRule {
  return {
    name: "flat",
    groups: [{ terms: [{ input: onesInput, param: withoutBias((p) => full(p.shape, 1)) }] }],
    stabilizer,
  };
}

/**
 * The w-square rule: relevance by squared weights (inputs set to one, no bias).
 *
 * @example
 * ```ts ignore
 * const rule = wSquare();
 * ```
 */
export function wSquare(stabilizer = 1e-6): LrpRule {
  return {
    name: "wsquare",
    groups: [{ terms: [{ input: onesInput, param: withoutBias((p) => square(p)) }] }],
    stabilizer,
  };
}
