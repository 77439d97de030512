/**
 * Tape-based reverse-mode autodiff with scoped backward-rule overrides.
 *
 * Ops call {@link record} after computing their output; when gradients are enabled and an input needs
 * one, the output gets a {@link TapeNode}. {@link backward} walks the nodes reachable from the root in
 * a deterministic topological order (iterative, an array, not a set), accumulating gradients over
 * fan-out. {@link grad} returns gradients for chosen inputs without touching `.grad`.
 *
 * Explainers change backward rules inside a scope with {@link withRules}: by op kind (guided ReLU) or by
 * layer name (LRP rules per layer). Rules are looked up when `backward` runs.
 *
 * @module
 */
import type { BackwardRule, RuleContext, TapeNode } from "./autograd_types.ts";
import { keep, type Tensor } from "./tensor.ts";

export type { BackwardRule, RuleContext, TapeNode } from "./autograd_types.ts";

let gradEnabled = true;
let nextNodeId = 1;
const layerStack: string[] = [];

/** Rule overrides: by op kind, by exact layer name, or by a layer predicate. */
export interface RuleOverrides {
  /** Rules by op kind (`relu`, `conv2d`, ...). */
  kinds?: Record<string, BackwardRule>;
  /** Rules by exact dotted layer name; checked before kinds. */
  layers?: Record<string, BackwardRule | Record<string, BackwardRule>>;
  /** A general selector, checked first: return a rule to override a node, or undefined. */
  select?: (node: TapeNode) => BackwardRule | undefined;
}
const overrideStack: RuleOverrides[] = [];

/** A function that combines two gradients (the add op); set by the ops module to avoid a cycle. */
let accumulate: ((a: Tensor, b: Tensor) => Tensor) | null = null;
/** A function that makes a tensor of ones shaped like `t`; set by the ops module. */
let onesLike: ((t: Tensor) => Tensor) | null = null;
/** A function that copies a tensor; set by the ops module. */
let clone: ((t: Tensor) => Tensor) | null = null;

/**
 * Installs the elementwise add, ones-like and copy used by the tape (called once by `core/ops`).
 *
 * @example
 * ```ts ignore
 * setTapePrimitives(add, (t) => full(t.shape, 1), copy);
 * ```
 */
export function setTapePrimitives(
  add: (a: Tensor, b: Tensor) => Tensor,
  ones: (t: Tensor) => Tensor,
  copy: (t: Tensor) => Tensor,
): void {
  accumulate = add;
  onesLike = ones;
  clone = copy;
}

/**
 * True when ops record onto the tape (outside {@link noGrad}).
 *
 * @example
 * ```ts
 * import { isGradEnabled } from "./autograd.ts";
 * console.log(isGradEnabled()); // true
 * ```
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording ops (evaluation, optimiser updates).
 *
 * @example
 * ```ts ignore
 * const logits = noGrad(() => model.forward(x));
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Runs `fn` with `name` appended to the current dotted layer path; ops recorded inside carry it.
 *
 * @example
 * ```ts ignore
 * const y = inLayer("layer1.0.conv1", () => conv2d(x, w));
 * ```
 */
export function inLayer<T>(name: string, fn: () => T): T {
  layerStack.push(name);
  try {
    return fn();
  } finally {
    layerStack.pop();
  }
}

/**
 * The current dotted layer path.
 *
 * @example
 * ```ts
 * import { currentLayer } from "./autograd.ts";
 * console.log(currentLayer()); // ""
 * ```
 */
export function currentLayer(): string {
  return layerStack.filter((s) => s !== "").join(".");
}

/**
 * Records an op on the tape if gradients are enabled and some input requires one. Returns `output`.
 *
 * @example
 * ```ts ignore
 * return record("relu", [x], y, (ctx) => [mul(ctx.gradOutput, step(ctx.inputs[0]))]);
 * ```
 */
export function record(
  kind: string,
  inputs: readonly Tensor[],
  output: Tensor,
  rule: BackwardRule,
  saved: Record<string, unknown> = {},
): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return output;
  output.requiresGrad = true;
  output.node = { id: nextNodeId++, kind, layer: currentLayer(), inputs, saved, rule };
  return output;
}

/**
 * Runs `fn` with backward rules overridden; scopes nest and the innermost match wins.
 *
 * @example
 * ```ts ignore
 * const g = withRules({ kinds: { relu: guidedRelu } }, () => grad(y, [x]));
 * ```
 */
export function withRules<T>(overrides: RuleOverrides, fn: () => T): T {
  overrideStack.push(overrides);
  try {
    return fn();
  } finally {
    overrideStack.pop();
  }
}

/**
 * The rule that applies to a node under the active overrides.
 *
 * @example
 * ```ts ignore
 * const rule = ruleFor(y.node!);
 * ```
 */
export function ruleFor(node: TapeNode): BackwardRule {
  for (let i = overrideStack.length - 1; i >= 0; i--) {
    const o = overrideStack[i];
    const selected = o.select?.(node);
    if (selected) return selected;
    const byLayer = node.layer ? o.layers?.[node.layer] : undefined;
    if (typeof byLayer === "function") return byLayer;
    if (byLayer && byLayer[node.kind]) return byLayer[node.kind];
    const byKind = o.kinds?.[node.kind];
    if (byKind) return byKind;
  }
  return node.rule;
}

