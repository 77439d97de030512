/**
 * Target regions for the localisation metrics: axis-aligned boxes in pixel coordinates, their union as a
 * mask, and the cells of an `n x n` grid.
 *
 * Box convention: `{ x0, y0, x1, y1 }` (xyxy; x = column, y = row). By default boxes are half-open: pixel
 * (row `y`, column `x`) is inside iff `x0 <= x < x1` and `y0 <= y < y1`, so the box covers
 * `(x1 - x0) * (y1 - y0)` pixels. With `inclusive: true` (VOC / ImageNet XML style, 0-based) the upper
 * edges are included: `x0 <= x <= x1` and `y0 <= y <= y1`. Fractional coordinates are allowed and compared
 * against the integer pixel indices as written; boxes are clipped to the image.
 *
 * @module
 */

/** An axis-aligned box in pixel coordinates (see the module doc for the half-open / inclusive rule). */
export interface Box {
  /** Left edge (column). */
  x0: number;
  /** Top edge (row). */
  y0: number;
  /** Right edge (column; exclusive unless `inclusive`). */
  x1: number;
  /** Bottom edge (row; exclusive unless `inclusive`). */
  y1: number;
}

/** Integer index range `[lo, hi)` of pixels `i` with `a <= i < b` (or `<= b` if inclusive), clipped. */
function pixelRange(a: number, b: number, size: number, inclusive: boolean): [number, number] {
  const lo = Math.max(0, Math.ceil(a));
  const hi = Math.min(size, inclusive ? Math.floor(b) + 1 : Math.ceil(b));
  return [lo, Math.max(lo, hi)];
}

/**
 * Writes the union of `boxes` into `mask` (length `h * w`, row-major; 1 inside, 0 outside) and returns
 * the number of pixels inside the union. `mask` is cleared first, so one buffer serves a whole batch.
 *
 * @example
 * ```ts
 * import { boxUnionMask } from "./regions.ts";
 * const mask = new Uint8Array(16);
 * const area = boxUnionMask([{ x0: 0, y0: 0, x1: 2, y1: 2 }, { x0: 1, y0: 1, x1: 3, y1: 3 }], 4, 4, mask);
 * console.log(area); // 7
 * ```
 */
export function boxUnionMask(
  boxes: readonly Box[],
  h: number,
  w: number,
  mask: Uint8Array,
  inclusive = false,
): number {
  mask.fill(0, 0, h * w);
  let area = 0;
  for (const box of boxes) {
    const [c0, c1] = pixelRange(box.x0, box.x1, w, inclusive);
    const [r0, r1] = pixelRange(box.y0, box.y1, h, inclusive);
    for (let y = r0; y < r1; y++) {
      for (let x = c0; x < c1; x++) {
        const i = y * w + x;
        if (mask[i] === 0) {
          mask[i] = 1;
          area++;
        }
      }
    }
  }
  return area;
}

/**
 * Sum of `values[offset + i]` over the pixels `i` of one half-open box (clipped), without a mask.
 *
 * @example
 * ```ts
 * import { boxSum } from "./regions.ts";
 * console.log(boxSum([1, 2, 3, 4], 0, 2, 2, { x0: 1, y0: 0, x1: 2, y1: 2 })); // 6
 * ```
 */
export function boxSum(values: ArrayLike<number>, offset: number, h: number, w: number, box: Box): number {
  const [c0, c1] = pixelRange(box.x0, box.x1, w, false);
  const [r0, r1] = pixelRange(box.y0, box.y1, h, false);
  let s = 0;
  for (let y = r0; y < r1; y++) {
    const row = offset + y * w;
    for (let x = c0; x < c1; x++) s += values[row + x];
  }
  return s;
}

/**
 * The half-open box of cell `cell` (row-major: `cell = row * n + col`) of an `n x n` grid over an
 * `h x w` image. Cell row `r` spans rows `[floor(r * h / n), floor((r + 1) * h / n))`, and likewise for
 * columns; when `n` divides `h` and `w` (the GridPG setting: `n` tiles of equal size) every cell is exactly
 * `h / n x w / n`, otherwise the cells differ by at most one pixel and still tile the image.
 *
 * @example
 * ```ts
 * import { gridCellBox } from "./regions.ts";
 * console.log(gridCellBox(2, 3, 448, 448)); // { x0: 224, y0: 224, x1: 448, y1: 448 }
 * ```
 */
export function gridCellBox(n: number, cell: number, h: number, w: number): Box {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gridCellBox: grid size must be >= 1, got ${n}`);
  if (!Number.isInteger(cell) || cell < 0 || cell >= n * n) {
    throw new RangeError(`gridCellBox: cell ${cell} outside a ${n}x${n} grid`);
  }
  const r = Math.floor(cell / n);
  const c = cell % n;
  return {
    x0: Math.floor((c * w) / n),
    y0: Math.floor((r * h) / n),
    x1: Math.floor(((c + 1) * w) / n),
    y1: Math.floor(((r + 1) * h) / n),
  };
}
