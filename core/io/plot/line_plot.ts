/**
 * Line and scatter plots: series of (x, y) points drawn as lines, markers or both, with optional
 * shaded bands (e.g. a confidence interval around a mean curve) and error bars; NaN points break the
 * line. Used for deletion curves, loss curves and accuracy-vs-localisation scatter plots.
 *
 * @module
 */
import type { Canvas } from "./canvas.ts";
import { type Color, paletteColor } from "./color.ts";
import { drawFrame, type LegendEntry } from "./frame.ts";

/** One series. */
export interface LineSeries {
  /** Legend label (omit to leave the series out of the legend). */
  label?: string;
  /** x values. */
  x: readonly number[];
  /** y values (NaN: gap). */
  y: readonly number[];
  /** Colour (default: the palette colour of the series index). */
  color?: Color;
  /** Draw a connecting line (default true). */
  line?: boolean;
  /** Dashed line. */
  dashed?: boolean;
  /** Markers at the points (default none). */
  markers?: "filled" | "hollow" | "none";
  /** Line width in pixels (default 2 x font scale / 2 + 1). */
  thickness?: number;
  /** Shaded band between `lo` and `hi` per point. */
  band?: { lo: readonly number[]; hi: readonly number[] };
  /** Vertical error bars from `lo` to `hi` per point. */
  yErr?: { lo: readonly number[]; hi: readonly number[] };
  /** Horizontal error bars from `lo` to `hi` per point. */
  xErr?: { lo: readonly number[]; hi: readonly number[] };
}

/** Options of {@link linePlot}. */
export interface LinePlotOptions {
  /** The series. */
  series: readonly LineSeries[];
  /** Title. */
  title?: string;
  /** x-axis label. */
  xLabel?: string;
  /** y-axis label. */
  yLabel?: string;
  /** x range (default: the data's, widened to nice ticks). */
  xRange?: [number, number];
  /** y range (default: the data's, widened to nice ticks). */
  yRange?: [number, number];
  /** Canvas width (default 720). */
  width?: number;
  /** Canvas height (default 440). */
  height?: number;
  /** Integer font scale (default 2). */
  scale?: number;
  /** Extra legend entries (e.g. marker meanings). */
  extraLegend?: readonly LegendEntry[];
}

function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * Renders a line / scatter plot.
 *
 * @example
 * ```ts
 * import { linePlot } from "./line_plot.ts";
 * const c = linePlot({ series: [{ label: "CE", x: [0, 0.5, 1], y: [0.9, 0.6, 0.1] }], xLabel: "fraction deleted" });
 * console.log(c.width, c.height); // 720 440
 * ```
 */
