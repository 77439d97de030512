/**
 * Stage graph checks, a deterministic topological order, and `--only` / `--from` selection.
 *
 * A selector matches a stage when it equals the stage's name or its kind (the part before the first
 * `:`), or is a name prefix ending at a `:` boundary (`explain:bcos` matches `explain:bcos:dino`).
 * `--only a,b` selects exactly the matched stages; `--from x` selects the matched stages and everything
 * downstream of them (stages that depend on them, transitively). With neither, all stages are selected.
 *
 * @module
 */
import { type Stage, stageKind } from "./stage.ts";

/**
 * Stages in dependency order: declaration order, except that a stage comes after all its deps.
 * Throws on duplicate names, unknown deps and cycles, naming them.
 *
 * @example
 * ```ts
 * import { topologicalOrder } from "./select.ts";
 * const run = async () => {};
 * const order = topologicalOrder([
 *   { name: "b", config: {}, deps: ["a"], run },
 *   { name: "a", config: {}, run },
 * ]);
 * console.log(order.map((s) => s.name)); // ["a", "b"]
 * ```
 */
export function topologicalOrder(stages: readonly Stage[]): Stage[] {
  const byName = new Map<string, Stage>();
  for (const s of stages) {
    stageKind(s.name);
    if (byName.has(s.name)) throw new RangeError(`duplicate stage name '${s.name}'`);
    byName.set(s.name, s);
  }
  for (const s of stages) {
    for (const d of s.deps ?? []) {
      if (!byName.has(d)) throw new RangeError(`stage '${s.name}' depends on unknown stage '${d}'`);
    }
  }
  const order: Stage[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (s: Stage, path: string[]) => {
    const st = state.get(s.name);
    if (st === "done") return;
    if (st === "visiting") throw new RangeError(`stage dependency cycle: ${[...path, s.name].join(" -> ")}`);
    state.set(s.name, "visiting");
    for (const d of s.deps ?? []) visit(byName.get(d)!, [...path, s.name]);
    state.set(s.name, "done");
    order.push(s);
  };
  for (const s of stages) visit(s, []);
  return order;
}

/**
 * True when `selector` matches stage `name` (see the module doc).
 *
 * @example
 * ```ts
 * import { matchesSelector } from "./select.ts";
 * console.log(matchesSelector("explain", "explain:bcos"), matchesSelector("explain:b", "explain:bcos")); // true false
 * ```
 */
export function matchesSelector(selector: string, name: string): boolean {
  return name === selector || name.startsWith(selector + ":");
}

/** Selection options. */
export interface Selection {
  /** Run only these stages (names, kinds or `:`-prefixes). */
  only?: readonly string[];
  /** Run these stages and everything downstream of them. */
  from?: readonly string[];
}

/**
 * The names of the selected stages (a subset of `order`), throwing for a selector that matches nothing
 * (listing the stage names).
 *
 * @example
 * ```ts
 * import { selectStages } from "./select.ts";
 * const run = async () => {};
 * const stages = [
 *   { name: "a", config: {}, run },
 *   { name: "b", config: {}, deps: ["a"], run },
 *   { name: "c", config: {}, deps: ["b"], run },
 * ];
 * console.log([...selectStages(stages, { from: ["b"] })]); // ["b", "c"]
 * ```
 */
export function selectStages(order: readonly Stage[], sel: Selection): Set<string> {
  const names = order.map((s) => s.name);
  const match = (selectors: readonly string[], flag: string): Set<string> => {
    const out = new Set<string>();
    for (const raw of selectors) {
      const sel = raw.trim();
      if (sel === "") continue;
      const hit = names.filter((n) => matchesSelector(sel, n));
      if (hit.length === 0) {
        throw new RangeError(`${flag}: no stage matches '${sel}' (stages: ${names.join(", ")})`);
      }
      hit.forEach((n) => out.add(n));
    }
    return out;
  };
  let selected = new Set(names);
  if (sel.only && sel.only.length > 0) selected = match(sel.only, "--only");
  if (sel.from && sel.from.length > 0) {
    const start = match(sel.from, "--from");
    const down = new Set(start);
    for (const s of order) {
      if ((s.deps ?? []).some((d) => down.has(d))) down.add(s.name);
    }
    selected = new Set([...selected].filter((n) => down.has(n)));
  }
  return selected;
}
