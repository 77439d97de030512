import assert from "node:assert/strict";
import { radixWorkspace, sortPermutationFloat32 } from "../../metrics/radix_sort.ts";
import { giniIndex } from "../../metrics/complexity.ts";
import { assertClose } from "../util/assert_close.ts";

/** Reference: comparator sort by (value, index), ascending or descending in value. */
function reference(v: Float32Array, descending: boolean): number[] {
  const idx = Array.from(v, (_, i) => i);
  const sign = descending ? -1 : 1;
  return idx.sort((a, b) => (v[a] === v[b] ? a - b : v[a] < v[b] ? -sign : sign));
}

function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  const pool = [0, -0, 1, -1, 0.5, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38];
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s % 7 === 0 ? pool[s % pool.length] : (s / 2147483648 - 0.5) * 2 ** ((s % 40) - 20);
  }
  return out;
}

Deno.test("sortPermutationFloat32: matches a (value, index) comparator sort in both directions", () => {
  const ws = radixWorkspace(5000);
  for (const seed of [1, 2, 3]) {
    const v = pseudoRandom(5000, seed);
    for (const desc of [false, true]) {
      assert.deepEqual(Array.from(sortPermutationFloat32(v, 0, v.length, desc, ws)), reference(v, desc));
    }
  }
});

Deno.test("sortPermutationFloat32: -0 ties with +0, offsets and capacity", () => {
  const v = Float32Array.of(9, 9, 0, -0, 0, -1);
  assert.deepEqual(Array.from(sortPermutationFloat32(v, 2, 4, false, radixWorkspace(4))), [3, 0, 1, 2]);
  assert.deepEqual(Array.from(sortPermutationFloat32(v, 2, 4, true, radixWorkspace(4))), [0, 1, 2, 3]);
  assert.throws(() => sortPermutationFloat32(v, 0, 6, false, radixWorkspace(4)), RangeError);
  assert.throws(() => sortPermutationFloat32(v, 4, 4, false, radixWorkspace(8)), RangeError);
});

Deno.test("giniIndex: agrees with the standard formula on random maps", () => {
  const b = 3, n = 400;
  const data = pseudoRandom(b * n, 7).map((x) => (Number.isFinite(x) ? x : 0));
  const got = giniIndex({ shape: [b, 20, 20], data });
  for (let i = 0; i < b; i++) {
    const x = Array.from(data.subarray(i * n, (i + 1) * n), (v) => Math.max(v, 0)).sort((p, q) => p - q);
    const total = x.reduce((s, v) => s + v, 0);
    const g = x.reduce((s, v, k) => s + (2 * (k + 1) - n - 1) * v, 0) / (n * total);
    assertClose([got[i]], [g], 1e-9, `map ${i}`);
  }
});
