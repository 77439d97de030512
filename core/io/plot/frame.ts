/**
 * The shared layout of a chart: title, plot area, axes with ticks and labels, light horizontal grid
 * lines and a legend to the right of the plot area (so it never hides data). The x axis is either
 * linear (numeric ticks) or banded (one slot per category, labels wrapped to fit); the y axis is linear.
 *
 * @module
 */
import { Canvas } from "./canvas.ts";
import { type Color, GRID, INK, WHITE } from "./color.ts";
import { CHAR_ADVANCE, textHeight, textWidth } from "./font.ts";
import { formatTick, niceTicks, type Ticks } from "./ticks.ts";

/** A legend entry. */
export interface LegendEntry {
  /** Text. */
  label: string;
  /** Colour. */
  color: Color;
  /** Swatch: a line, a dashed line, a filled box, or a filled / hollow marker (default `line`). */
  style?: "line" | "dashed" | "box" | "filled" | "hollow";
}

/** A linear axis. */
export interface LinearAxis {
  /** Axis kind. */
  kind: "linear";
  /** Data minimum (the axis is widened to nice ticks unless `exact`). */
  min: number;
  /** Data maximum. */
  max: number;
  /** Use `[min, max]` as the axis ends (ticks inside it). */
  exact?: boolean;
  /** Approximate tick count (default 5). */
  ticks?: number;
}

/** A banded (categorical) axis. */
export interface BandAxis {
  /** Axis kind. */
  kind: "band";
  /** One label per band. */
  labels: readonly string[];
}

/** Options of {@link drawFrame}. */
export interface FrameOptions {
  /** Canvas width in pixels. */
  width: number;
  /** Canvas height in pixels. */
  height: number;
  /** Title above the plot. */
  title?: string;
  /** x-axis label. */
  xLabel?: string;
  /** y-axis label (drawn rotated). */
  yLabel?: string;
  /** The x axis. */
  x: LinearAxis | BandAxis;
  /** The y axis. */
  y: LinearAxis;
  /** Legend entries (none: no legend). */
  legend?: readonly LegendEntry[];
  /** Integer font scale (default 2). */
  scale?: number;
}

/** A drawn frame: the canvas and the data-to-pixel mappings. */
export interface Frame {
  /** The canvas. */
  canvas: Canvas;
  /** Plot area in pixels: left, top, right, bottom. */
  area: { x0: number; y0: number; x1: number; y1: number };
  /** Pixel x of data x (linear x axis) or of band `x`'s centre (band axis). */
  px(x: number): number;
  /** Pixel y of data y. */
  py(y: number): number;
  /** Band width in pixels (band axis; 0 otherwise). */
  bandWidth: number;
  /** The y ticks used. */
  yTicks: Ticks;
  /** Font scale. */
  scale: number;
}

/**
 * Splits `label` into at most `maxLines` lines of at most `maxChars` characters (at spaces, `/` or
 * `-` where possible; an over-long remainder ends in `..`).
 *
 * @example
 * ```ts
 * import { wrapLabel } from "./frame.ts";
 * console.log(wrapLabel("B-cos ResNet small", 8, 2)); // ["B-cos", "ResNet.."]
 * ```
 */
export function wrapLabel(label: string, maxChars: number, maxLines = 2): string[] {
  const limit = Math.max(2, maxChars);
  const words = label.split(/(?<=[ /])/).map((w) => w);
  const lines: string[] = [];
  let cur = "";
  for (const w of words) {
    if ((cur + w).trimEnd().length <= limit) cur += w;
    else {
      if (cur) lines.push(cur.trimEnd());
      cur = w;
    }
  }
  if (cur) lines.push(cur.trimEnd());
  const out: string[] = [];
  for (
    const l of lines.flatMap((
      l,
    ) => (l.length <= limit ? [l] : l.match(new RegExp(`.{1,${limit}}`, "g")) ?? []))
  ) {
    out.push(l);
  }
  if (out.length > maxLines) {
    const kept = out.slice(0, maxLines);
    const last = kept[maxLines - 1];
    kept[maxLines - 1] = (last.length + 2 > limit ? last.slice(0, limit - 2) : last) + "..".slice(0, 2);
    return kept;
  }
  return out;
}

function axisTicks(a: LinearAxis): Ticks {
  const t = niceTicks(a.min, a.max, a.ticks ?? 5);
  if (!a.exact) return t;
  const values = t.values.filter((v) => v >= a.min - 1e-9 && v <= a.max + 1e-9);
  return { lo: a.min, hi: a.max, step: t.step, values };
}

/** Draws one legend swatch of `e` in the box starting at (x, y) of the given size. */
export function drawSwatch(c: Canvas, e: LegendEntry, x: number, y: number, w: number, h: number): void {
  const cy = y + Math.floor(h / 2);
  switch (e.style ?? "line") {
    case "box":
      c.fillRect(x + 2, y + 1, w - 4, h - 2, e.color);
      break;
    case "dashed":
      c.line(x, cy, x + w, cy, e.color, 3, [6, 4]);
      break;
    case "filled":
      c.circle(x + w / 2, cy, 5, e.color, true);
      break;
    case "hollow":
      c.circle(x + w / 2, cy, 5, e.color, false, 2);
      break;
    default:
      c.line(x, cy, x + w, cy, e.color, 3);
  }
}

