/**
 * Canonizers: reversible rewrites that put a model in the form LRP rules expect (zennit's idea).
 * - {@link mergeBatchNorm}: every eval-mode batch norm that directly follows a convolution is merged
 *   into it (`w' = w * g`, `b' = (b - mean) * g + beta`, `g = weight / sqrt(var + eps)`) and set to the
 *   identity (`weight 1, bias 0, mean 0, var 1, eps 0`), so the conv's LRP rule sees the whole affine
 *   map. The model's output is unchanged; `remove()` restores every parameter and the BN's eps.
 * - {@link residualSum}: residual additions (an `add` of two computed tensors, e.g. ResNet's
 *   `<block>.residual`) become explicit sums whose relevance is split in proportion to the summands'
 *   contributions (without it an `add` passes its full relevance to both branches). It changes no
 *   parameter; it contributes a rule selector while applied.
 *
 * Both find their targets by tracing one forward of a single image on the tape: a `batch_norm` node
 * whose input is the output of a `conv2d` node with no other consumer, and `add` nodes. Layer names
 * on the tape are the modules' dotted paths when the model is called with `model.call(x)` and its
 * children with their registered names (as every model in core/models does).
 *
 * @module
 */
import type { BackwardRule, TapeNode } from "../../core/autograd.ts";
import { noGrad } from "../../core/autograd.ts";
import { BatchNorm2d } from "../../core/nn/batchnorm.ts";
import { Conv2d } from "../../core/nn/conv.ts";
import type { Module } from "../../core/nn/module.ts";
import { add, addScalar, full, mul, reciprocal, scale, sqrt, sub } from "../../core/ops/elementwise.ts";
import { assign, slice } from "../../core/ops/layout.ts";
import { keep, type Tensor, tidy, view } from "../../core/tensor.ts";
import { inEvalMode } from "../common.ts";
import { proportionalRule } from "./backward.ts";

/** A canonizer applied to a model. */
export interface AppliedCanonizer {
  /** Rules this canonizer asks for while applied (checked before the composite's). */
  select?: (node: TapeNode) => BackwardRule | undefined;
  /** Undoes every change (idempotent). */
  remove(): void;
}

/** A reversible model rewrite for LRP. */
export interface Canonizer {
  /** Name for reports. */
  readonly name: string;
  /**
   * Applies the rewrite to `model` for inputs shaped like `sample` `[B, C, H, W]`.
   *
   * @example
   * ```ts ignore
   * const applied = mergeBatchNorm().apply(model, x);
   * try { ... } finally { applied.remove(); }
   * ```
   */
  apply(model: Module, sample: Tensor): AppliedCanonizer;
}

/** What a traced forward reveals about a model. */
export interface ModelTrace {
  /** Pairs of (conv layer, batch-norm layer) where the BN reads only that conv's output. */
  convBatchNorm: { conv: string; bn: string }[];
  /** Layer names of `add` nodes whose two inputs are both computed (residual sums). */
  sums: string[];
}

const traces = new WeakMap<Module, Map<string, ModelTrace>>();

/**
 * Traces one forward of the first image of `sample` (in eval mode) and returns its structure
 * (cached per model and input shape).
 *
 * @example
 * ```ts ignore
 * const { convBatchNorm, sums } = traceModel(model, x);
 * ```
 */
export function traceModel(model: Module, sample: Tensor): ModelTrace {
  const key = sample.shape.slice(1).join("x");
  let perModel = traces.get(model);
  const cached = perModel?.get(key);
  if (cached) return cached;
  const trace = tidy(() =>
    inEvalMode(model, () => {
      const one = slice(sample, [0, 0, 0, 0], [1, ...sample.shape.slice(1)]);
      one.requiresGrad = true;
      const y = model.call(one);
      const nodes: TapeNode[] = [];
      const consumers = new Map<number, number>();
      const seen = new Set<number>();
      const stack: Tensor[] = [y];
      while (stack.length) {
        const t = stack.pop()!;
        if (!t.node || seen.has(t.id)) continue;
        seen.add(t.id);
        nodes.push(t.node);
        for (const i of t.node.inputs) {
          consumers.set(i.id, (consumers.get(i.id) ?? 0) + 1);
          stack.push(i);
        }
      }
      const out: ModelTrace = { convBatchNorm: [], sums: [] };
      for (const n of nodes.sort((a, b) => a.id - b.id)) {
        if (n.kind === "batch_norm") {
          const src = n.inputs[0];
          if (src.node?.kind === "conv2d" && consumers.get(src.id) === 1) {
            out.convBatchNorm.push({ conv: src.node.layer, bn: n.layer });
          }
        } else if (n.kind === "add" && n.inputs.every((i) => i.node) && !out.sums.includes(n.layer)) {
          out.sums.push(n.layer);
        }
      }
      return out;
    })
  );
  if (!perModel) traces.set(model, perModel = new Map());
  perModel.set(key, trace);
  return trace;
}

