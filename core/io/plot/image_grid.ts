/**
 * Image grids with row and column captions (qualitative figures: input images and heatmaps of several
 * methods / probes side by side). Cells are scaled by an integer factor (nearest neighbour) to fill
 * `cellSize`; an empty cell (null) shows a light gray box with `n/a`.
 *
 * @module
 */
import type { RgbaImage } from "../png.ts";
import { Canvas } from "./canvas.ts";
import { INK, MUTED, WHITE } from "./color.ts";
import { CHAR_ADVANCE, textHeight, textWidth } from "./font.ts";
import { wrapLabel } from "./frame.ts";

/**
 * Nearest-neighbour shrink of `img` so that its longer side is `size` (aspect kept).
 *
 * @example
 * ```ts
 * import { shrinkToFit } from "./image_grid.ts";
 * const img = shrinkToFit({ width: 4, height: 2, data: new Uint8Array(32) }, 2);
 * console.log(img.width, img.height); // 2 1
 * ```
 */
export function shrinkToFit(img: RgbaImage, size: number): RgbaImage {
  const f = size / Math.max(img.width, img.height);
  const w = Math.max(1, Math.round(img.width * f)), h = Math.max(1, Math.round(img.height * f));
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(img.height - 1, Math.floor((y + 0.5) / f));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(img.width - 1, Math.floor((x + 0.5) / f));
      data.set(img.data.subarray(4 * (sy * img.width + sx), 4 * (sy * img.width + sx) + 4), 4 * (y * w + x));
    }
  }
  return { width: w, height: h, data };
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Rows of cells (rows may have different lengths; null cells are drawn as `n/a`). */
  cells: readonly (readonly (RgbaImage | null)[])[];
  /** Caption left of each row. */
  rowLabels?: readonly string[];
  /** Caption above each column. */
  colLabels?: readonly string[];
  /** Title above the grid. */
  title?: string;
  /** Target cell side in pixels (default 112); images are scaled by the largest integer that fits. */
  cellSize?: number;
  /** Gap between cells (default 6). */
  gap?: number;
  /** Integer font scale (default 2). */
  scale?: number;
}

/**
 * Renders an image grid.
 *
 * @example
 * ```ts
 * import { imageGrid } from "./image_grid.ts";
 * const px = { width: 2, height: 2, data: new Uint8Array(16).fill(200) };
 * const c = imageGrid({ cells: [[px, null]], colLabels: ["image", "B-cos"], rowLabels: ["CE"], cellSize: 32 });
 * console.log(c.width > 64, c.height > 32); // true true
 * ```
 */
export function imageGrid(o: ImageGridOptions): Canvas {
  const s = o.scale ?? 2;
  const th = textHeight(s);
  const gap = o.gap ?? 6;
  const cell = o.cellSize ?? 112;
  const rows = o.cells.length;
  const cols = Math.max(1, ...o.cells.map((r) => r.length), o.colLabels?.length ?? 0);
  const pad = 6 * s;
  const rowLabelW = o.rowLabels?.length ? Math.max(...o.rowLabels.map((l) => textWidth(l, s))) + pad : 0;
  const maxColChars = Math.floor((cell + gap) / (CHAR_ADVANCE * s));
  const colLines = (o.colLabels ?? []).map((l) => wrapLabel(l, maxColChars, 2));
  const colLabelH = colLines.length ? Math.max(...colLines.map((l) => l.length)) * (th + 2 * s) + s : 0;
  const titleH = o.title ? th + pad : 0;
  const width = pad + rowLabelW + cols * cell + (cols - 1) * gap + pad;
  const height = pad + titleH + colLabelH + rows * cell + Math.max(0, rows - 1) * gap + pad;
  const c = new Canvas(Math.max(width, o.title ? textWidth(o.title, s) + 2 * pad : 0), height, WHITE);
  if (o.title) c.text(pad, pad, o.title, INK, { scale: s });
  const gx0 = pad + rowLabelW, gy0 = pad + titleH + colLabelH;
  colLines.forEach((lines, j) => {
    const cx = gx0 + j * (cell + gap) + cell / 2;
    lines.forEach((l, k) =>
      c.text(cx, pad + titleH + k * (th + 2 * s), l, INK, { scale: s, align: "center" })
    );
  });
  o.cells.forEach((row, i) => {
    const y = gy0 + i * (cell + gap);
    if (o.rowLabels?.[i]) c.text(pad, y + cell / 2, o.rowLabels[i], INK, { scale: s, valign: "middle" });
    for (let j = 0; j < cols; j++) {
      const x = gx0 + j * (cell + gap);
      const img = row[j] ?? null;
      if (!img) {
        c.fillRect(x, y, cell, cell, [240, 240, 240, 255]);
        c.text(x + cell / 2, y + cell / 2, "n/a", MUTED, { scale: s, align: "center", valign: "middle" });
        continue;
      }
      const fit = img.width > cell || img.height > cell ? shrinkToFit(img, cell) : img;
      const k = Math.max(1, Math.floor(Math.min(cell / fit.width, cell / fit.height)));
      const ox = x + Math.floor((cell - fit.width * k) / 2), oy = y + Math.floor((cell - fit.height * k) / 2);
      c.drawImage(fit, ox, oy, k);
      c.strokeRect(x - 1, y - 1, cell + 2, cell + 2, [200, 200, 200, 255], 1);
    }
  });
  return c;
}
