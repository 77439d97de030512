/**
 * Finding the state dict inside a checkpoint object, flattening it to dotted keys and stripping key
 * prefixes such as `module.` (DataParallel) or `backbone.`.
 *
 * @module
 */

/**
 * Entries searched, in this order, for a nested state dict when no `entry` is given; the first that holds
 * a dict with at least one tensor wins, otherwise the top level itself is used. `teacher` comes before
 * `student` because DINO's teacher is the model that is released and evaluated.
 */
export const STATE_DICT_ENTRIES: readonly string[] = [
  "state_dict",
  "model_state_dict",
  "model",
  "module",
  "teacher",
  "student",
  "net",
  "network",
];

/** Recognizes the leaf values (tensors) of a checkpoint's object tree. */
export type LeafPredicate<T> = (v: unknown) => v is T;

function containsLeaf<T>(value: unknown, isLeaf: LeafPredicate<T>, seen = new Set<unknown>()): boolean {
  if (isLeaf(value)) return true;
  if (typeof value !== "object" || value === null || seen.has(value)) return false;
  seen.add(value);
  const children = value instanceof Map ? value.values() : Array.isArray(value) ? value.values() : undefined;
  if (!children) return false;
  for (const child of children) if (containsLeaf(child, isLeaf, seen)) return true;
  return false;
}

function topKeys(root: unknown): string {
  if (!(root instanceof Map)) return "(not a dict)";
  const keys = [...root.keys()].slice(0, 12).map(String);
  return keys.join(", ") + (root.size > 12 ? ", …" : "");
}

/**
 * Picks the state dict from a checkpoint's top-level object: `entry` when given (a top-level key, or a
 * `/`-separated path such as `model/ema`), else the first of {@link STATE_DICT_ENTRIES} that holds
 * tensors, else the top level. Returns the chosen value and its path (`""` for the top level).
 *
 * @example
 * ```ts
 * import { selectStateDict } from "./state_dict.ts";
 * const isNumber = (v: unknown): v is number => typeof v === "number";
 * const root = new Map<string, unknown>([["epoch", "x"], ["model", new Map([["w", 1]])]]);
 * console.log(selectStateDict(root, undefined, isNumber, "ckpt.pth").path); // model
 * ```
 */
export function selectStateDict<T>(
  root: unknown,
  entry: string | undefined,
  isLeaf: LeafPredicate<T>,
  source: string,
): { value: unknown; path: string } {
  if (entry !== undefined) {
    let value = root;
    const parts = root instanceof Map && root.has(entry) ? [entry] : entry.split("/");
    for (const part of parts) {
      if (!(value instanceof Map) || !value.has(part)) {
        throw new Error(`${source}: entry '${entry}' not found (top-level keys: ${topKeys(root)})`);
      }
      value = value.get(part);
    }
    if (!containsLeaf(value, isLeaf)) throw new Error(`${source}: entry '${entry}' holds no tensors`);
    return { value, path: entry };
  }
  if (root instanceof Map) {
    for (const name of STATE_DICT_ENTRIES) {
      const value = root.get(name);
      if (value instanceof Map && containsLeaf(value, isLeaf)) return { value, path: name };
    }
  }
  if (!containsLeaf(root, isLeaf)) {
    throw new Error(`${source}: no tensors found in the checkpoint (top-level keys: ${topKeys(root)})`);
  }
  return { value: root, path: "" };
}

/**
 * Flattens nested dicts (Maps) and lists into dotted keys, keeping only the leaves `isLeaf` accepts
 * (other values, such as optimizer hyper-parameters, are dropped). Cycles are not followed; a tree of
 * more than `maxEntries` entries (counting shared sub-objects once per path) is an error naming `source`.
 *
 * @example
 * ```ts
 * import { flattenLeaves } from "./state_dict.ts";
 * const isNumber = (v: unknown): v is number => typeof v === "number";
 * const tree = new Map<string, unknown>([["a", new Map<string, unknown>([["b", 1], ["c", "skip"]])], ["d", [2, 3]]]);
 * console.log([...flattenLeaves(tree, isNumber).keys()]); // ["a.b", "d.0", "d.1"]
 * ```
 */
export function flattenLeaves<T>(
  value: unknown,
  isLeaf: LeafPredicate<T>,
  source = "checkpoint",
  maxEntries = 1_000_000,
): Map<string, T> {
  const out = new Map<string, T>();
  const path = new Set<unknown>();
  let visits = 0;
  const visit = (v: unknown, prefix: string) => {
    // shared sub-objects are legal (tied weights) but must not multiply into an exponential walk
    if (++visits > maxEntries) throw new Error(`${source}: object tree has more than ${maxEntries} entries`);
    if (isLeaf(v)) {
      out.set(prefix, v);
      return;
    }
    if (typeof v !== "object" || v === null || path.has(v)) return;
    let entries: Iterable<[unknown, unknown]>;
    if (v instanceof Map) entries = v.entries();
    else if (Array.isArray(v)) entries = v.entries();
    else return;
    path.add(v);
    for (const [k, child] of entries) {
      if (typeof k !== "string" && typeof k !== "number" && typeof k !== "bigint") continue;
      visit(child, prefix === "" ? String(k) : `${prefix}.${k}`);
    }
    path.delete(v);
  };
  visit(value, "");
  return out;
}

/**
 * Removes prefixes from keys: each prefix, in the given order, is stripped once if the key (as stripped
 * so far) starts with it; so `["module.", "backbone."]` turns `module.backbone.x` into `x`. Keys that
 * collide after stripping are an error naming both.
 *
 * @example
 * ```ts
 * import { stripKeyPrefixes } from "./state_dict.ts";
 * const m = new Map([["module.fc.weight", 1], ["head.bias", 2]]);
 * console.log([...stripKeyPrefixes(m, ["module."], "ckpt.pth").keys()]); // ["fc.weight", "head.bias"]
 * ```
 */
export function stripKeyPrefixes<T>(
  map: Map<string, T>,
  prefixes: readonly string[],
  source: string,
): Map<string, T> {
  if (prefixes.length === 0) return map;
  const out = new Map<string, T>();
  const original = new Map<string, string>();
  for (const [key, value] of map) {
    let k = key;
    for (const p of prefixes) if (p !== "" && k.startsWith(p)) k = k.slice(p.length);
    const clash = original.get(k);
    if (clash !== undefined) {
      throw new Error(`${source}: stripping prefixes maps both '${clash}' and '${key}' to '${k}'`);
    }
    if (k === "") throw new Error(`${source}: stripping prefixes leaves key '${key}' empty`);
    original.set(k, key);
    out.set(k, value);
  }
  return out;
}
