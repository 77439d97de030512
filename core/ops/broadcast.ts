/**
 * Broadcasting rules (NumPy's) and stride helpers shared by elementwise and reduction ops.
 *
 * @module
 */

/** Highest rank the elementwise and reduction kernels address. */
export const MAX_RANK = 6;

/**
 * The broadcast shape of several shapes, or an error naming the op and the shapes.
 *
 * @example
 * ```ts
 * import { broadcastShapes } from "./broadcast.ts";
 * console.log(broadcastShapes("add", [2, 1, 3], [4, 1])); // [2, 4, 3]
 * ```
 */
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const v = k >= 0 ? s[k] : 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) {
          throw new RangeError(`${op}: shapes ${shapes.map((x) => `[${x}]`).join(" and ")} do not broadcast`);
        }
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/**
 * Row-major strides of a shape.
 *
 * @example
 * ```ts
 * import { contiguousStrides } from "./broadcast.ts";
 * console.log(contiguousStrides([2, 3, 4])); // [12, 4, 1]
 * ```
 */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Strides with which an input of `shape` is read at each index of `outShape` (0 on broadcast axes).
 *
 * @example
 * ```ts
 * import { broadcastStrides } from "./broadcast.ts";
 * console.log(broadcastStrides([3], [2, 3])); // [0, 1]
 * ```
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  return outShape.map((_, i) => {
    const k = shape.length - outShape.length + i;
    return k < 0 || shape[k] === 1 ? 0 : own[k];
  });
}

/**
 * Pads a list to `MAX_RANK` entries with `fill`.
 *
 * @example
 * ```ts
 * import { pad6 } from "./broadcast.ts";
 * console.log(pad6([2, 3], 1).length); // 6
 * ```
 */
export function pad6(values: readonly number[], fill = 0): number[] {
  if (values.length > MAX_RANK) throw new RangeError(`rank ${values.length} exceeds ${MAX_RANK}`);
  return [...values, ...new Array(MAX_RANK - values.length).fill(fill)];
}

/**
 * Drops leading size-1 axes beyond `MAX_RANK` and merges nothing else; throws for true rank > 6.
 *
 * @example
 * ```ts
 * import { sameShape } from "./broadcast.ts";
 * console.log(sameShape([2, 3], [2, 3])); // true
 * ```
 */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