/**
 * Draws the frame (background, title, grid, axes, ticks, labels, legend) and returns the mappings for
 * drawing data into it.
 *
 * @example
 * ```ts
 * import { drawFrame } from "./frame.ts";
 * const f = drawFrame({ width: 400, height: 300, x: { kind: "linear", min: 0, max: 1 }, y: { kind: "linear", min: 0, max: 10 } });
 * console.log(f.px(0) === f.area.x0, f.py(0) === f.area.y1); // true true
 * ```
 */
export function drawFrame(o: FrameOptions): Frame {
  const s = o.scale ?? 2;
  const th = textHeight(s);
  const pad = 6 * s;
  const c = new Canvas(o.width, o.height, WHITE);
  const yTicks = axisTicks(o.y);
  const yLabels = yTicks.values.map((v) => formatTick(v, yTicks.step));
  const yTickW = Math.max(0, ...yLabels.map((l) => textWidth(l, s)));
  const legend = (o.legend ?? []).map((
    e,
  ) => (e.label.length > 32 ? { ...e, label: e.label.slice(0, 30) + ".." } : e));
  const swatchW = 10 * s;
  const legendW = legend.length
    ? swatchW + 3 * s + Math.max(...legend.map((e) => textWidth(e.label, s))) + pad
    : 0;
  const x0 = pad + (o.yLabel ? th + pad : 0) + yTickW + 4 * s;
  const y0 = o.title ? pad + th + pad : pad + th / 2;
  const x1 = o.width - pad - legendW - (legend.length ? pad : 0);
  // Band labels: wrap to the band width, up to 3 lines.
  let bandLines: string[][] = [];
  let bandWidth = 0;
  if (o.x.kind === "band") {
    const n = Math.max(1, o.x.labels.length);
    bandWidth = (x1 - x0) / n;
    const maxChars = Math.floor((bandWidth - 2 * s) / (CHAR_ADVANCE * s));
    bandLines = o.x.labels.map((l) => wrapLabel(l, maxChars, 3));
  }
  const xTickLines = o.x.kind === "band" ? Math.max(1, ...bandLines.map((l) => l.length)) : 1;
  const y1 = o.height - pad - (o.xLabel ? th + pad : 0) - xTickLines * (th + 2 * s) - 3 * s;
  if (x1 - x0 < 20 || y1 - y0 < 20) {
    throw new RangeError(`drawFrame: ${o.width}x${o.height} is too small for the labels`);
  }
  const py = (y: number) => y1 - ((y - yTicks.lo) / (yTicks.hi - yTicks.lo)) * (y1 - y0);
  // Grid and y ticks.
  yTicks.values.forEach((v, i) => {
    const y = Math.round(py(v));
    c.fillRect(x0, y, x1 - x0, 1, GRID);
    c.fillRect(x0 - 3 * s, y, 3 * s, s, INK);
    c.text(x0 - 4 * s, y, yLabels[i], INK, { scale: s, align: "right", valign: "middle" });
  });
  let px: (x: number) => number;
  if (o.x.kind === "linear") {
    const xt = axisTicks(o.x);
    px = (x: number) => x0 + ((x - xt.lo) / (xt.hi - xt.lo)) * (x1 - x0);
    for (const v of xt.values) {
      const x = Math.round(px(v));
      c.fillRect(x, y1, s, 3 * s, INK);
      c.text(x, y1 + 4 * s, formatTick(v, xt.step), INK, { scale: s, align: "center" });
    }
  } else {
    px = (i: number) => x0 + (i + 0.5) * bandWidth;
    bandLines.forEach((lines, i) => {
      lines.forEach((l, k) =>
        c.text(px(i), y1 + 4 * s + k * (th + 2 * s), l, INK, { scale: s, align: "center" })
      );
    });
  }
  // Axes.
  c.fillRect(x0 - s, y0, s, y1 - y0 + s, INK);
  c.fillRect(x0 - s, y1, x1 - x0 + s, s, INK);
  if (o.title) {
    // Centred over the plot area, shifted (or cut) to stay inside the canvas.
    const maxChars = Math.floor((o.width - 2 * pad) / (CHAR_ADVANCE * s));
    const title = o.title.length > maxChars ? o.title.slice(0, Math.max(0, maxChars - 2)) + ".." : o.title;
    const w = textWidth(title, s);
    const left = Math.max(pad, Math.min(o.width - pad - w, (x0 + x1) / 2 - w / 2));
    c.text(left, pad, title, INK, { scale: s });
  }
  if (o.xLabel) {
    c.text((x0 + x1) / 2, o.height - pad, o.xLabel, INK, { scale: s, align: "center", valign: "bottom" });
  }
  if (o.yLabel) c.text(pad, (y0 + y1) / 2, o.yLabel, INK, { scale: s, rotate: true, align: "center" });
  // Legend.
  if (legend.length) {
    const lx = x1 + pad;
    let ly = y0;
    for (const e of legend) {
      drawSwatch(c, e, lx, ly, swatchW, th);
      c.text(lx + swatchW + 3 * s, ly, e.label, INK, { scale: s });
      ly += th + 4 * s;
    }
  }
  return { canvas: c, area: { x0, y0, x1, y1 }, px, py, bandWidth, yTicks, scale: s };
}