export function linePlot(o: LinePlotOptions): Canvas {
  const s = o.scale ?? 2;
  const xs = o.series.flatMap((se) => [...se.x, ...(se.xErr?.lo ?? []), ...(se.xErr?.hi ?? [])]);
  const ys = o.series.flatMap((se) => [
    ...se.y,
    ...(se.band?.lo ?? []),
    ...(se.band?.hi ?? []),
    ...(se.yErr?.lo ?? []),
    ...(se.yErr?.hi ?? []),
  ]);
  // Scatter plots get a 5% margin so markers at the extremes are not cut by the axes.
  const padded = o.series.some((se) => se.markers === "filled" || se.markers === "hollow");
  const widen = ([lo, hi]: [number, number]): [number, number] => {
    const m = padded ? 0.05 * (hi - lo || Math.abs(lo) || 1) : 0;
    return [lo - m, hi + m];
  };
  const [xmin, xmax] = o.xRange ?? widen(extent(xs));
  const [ymin, ymax] = o.yRange ?? widen(extent(ys));
  const colorOf = (i: number) => o.series[i].color ?? paletteColor(i);
  const legend: LegendEntry[] = o.series.flatMap((se, i) =>
    se.label === undefined ? [] : [{
      label: se.label,
      color: colorOf(i),
      style: se.line === false
        ? (se.markers === "hollow" ? "hollow" : "filled")
        : se.dashed
        ? "dashed"
        : "line",
    } as LegendEntry]
  );
  legend.push(...(o.extraLegend ?? []));
  const f = drawFrame({
    width: o.width ?? 720,
    height: o.height ?? 440,
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.yLabel,
    x: { kind: "linear", min: xmin, max: xmax, exact: o.xRange !== undefined },
    y: { kind: "linear", min: ymin, max: ymax, exact: o.yRange !== undefined },
    legend,
    scale: s,
  });
  const c = f.canvas;
  const { x0, x1, y0, y1 } = f.area;
  const clipX = (v: number) => Math.max(x0, Math.min(x1, v));
  const clipY = (v: number) => Math.max(y0, Math.min(y1, v));
  o.series.forEach((se, i) => {
    const col = colorOf(i);
    if (se.band) {
      const shade: Color = [col[0], col[1], col[2], 60];
      for (let k = 0; k + 1 < se.x.length; k++) {
        const xa = f.px(se.x[k]), xb = f.px(se.x[k + 1]);
        const vals = [se.band.lo[k], se.band.hi[k], se.band.lo[k + 1], se.band.hi[k + 1]];
        if (!vals.every(Number.isFinite)) continue;
        for (let px = Math.round(clipX(xa)); px < Math.round(clipX(xb)); px++) {
          const t = (px - xa) / (xb - xa || 1);
          const lo = f.py(se.band.lo[k] + t * (se.band.lo[k + 1] - se.band.lo[k]));
          const hi = f.py(se.band.hi[k] + t * (se.band.hi[k + 1] - se.band.hi[k]));
          const top = clipY(Math.min(lo, hi)), bot = clipY(Math.max(lo, hi));
          c.fillRect(px, top, 1, bot - top + 1, shade);
        }
      }
    }
    const th = se.thickness ?? s + 1;
    const errCol: Color = [col[0], col[1], col[2], 200];
    for (let k = 0; k < se.x.length; k++) {
      if (
        se.yErr && Number.isFinite(se.yErr.lo[k]) && Number.isFinite(se.yErr.hi[k]) &&
        Number.isFinite(se.x[k])
      ) {
        const x = f.px(se.x[k]);
        const a = clipY(f.py(se.yErr.lo[k])), b = clipY(f.py(se.yErr.hi[k]));
        c.line(x, a, x, b, errCol, s);
        c.line(x - 3 * s, a, x + 3 * s, a, errCol, s);
        c.line(x - 3 * s, b, x + 3 * s, b, errCol, s);
      }
      if (
        se.xErr && Number.isFinite(se.xErr.lo[k]) && Number.isFinite(se.xErr.hi[k]) &&
        Number.isFinite(se.y[k])
      ) {
        const y = f.py(se.y[k]);
        const a = clipX(f.px(se.xErr.lo[k])), b = clipX(f.px(se.xErr.hi[k]));
        c.line(a, y, b, y, errCol, s);
        c.line(a, y - 3 * s, a, y + 3 * s, errCol, s);
        c.line(b, y - 3 * s, b, y + 3 * s, errCol, s);
      }
    }
    if (se.line !== false) {
      for (let k = 0; k + 1 < se.x.length; k++) {
        const pts = [se.x[k], se.y[k], se.x[k + 1], se.y[k + 1]];
        if (!pts.every(Number.isFinite)) continue;
        c.line(
          f.px(se.x[k]),
          f.py(se.y[k]),
          f.px(se.x[k + 1]),
          f.py(se.y[k + 1]),
          col,
          th,
          se.dashed ? [8, 5] : undefined,
        );
      }
    }
    if (se.markers && se.markers !== "none") {
      for (let k = 0; k < se.x.length; k++) {
        if (!Number.isFinite(se.x[k]) || !Number.isFinite(se.y[k])) continue;
        const r = 3 + 1.5 * s;
        if (se.markers === "hollow") c.circle(f.px(se.x[k]), f.py(se.y[k]), r, [255, 255, 255, 255], true);
        c.circle(f.px(se.x[k]), f.py(se.y[k]), r, col, se.markers === "filled", s);
      }
    }
  });
  return c;
}
