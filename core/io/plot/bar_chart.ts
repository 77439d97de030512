/**
 * Grouped bar charts with error bars: one group per category on the x axis, one bar per series in each
 * group (e.g. GridPG per explainer, CE vs BCE, with 95% confidence intervals). A missing value (NaN)
 * leaves its slot empty and marks it `n/a`.
 *
 * @module
 */
import type { Canvas } from "./canvas.ts";
import { type Color, INK, MUTED, paletteColor } from "./color.ts";
import { drawFrame } from "./frame.ts";
import { CHAR_ADVANCE } from "./font.ts";

/** One series of bars (one bar per group). */
export interface BarSeries {
  /** Legend label. */
  label: string;
  /** Bar heights per group (NaN: missing). */
  values: readonly number[];
  /** Lower ends of the error bars per group (optional; NaN: none). */
  lo?: readonly number[];
  /** Upper ends of the error bars per group. */
  hi?: readonly number[];
  /** Colour (default: palette colour of the series index). */
  color?: Color;
}

/** Options of {@link groupedBarChart}. */
export interface BarChartOptions {
  /** Group labels (x axis). */
  groups: readonly string[];
  /** The series. */
  series: readonly BarSeries[];
  /** Title. */
  title?: string;
  /** y-axis label. */
  yLabel?: string;
  /** x-axis label. */
  xLabel?: string;
  /** y range (default: 0 to the largest value or error bar, widened to nice ticks). */
  yRange?: [number, number];
  /** Canvas width (default: enough for the groups, at least 640). */
  width?: number;
  /** Canvas height (default 440). */
  height?: number;
  /** Integer font scale (default 2). */
  scale?: number;
  /** Print each bar's value above it (default false). */
  valueLabels?: boolean;
  /** Digits of value labels (default 0). */
  valueDigits?: number;
}

/**
 * Renders a grouped bar chart.
 *
 * @example
 * ```ts
 * import { groupedBarChart } from "./bar_chart.ts";
 * const c = groupedBarChart({
 *   groups: ["B-cos", "IntGrad"],
 *   series: [{ label: "CE", values: [15, 24] }, { label: "BCE", values: [87, 86], lo: [80, 81], hi: [90, 89] }],
 *   yLabel: "GridPG (%)",
 * });
 * console.log(c.height); // 440
 * ```
 */
export function groupedBarChart(o: BarChartOptions): Canvas {
  const s = o.scale ?? 2;
  const nSeries = Math.max(1, o.series.length);
  const all = o.series.flatMap((se) => [...se.values, ...(se.lo ?? []), ...(se.hi ?? [])]).filter(
    Number.isFinite,
  );
  const dataMax = all.length ? Math.max(0, ...all) : 1;
  const dataMin = all.length ? Math.min(0, ...all) : 0;
  const [ymin, ymax] = o.yRange ?? [dataMin, dataMax > dataMin ? dataMax : dataMin + 1];
  // Wide enough that bars are at least 14 px x scale and the longest word of a group label fits.
  const longestWord = Math.max(1, ...o.groups.flatMap((g) => g.split(/[ /]/).map((w) => w.length)));
  const legendW = Math.max(0, ...o.series.map((se) => se.label.length)) * CHAR_ADVANCE * s + 24 * s;
  const band = Math.max(nSeries * 14 * s + 10 * s, (longestWord + 1) * CHAR_ADVANCE * s);
  const width = o.width ?? Math.max(640, 120 + legendW + o.groups.length * band);
  const f = drawFrame({
    width,
    height: o.height ?? 440,
    title: o.title,
    xLabel: o.xLabel,
    yLabel: o.yLabel,
    x: { kind: "band", labels: o.groups },
    y: { kind: "linear", min: ymin, max: ymax, exact: o.yRange !== undefined },
    legend: o.series.map((se, i) => ({ label: se.label, color: se.color ?? paletteColor(i), style: "box" })),
    scale: s,
  });
  const c = f.canvas;
  const { y0, y1 } = f.area;
  const clipY = (v: number) => Math.max(y0, Math.min(y1, v));
  const inner = f.bandWidth * 0.8;
  const barW = inner / nSeries;
  const base = clipY(f.py(Math.max(f.yTicks.lo, Math.min(f.yTicks.hi, 0))));
  o.groups.forEach((_, g) => {
    const left = f.px(g) - inner / 2;
    o.series.forEach((se, k) => {
      const col = se.color ?? paletteColor(k);
      const bx = Math.round(left + k * barW + barW * 0.08);
      const bw = Math.max(1, Math.round(barW * 0.84));
      const v = se.values[g];
      if (!Number.isFinite(v)) {
        c.text(bx + bw / 2, base - 2 * s, "n/a", MUTED, {
          scale: Math.max(1, s - 1),
          align: "center",
          valign: "bottom",
        });
        return;
      }
      const top = clipY(f.py(v));
      c.fillRect(bx, Math.min(top, base), bw, Math.abs(base - top) + 1, col);
      const lo = se.lo?.[g], hi = se.hi?.[g];
      let labelY = Math.min(top, base);
      if (lo !== undefined && hi !== undefined && Number.isFinite(lo) && Number.isFinite(hi)) {
        const a = clipY(f.py(lo)), b = clipY(f.py(hi));
        const cx = bx + bw / 2;
        const cap = Math.max(2 * s, Math.round(bw * 0.25));
        c.line(cx, a, cx, b, INK, s);
        c.line(cx - cap, a, cx + cap, a, INK, s);
        c.line(cx - cap, b, cx + cap, b, INK, s);
        labelY = Math.min(labelY, b);
      }
      if (o.valueLabels) {
        c.text(bx + bw / 2, labelY - 2 * s, v.toFixed(o.valueDigits ?? 0), INK, {
          scale: Math.max(1, s - 1),
          align: "center",
          valign: "bottom",
        });
      }
    });
  });
  return c;
}
