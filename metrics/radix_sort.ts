/**
 * Stable O(n) sorting of float32 values by LSD radix sort on their bit patterns, for the per-map sorts of
 * pixel deletion and the Gini index (an order of magnitude faster than a comparator sort on 224 x 224
 * maps, and deterministic: equal values keep ascending index order in both directions).
 *
 * Keys: a float32 bit pattern is mapped to an unsigned key that orders like the value (negative numbers
 * have all bits flipped, non-negative ones get the sign bit set); `-0` is read as `+0` so the two zeros
 * tie. Descending order sorts the complemented keys, so ties still keep ascending index order. NaN has no
 * place in this order: callers reject or remove it first.
 *
 * @module
 */

/** Reusable buffers for {@link sortPermutationFloat32} over maps of up to `capacity` values. */
export interface RadixWorkspace {
  /** Capacity in values. */
  capacity: number;
  /** Key buffers (ping-pong). */
  keys: [Uint32Array, Uint32Array];
  /** Index buffers (ping-pong). */
  index: [Uint32Array, Uint32Array];
  /** Digit histogram. */
  count: Uint32Array;
}

/**
 * Allocates a workspace for sorting up to `capacity` values.
 *
 * @example
 * ```ts
 * import { radixWorkspace } from "./radix_sort.ts";
 * const ws = radixWorkspace(224 * 224);
 * console.log(ws.capacity); // 50176
 * ```
 */
export function radixWorkspace(capacity: number): RadixWorkspace {
  return {
    capacity,
    keys: [new Uint32Array(capacity), new Uint32Array(capacity)],
    index: [new Uint32Array(capacity), new Uint32Array(capacity)],
    count: new Uint32Array(256),
  };
}

/**
 * The permutation that sorts `values[offset .. offset + n)` ascending (or descending), ties by ascending
 * index: entry `k` is the (0-based, relative to `offset`) index of the k-th value. The result is a view
 * into `ws`, valid until the workspace is used again. Values must not be NaN.
 *
 * @example
 * ```ts
 * import { radixWorkspace, sortPermutationFloat32 } from "./radix_sort.ts";
 * const v = Float32Array.of(0.4, 0.1, -2, 0.1);
 * console.log(sortPermutationFloat32(v, 0, 4, false, radixWorkspace(4))); // Uint32Array [2, 1, 3, 0]
 * console.log(sortPermutationFloat32(v, 0, 4, true, radixWorkspace(4))); // Uint32Array [0, 1, 3, 2]
 * ```
 */
export function sortPermutationFloat32(
  values: Float32Array,
  offset: number,
  n: number,
  descending: boolean,
  ws: RadixWorkspace,
): Uint32Array {
  if (n > ws.capacity) {
    throw new RangeError(`sortPermutationFloat32: ${n} values exceed capacity ${ws.capacity}`);
  }
  if (offset < 0 || offset + n > values.length) {
    throw new RangeError(`sortPermutationFloat32: range out of bounds`);
  }
  const bits = new Uint32Array(values.buffer, values.byteOffset + 4 * offset, n);
  let keys = ws.keys[0];
  let idx = ws.index[0];
  let keysOut = ws.keys[1];
  let idxOut = ws.index[1];
  for (let i = 0; i < n; i++) {
    let b = bits[i];
    if (b === 0x80000000) b = 0; // -0 -> +0
    let k = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    if (descending) k = ~k >>> 0;
    keys[i] = k;
    idx[i] = i;
  }
  const count = ws.count;
  for (let shift = 0; shift < 32; shift += 8) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & 255]++;
    if (count[(keys[0] >>> shift) & 255] === n) continue; // every key has this digit: pass is a no-op
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const pos = count[(keys[i] >>> shift) & 255]++;
      keysOut[pos] = keys[i];
      idxOut[pos] = idx[i];
    }
    [keys, keysOut] = [keysOut, keys];
    [idx, idxOut] = [idxOut, idx];
  }
  return idx.subarray(0, n);
}
