/**
 * Qualitative heatmap grids from `results.json`: each cell is a signed map (blue-white-red, symmetric
 * about 0 at the 99.5th percentile of |map|), a B-cos RGBA rendering (composited over white) or an input
 * image, given inline or as a file next to results.json (`.png` used as is, `.f32` raw little-endian
 * float32 of the cell's shape). A cell that cannot be read is drawn as `n/a` and reported.
 *
 * @module
 */
import { imageGrid } from "../../../core/io/plot/image_grid.ts";
import { imageToRgba, rgbaOver, signedHeatmap } from "../../../core/io/plot/heatmap.ts";
import { readPng, type RgbaImage } from "../../../core/io/png.ts";
import type { QualitativeCell, QualitativeGrid } from "../results.ts";
import { type Figure, figureFile } from "./figure.ts";

async function cellValues(cell: QualitativeCell, baseDir: string): Promise<ArrayLike<number>> {
  if (cell.data) return cell.data;
  const bytes = await Deno.readFile(`${baseDir}/${cell.file}`);
  if (bytes.byteLength % 4 !== 0) {
    throw new Error(`${cell.file}: ${bytes.byteLength} bytes is not float32 data`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}

/**
 * Renders one cell to an RGBA picture (throws with the reason when it cannot).
 *
 * @example
 * ```ts
 * import { renderCell } from "./qualitative.ts";
 * const img = await renderCell({ kind: "signed", shape: [1, 2], data: [-1, 1] }, ".");
 * console.log(img.width, img.height); // 2 1
 * ```
 */
export async function renderCell(cell: QualitativeCell, baseDir: string): Promise<RgbaImage> {
  if (cell.file?.toLowerCase().endsWith(".png")) return await readPng(`${baseDir}/${cell.file}`);
  const v = await cellValues(cell, baseDir);
  const size = cell.shape.reduce((a, b) => a * b, 1);
  if (v.length !== size) throw new Error(`${v.length} values for shape [${cell.shape}]`);
  const [h, w] = cell.shape.slice(-2);
  switch (cell.kind) {
    case "signed":
      if (cell.shape.length === 3 && cell.shape[0] !== 1) {
        throw new Error(`signed maps are [H, W], got [${cell.shape}]`);
      }
      return signedHeatmap(v, h, w);
    case "rgba":
      if (cell.shape.length !== 3 || cell.shape[0] !== 4) {
        throw new Error(`rgba cells are [4, H, W], got [${cell.shape}]`);
      }
      return rgbaOver(v, h, w);
    case "image":
      return imageToRgba(v, cell.shape.length === 3 ? cell.shape[0] : 1, h, w);
  }
}

/**
 * Renders the qualitative grids; `problems` lists cells that could not be drawn.
 *
 * @example
 * ```ts
 * import { qualitativeFigures } from "./qualitative.ts";
 * const { figures } = await qualitativeFigures([{ title: "t", rowLabels: ["CE"], colLabels: ["B-cos"],
 *   cells: [[{ kind: "signed", shape: [2, 2], data: [1, 0, 0, -1] }]] }], ".");
 * console.log(figures.length); // 1
 * ```
 */
export async function qualitativeFigures(
  grids: readonly QualitativeGrid[],
  baseDir: string,
): Promise<{ figures: Figure[]; problems: string[] }> {
  const figures: Figure[] = [];
  const problems: string[] = [];
  for (let g = 0; g < grids.length; g++) {
    const grid = grids[g];
    const cells: (RgbaImage | null)[][] = [];
    for (let i = 0; i < grid.cells.length; i++) {
      const row: (RgbaImage | null)[] = [];
      for (let j = 0; j < grid.cells[i].length; j++) {
        const cell = grid.cells[i][j];
        if (!cell) {
          row.push(null);
          continue;
        }
        try {
          row.push(await renderCell(cell, baseDir));
        } catch (e) {
          problems.push(`'${grid.title}' row ${i + 1}, column ${j + 1}: ${(e as Error).message}`);
          row.push(null);
        }
      }
      cells.push(row);
    }
    figures.push({
      file: figureFile("qualitative", [String(g + 1)]),
      caption: grid.title,
      canvas: imageGrid({
        title: grid.title,
        cells,
        rowLabels: grid.rowLabels,
        colLabels: grid.colLabels,
        cellSize: 112,
      }),
    });
  }
  return { figures, problems };
}
