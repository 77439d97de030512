/**
 * Axis-aligned boxes in continuous pixel coordinates `[x0, y0, x1, y1]` (pixel column `i` spans
 * `[i, i + 1)`), with the geometric updates the transforms need.
 *
 * @module
 */

/** A labelled box, `x0 < x1`, `y0 < y1`, in pixels of the image it belongs to. */
export interface Box {
  /** Class index. */
  cls: number;
  /** Left edge. */
  x0: number;
  /** Top edge. */
  y0: number;
  /** Right edge (exclusive). */
  x1: number;
  /** Bottom edge (exclusive). */
  y1: number;
  /** VOC "difficult" flag (absent when the dataset has none). */
  difficult?: boolean;
}

/**
 * Clips boxes to `[0, width] x [0, height]`, dropping boxes left with no area.
 *
 * @example
 * ```ts
 * import { clipBoxes } from "./boxes.ts";
 * console.log(clipBoxes([{ cls: 0, x0: -2, y0: 1, x1: 5, y1: 20 }], 4, 10)); // [{cls: 0, x0: 0, y0: 1, x1: 4, y1: 10}]
 * ```
 */
export function clipBoxes(boxes: readonly Box[], width: number, height: number): Box[] {
  const out: Box[] = [];
  for (const b of boxes) {
    const x0 = Math.max(0, b.x0), y0 = Math.max(0, b.y0);
    const x1 = Math.min(width, b.x1), y1 = Math.min(height, b.y1);
    if (x1 > x0 && y1 > y0) out.push({ ...b, x0, y0, x1, y1 });
  }
  return out;
}

/**
 * Boxes after cropping the rectangle (`top`, `left`, `height`, `width`) out of their image.
 *
 * @example
 * ```ts
 * import { cropBoxes } from "./boxes.ts";
 * console.log(cropBoxes([{ cls: 1, x0: 2, y0: 2, x1: 6, y1: 6 }], 1, 3, 4, 4)); // [{cls: 1, x0: 0, y0: 1, x1: 3, y1: 4}]
 * ```
 */
export function cropBoxes(
  boxes: readonly Box[],
  top: number,
  left: number,
  height: number,
  width: number,
): Box[] {
  return clipBoxes(
    boxes.map((b) => ({ ...b, x0: b.x0 - left, x1: b.x1 - left, y0: b.y0 - top, y1: b.y1 - top })),
    width,
    height,
  );
}

/**
 * Boxes after scaling their image by `sx` horizontally and `sy` vertically.
 *
 * @example
 * ```ts
 * import { scaleBoxes } from "./boxes.ts";
 * console.log(scaleBoxes([{ cls: 0, x0: 1, y0: 1, x1: 2, y1: 3 }], 2, 0.5)); // [{cls: 0, x0: 2, y0: 0.5, x1: 4, y1: 1.5}]
 * ```
 */
export function scaleBoxes(boxes: readonly Box[], sx: number, sy: number): Box[] {
  return boxes.map((b) => ({ ...b, x0: b.x0 * sx, x1: b.x1 * sx, y0: b.y0 * sy, y1: b.y1 * sy }));
}

/**
 * Boxes after mirroring their image of width `width` left-right.
 *
 * @example
 * ```ts
 * import { flipBoxesH } from "./boxes.ts";
 * console.log(flipBoxesH([{ cls: 0, x0: 0, y0: 0, x1: 1, y1: 1 }], 4)[0].x0); // 3
 * ```
 */
export function flipBoxesH(boxes: readonly Box[], width: number): Box[] {
  return boxes.map((b) => ({ ...b, x0: width - b.x1, x1: width - b.x0 }));
}

/**
 * Intersection over union of two boxes (0 when either has no area).
 *
 * @example
 * ```ts
 * import { boxIou } from "./boxes.ts";
 * console.log(boxIou({ x0: 0, y0: 0, x1: 2, y1: 2 }, { x0: 1, y0: 0, x1: 3, y1: 2 })); // 1/3
 * ```
 */
export function boxIou(a: Omit<Box, "cls">, b: Omit<Box, "cls">): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}
