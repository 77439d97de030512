import assert from "node:assert/strict";
import { flattenLeaves, selectStateDict, stripKeyPrefixes } from "../../../core/io/state_dict.ts";

const isNumber = (v: unknown): v is number => typeof v === "number";

Deno.test("state dict: selection order, explicit entries and nested paths", () => {
  const teacher = new Map<string, unknown>([["w", 1]]);
  const root = new Map<string, unknown>([
    ["student", new Map<string, unknown>([["w", 2]])],
    ["teacher", teacher],
    ["model", "not a dict"],
    ["ema", new Map<string, unknown>([["inner", new Map<string, unknown>([["w", 3]])]])],
  ]);
  assert.deepEqual(selectStateDict(root, undefined, isNumber, "c.pth"), { value: teacher, path: "teacher" });
  assert.equal(selectStateDict(root, "ema/inner", isNumber, "c.pth").path, "ema/inner");
  assert.throws(
    () => selectStateDict(root, "ema/nope", isNumber, "c.pth"),
    /c\.pth: entry 'ema\/nope' not found/,
  );
  const flat = new Map<string, unknown>([["a", 1], ["state_dict", "x"]]);
  assert.equal(selectStateDict(flat, undefined, isNumber, "f.pth").path, "");
  assert.throws(
    () => selectStateDict(new Map([["a", "b"]]), undefined, isNumber, "n.pth"),
    /n\.pth: no tensors found/,
  );
});

Deno.test("state dict: flattening keeps leaves, skips cycles and bounds shared-subtree blowups", () => {
  const list: unknown[] = [1];
  list.push(list); // a cycle
  const flat = flattenLeaves(
    new Map<unknown, unknown>([["l", list], [0, new Map([["x", 2]])], [null, 3]]),
    isNumber,
  );
  assert.deepEqual([...flat], [["l.0", 1], ["0.x", 2]]);
  // 40 levels of [node, node] reference 2^40 paths: refused instead of walked
  let node: unknown = [1];
  for (let i = 0; i < 40; i++) node = [node, node];
  assert.throws(
    () => flattenLeaves(node, isNumber, "bomb.pth", 10_000),
    /bomb\.pth: object tree has more than 10000 entries/,
  );
  assert.equal(flattenLeaves([[1, 2], [3]], isNumber, "ok.pth", 6).size, 3);
  assert.throws(() => flattenLeaves([[1, 2], [3]], isNumber, "ok.pth", 5), /more than 5 entries/);
});

Deno.test("state dict: prefix stripping applies prefixes in order and reports collisions", () => {
  const m = new Map([["module.backbone.a", 1], ["module.b", 2], ["c", 3]]);
  assert.deepEqual([...stripKeyPrefixes(m, ["module.", "backbone."], "s.pth").keys()], ["a", "b", "c"]);
  assert.deepEqual([...stripKeyPrefixes(m, ["backbone.", "module."], "s.pth").keys()], [
    "backbone.a",
    "b",
    "c",
  ]);
  assert.throws(
    () => stripKeyPrefixes(new Map([["module.a", 1], ["a", 2]]), ["module."], "s.pth"),
    /s\.pth: stripping prefixes maps both 'module\.a' and 'a' to 'a'/,
  );
});
