/**
 * The generic LRP backward for linear layers (op kinds `conv2d` and `linear`) that evaluates any
 * {@link LrpRule}, and the rules for the other ops on an LRP path:
 * - {@link passRule} (ReLU and merged batch norm: relevance passes unchanged);
 * - {@link proportionalRule} (sums, means, average pooling, residual additions: each input gets the
 *   share `x_i * (dy/dx_i) / y` of the output's relevance, zennit's `Norm`);
 * - max pooling keeps its gradient (winner takes all); layout ops (reshape, permute, slice, concat)
 *   keep theirs (they move relevance without changing it).
 *
 * The forward of a term is recomputed from the op's saved data (`conv2d`: weight, bias, stride,
 * padding, dilation, groups; `linear`: weight, bias) with modified inputs and parameters, and its
 * transpose is `conv2dGradInput` / a matmul with the modified weight.
 *
 * @module
 */
import type { BackwardRule, RuleContext } from "../../core/autograd.ts";
import { conv2d, conv2dGradInput, type Conv2dSaved } from "../../core/ops/conv.ts";
import { add, mul, neg, scale, sub } from "../../core/ops/elementwise.ts";
import { linear, matmul } from "../../core/ops/matmul.ts";
import { type Tensor, view } from "../../core/tensor.ts";
import { stabilizedDivide } from "../kernels.ts";
import { keepInput, keepParam, type LrpRule } from "./rules.ts";

/** A linear op seen by the generic backward. */
interface LayerOp {
  weight: Tensor;
  bias: Tensor | null;
  forward(x: Tensor, w: Tensor, b: Tensor | null): Tensor;
  transpose(s: Tensor, w: Tensor): Tensor;
}

/** Op kinds the generic backward handles. */
export const LRP_LAYER_KINDS: readonly string[] = ["conv2d", "linear"];

function layerOp(ctx: RuleContext): LayerOp {
  const x = ctx.inputs[0];
  if (ctx.kind === "conv2d") {
    const s = ctx.saved as unknown as Conv2dSaved;
    const opts = { stride: s.stride, padding: s.padding, dilation: s.dilation, groups: s.groups };
    return {
      weight: s.weight,
      bias: s.bias,
      forward: (xi, w, b) => conv2d(xi, w, b, opts),
      transpose: (g, w) => conv2dGradInput(g, w, x.shape, opts),
    };
  }
  if (ctx.kind === "linear") {
    const s = ctx.saved as { weight: Tensor; bias: Tensor | null };
    const [outF, inF] = s.weight.shape;
    return {
      weight: s.weight,
      bias: s.bias,
      forward: (xi, w, b) => linear(xi, w, b),
      transpose: (g, w) => view(matmul(view(g, [g.size / outF, outF]), w), [...x.shape.slice(0, -1), inF]),
    };
  }
  throw new RangeError(`LRP: no layer rule for op kind '${ctx.kind}' (${ctx.layer || "unnamed layer"})`);
}

/**
 * The relevance of a linear layer's input under `rule` (see `rules.ts` for the formula).
 *
 * @example
 * ```ts ignore
 * const rin = layerRelevance(gamma(0.25), ctx);
 * ```
 */
export function layerRelevance(rule: LrpRule, ctx: RuleContext): Tensor {
  const op = layerOp(ctx);
  const x = ctx.inputs[0];
  const R = ctx.gradOutput;
  let out: Tensor | null = null;
  for (const group of rule.groups) {
    const parts = group.terms.map((t) => {
      const xin = t.input(x);
      const w = t.param(op.weight, "weight");
      if (!w) throw new RangeError(`LRP rule ${rule.name}: a weight modifier returned null`);
      // The unmodified term is the op's own output.
      const z = t.input === keepInput && t.param === keepParam
        ? ctx.output
        : op.forward(xin, w, op.bias ? t.param(op.bias, "bias") : null);
      return { xin, w, z, sign: t.sign ?? 1 };
    });
    let d = parts[0].sign > 0 ? parts[0].z : neg(parts[0].z);
    for (const p of parts.slice(1)) d = p.sign > 0 ? add(d, p.z) : sub(d, p.z);
    const s = stabilizedDivide(R, d, rule.stabilizer);
    for (const p of parts) {
      const c = (group.coefficient ?? 1) * p.sign;
      const term = mul(p.xin, op.transpose(s, p.w));
      const weighted = c === 1 ? term : scale(term, c);
      out = out ? add(out, weighted) : weighted;
    }
  }
  return out!;
}

/**
 * The backward rule that applies `rule` to a conv2d / linear node (the parameters get no gradient).
 *
 * @example
 * ```ts ignore
 * const g = withRules({ kinds: { conv2d: lrpLayerRule(gamma()) } }, () => grad(y, [x], { gradOutput: r }));
 * ```
 */
export function lrpLayerRule(rule: LrpRule): BackwardRule {
  return (ctx) => [layerRelevance(rule, ctx), ...ctx.inputs.slice(1).map(() => null)];
}

/**
 * Pass: the relevance of the output goes to the first input unchanged (ReLU, merged batch norm).
 *
 * @example
 * ```ts ignore
 * withRules({ kinds: { relu: passRule } }, run);
 * ```
 */
export function passRule(ctx: RuleContext): (Tensor | null)[] {
  return [ctx.gradOutput, ...ctx.inputs.slice(1).map(() => null)];
}

/**
 * Proportional (zennit's `Norm`): `R_i = x_i * (d y / d x_i)^T (R / stabilize(y))` with the op's own
 * gradient, i.e. each summand's share of the output (sums, means, average pooling, residual adds).
 *
 * @example
 * ```ts ignore
 * withRules({ kinds: { add: proportionalRule(1e-6) } }, run);
 * ```
 */
export function proportionalRule(stabilizer = 1e-6): BackwardRule {
  return (ctx) => {
    const s = stabilizedDivide(ctx.gradOutput, ctx.output, stabilizer);
    const grads = ctx.defaultRule({ ...ctx, gradOutput: s });
    return grads.map((g, i) => (g && ctx.inputs[i].requiresGrad ? mul(ctx.inputs[i], g) : null));
  };
}
