/**
 * A tiny raster plotting library with a built-in 5x7 bitmap font, for the report's figures: line and
 * scatter plots ({@link linePlot}), grouped bar charts with error bars ({@link groupedBarChart}) and image
 * grids with captions ({@link imageGrid}), plus colormaps for signed heatmaps and B-cos RGBA renderings.
 * Everything draws into a {@link Canvas}; save it with `writePng(path, canvas.toImage())`.
 *
 * @example
 * ```ts
 * import { linePlot } from "./mod.ts";
 * import { encodeRgbaPng } from "../png.ts";
 * const canvas = linePlot({ series: [{ label: "loss", x: [0, 1, 2], y: [2.3, 1.1, 0.7] }], xLabel: "epoch" });
 * console.log(encodeRgbaPng(canvas.toImage()).length > 0); // true
 * ```
 *
 * @module
 */
export { Canvas, type TextOptions } from "./canvas.ts";
export {
  BLACK,
  type Color,
  GRID,
  hex,
  INK,
  LOSS_COLORS,
  MUTED,
  PALETTE,
  paletteColor,
  signedColor,
  WHITE,
} from "./color.ts";
export {
  CHAR_ADVANCE,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  glyphRows,
  LINE_HEIGHT,
  textHeight,
  textWidth,
} from "./font.ts";
export { formatTick, niceTicks, type Ticks } from "./ticks.ts";
export {
  type BandAxis,
  drawFrame,
  drawSwatch,
  type Frame,
  type FrameOptions,
  type LegendEntry,
  type LinearAxis,
  wrapLabel,
} from "./frame.ts";
export { linePlot, type LinePlotOptions, type LineSeries } from "./line_plot.ts";
export { type BarChartOptions, type BarSeries, groupedBarChart } from "./bar_chart.ts";
export { absPercentile, imageToRgba, rgbaOver, signedHeatmap, type SignedHeatmapOptions } from "./heatmap.ts";
export { imageGrid, type ImageGridOptions, shrinkToFit } from "./image_grid.ts";