/** The tensors reachable from `root` through the tape, producers before consumers. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<number>();
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  visited.add(root.id);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const inputs = top.t.node?.inputs ?? [];
    if (top.next < inputs.length) {
      const child = inputs[top.next++];
      if (child.requiresGrad && !visited.has(child.id)) {
        visited.add(child.id);
        stack.push({ t: child, next: 0 });
      }
    } else {
      order.push(top.t);
      stack.pop();
    }
  }
  return order;
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Options of {@link backward} and {@link grad}. */
export interface BackwardOptions {
  /** Gradient of the root (default: ones, i.e. the gradient of `sum(root)`). */
  gradOutput?: Tensor;
}

function mapHasValue(map: Map<number, Tensor>, value: Tensor): boolean {
  for (const v of map.values()) if (v === value) return true;
  return false;
}

function run(root: Tensor, targets: readonly Tensor[] | null, opts: BackwardOptions): Map<number, Tensor> {
  if (!accumulate || !onesLike) throw new Error("autograd: core/ops/elementwise.ts was not loaded");
  if (!root.requiresGrad) {
    throw new Error(`backward: ${root} does not require grad (no recorded op leads to it)`);
  }
  const seed = opts.gradOutput ?? onesLike(root);
  if (!shapesEqual(seed.shape, root.shape)) {
    throw new RangeError(`backward: gradOutput shape [${seed.shape}] != output shape [${root.shape}]`);
  }
  const order = topoOrder(root);
  // With targets, only tensors from which a target is reachable need gradients.
  let needed: Set<number> | null = null;
  if (targets) {
    const wanted = new Set(targets.map((t) => t.id));
    const n = new Set<number>();
    for (const t of order) {
      if (wanted.has(t.id) || t.node?.inputs.some((i) => n.has(i.id))) n.add(t.id);
    }
    needed = n;
  }
  const isResult = (t: Tensor) => targets ? targets.includes(t) : !t.node;
  const grads = new Map<number, Tensor>([[root.id, seed]]);
  const result = new Map<number, Tensor>();
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t.id);
      if (!g) continue;
      grads.delete(t.id);
      if (isResult(t)) result.set(t.id, g);
      const node = t.node;
      if (!node || (needed && !node.inputs.some((x) => needed.has(x.id)))) continue;
      const ctx: RuleContext = {
        kind: node.kind,
        layer: node.layer,
        inputs: node.inputs,
        output: t,
        gradOutput: g,
        saved: node.saved,
        defaultRule: node.rule,
      };
      const inputGrads = ruleFor(node)(ctx);
      node.inputs.forEach((input, k) => {
        const gi = inputGrads[k];
        if (!gi || !input.requiresGrad || (needed && !needed.has(input.id))) return;
        if (!shapesEqual(gi.shape, input.shape)) {
          throw new RangeError(
            `backward of ${node.kind}${node.layer ? ` (${node.layer})` : ""}: gradient for input ${k} has ` +
              `shape [${gi.shape}], input has [${input.shape}]`,
          );
        }
        const prevG = grads.get(input.id);
        grads.set(input.id, prevG ? accumulate!(prevG, gi) : gi);
      });
      // Free the consumed output gradient early unless a rule passed it through or it is a result.
      if (g !== seed && !result.has(t.id) && !inputGrads.includes(g) && !mapHasValue(grads, g)) g.dispose();
    }
  } finally {
    gradEnabled = prev;
  }
  return result;
}

/**
 * Backpropagates from `root` and accumulates into `.grad` of every leaf that requires grad (leaves are
 * tensors without a tape node, such as parameters and inputs). Gradients are kept across scopes; free
 * them with `zeroGrad` or `t.grad.dispose()`.
 *
 * @example
 * ```ts ignore
 * tidy(() => { backward(loss(model.forward(x), y)); optimizer.step(); });
 * ```
 */
export function backward(root: Tensor, opts: BackwardOptions = {}): void {
  const leaves = run(root, null, opts);
  const handedOut = new Set<Tensor>();
  for (const t of topoOrder(root)) {
    let g = leaves.get(t.id);
    if (!g) continue;
    // A rule may pass one tensor to several inputs (add): each leaf must own its gradient.
    if (handedOut.has(g) || g === opts.gradOutput) g = clone!(g);
    handedOut.add(g);
    if (t.grad) {
      const old = t.grad;
      t.grad = keep(accumulate!(old, g));
      old.dispose();
    } else t.grad = keep(g);
  }
}

/**
 * Gradients of `root` with respect to `inputs` (like `torch.autograd.grad`); `.grad` fields are not
 * touched. An input that `root` does not depend on gets `null`.
 *
 * @example
 * ```ts ignore
 * x.requiresGrad = true;
 * const [dx] = grad(model.forward(x), [x], { gradOutput: oneHot });
 * ```
 */
export function grad(root: Tensor, inputs: readonly Tensor[], opts: BackwardOptions = {}): (Tensor | null)[] {
  const got = run(root, inputs, opts);
  return inputs.map((t) => got.get(t.id) ?? null);
}