/** A copy that outlives scopes. */
function copyKept(t: Tensor): Tensor {
  return keep(scale(t, 1));
}

/**
 * Merges eval-mode batch norms into their preceding convolutions (see the module doc).
 *
 * @example
 * ```ts ignore
 * const applied = mergeBatchNorm().apply(model, x); // model output unchanged
 * applied.remove(); // parameters restored
 * ```
 */
export function mergeBatchNorm(): Canonizer {
  return {
    name: "merge_batch_norm",
    apply(model, sample) {
      const { convBatchNorm } = traceModel(model, sample);
      const undo: (() => void)[] = [];
      noGrad(() => {
        for (const { conv: convName, bn: bnName } of convBatchNorm) {
          const conv = model.get(convName);
          const bn = model.get(bnName);
          if (!(conv instanceof Conv2d) || !(bn instanceof BatchNorm2d)) continue;
          const O = conv.weight.shape[0];
          const saved = {
            weight: copyKept(conv.weight),
            bias: conv.bias ? copyKept(conv.bias) : null,
            bnWeight: bn.weight ? copyKept(bn.weight) : null,
            bnBias: bn.bias ? copyKept(bn.bias) : null,
            mean: bn.runningMean ? copyKept(bn.runningMean) : null,
            variance: copyKept(bn.runningVar),
            eps: bn.config.eps,
          };
          const createdBias: Tensor | null = tidy(() => {
            const invstd = reciprocal(sqrt(addScalar(bn.runningVar, bn.config.eps)));
            const g = bn.weight ? mul(bn.weight, invstd) : invstd;
            assign(conv.weight, mul(conv.weight, view(g, [O, 1, 1, 1])));
            let b = conv.bias ?? full([O], 0);
            if (bn.runningMean) b = sub(b, bn.runningMean);
            b = mul(b, g);
            if (bn.bias) b = add(b, bn.bias);
            if (conv.bias) assign(conv.bias, b);
            if (bn.weight) assign(bn.weight, full([O], 1));
            if (bn.bias) assign(bn.bias, full([O], 0));
            if (bn.runningMean) assign(bn.runningMean, full([O], 0));
            assign(bn.runningVar, full([O], 1));
            return conv.bias ? null : keep(b);
          });
          if (createdBias) (conv as { bias?: Tensor }).bias = createdBias;
          bn.config.eps = 0;
          undo.push(() => {
            assign(conv.weight, saved.weight);
            if (saved.bias) assign(conv.bias!, saved.bias);
            if (createdBias) {
              (conv as { bias?: Tensor }).bias = undefined;
              createdBias.dispose();
            }
            if (saved.bnWeight) assign(bn.weight!, saved.bnWeight);
            if (saved.bnBias) assign(bn.bias!, saved.bnBias);
            if (saved.mean) assign(bn.runningMean!, saved.mean);
            assign(bn.runningVar, saved.variance);
            bn.config.eps = saved.eps;
            for (
              const t of [saved.weight, saved.bias, saved.bnWeight, saved.bnBias, saved.mean, saved.variance]
            ) {
              t?.dispose();
            }
          });
        }
      });
      let removed = false;
      return {
        remove() {
          if (removed) return;
          removed = true;
          noGrad(() => {
            for (const u of undo.reverse()) u();
          });
        },
      };
    },
  };
}

/**
 * Makes residual sums explicit: `add` nodes of two computed tensors get the proportional rule.
 *
 * @example
 * ```ts ignore
 * const applied = residualSum().apply(model, x);
 * ```
 */
export function residualSum(stabilizer = 1e-6): Canonizer {
  return {
    name: "residual_sum",
    apply(model, sample) {
      const sums = new Set(traceModel(model, sample).sums);
      const rule = proportionalRule(stabilizer);
      return {
        select: (node) => (node.kind === "add" && sums.has(node.layer) ? rule : undefined),
        remove() {},
      };
    },
  };
}

/**
 * The canonizers of the paper's LRP setting: BN merged into convolutions, residual sums explicit.
 *
 * @example
 * ```ts ignore
 * const canonizers = resnetCanonizers();
 * ```
 */
export function resnetCanonizers(): Canonizer[] {
  return [mergeBatchNorm(), residualSum()];
}
