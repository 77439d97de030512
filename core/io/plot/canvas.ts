/**
 * A small RGBA raster with the drawing primitives the plots need: alpha-blended pixels, rectangles,
 * thick and dashed lines, circles, text in the built-in bitmap font (horizontal, or rotated 90° for
 * y-axis labels) and nearest-neighbour image blits. Coordinates are integer pixels, origin top-left;
 * drawing outside the canvas is clipped.
 *
 * @module
 */
import type { RgbaImage } from "../png.ts";
import type { Color } from "./color.ts";
import { CHAR_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows, textWidth } from "./font.ts";

/** Options of {@link Canvas.text}. */
export interface TextOptions {
  /** Integer font scale (default 2: 10x14 px glyphs). */
  scale?: number;
  /** Horizontal anchor of `x` (default `left`); for rotated text, along the text direction. */
  align?: "left" | "center" | "right";
  /** Vertical anchor of `y` (default `top`); for rotated text, across it. */
  valign?: "top" | "middle" | "bottom";
  /** Rotate 90° counter-clockwise (text reads bottom to top). */
  rotate?: boolean;
}

/** An RGBA drawing surface. */
export class Canvas {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** RGBA bytes, row-major. */
  readonly data: Uint8Array;

  /**
   * A canvas filled with `background`.
   *
   * @param width width in pixels
   * @param height height in pixels
   * @param background fill colour (default opaque white)
   * @example
   * ```ts
   * import { Canvas } from "./canvas.ts";
   * const c = new Canvas(4, 3);
   * console.log(c.data.length); // 48
   * ```
   */
  constructor(width: number, height: number, background: Color = [255, 255, 255, 255]) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`Canvas: invalid size ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) this.data.set(background, 4 * i);
  }

  /** Blends `color` (with its alpha) onto pixel (x, y); clipped. */
  blend(x: number, y: number, color: Color): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = 4 * (y * this.width + x);
    const a = color[3] / 255;
    if (a >= 1) {
      this.data.set(color, i);
      return;
    }
    const d = this.data;
    const da = d[i + 3] / 255;
    const oa = a + da * (1 - a);
    for (let k = 0; k < 3; k++) {
      d[i + k] = oa > 0 ? Math.round((color[k] * a + d[i + k] * da * (1 - a)) / oa) : 0;
    }
    d[i + 3] = Math.round(oa * 255);
  }

  /** Fills the rectangle [x, x + w) x [y, y + h). */
  fillRect(x: number, y: number, w: number, h: number, color: Color): void {
    const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w)), y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.blend(xx, yy, color);
  }

  /** Outlines the rectangle [x, x + w) x [y, y + h) with lines `thickness` pixels wide (inside). */
  strokeRect(x: number, y: number, w: number, h: number, color: Color, thickness = 1): void {
    this.fillRect(x, y, w, thickness, color);
    this.fillRect(x, y + h - thickness, w, thickness, color);
    this.fillRect(x, y + thickness, thickness, h - 2 * thickness, color);
    this.fillRect(x + w - thickness, y + thickness, thickness, h - 2 * thickness, color);
  }

  /**
   * Draws a line from (x0, y0) to (x1, y1) with a square pen `thickness` pixels wide; `dash` = [on, off]
   * pixel counts for a dashed line.
   */
  line(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    color: Color,
    thickness = 1,
    dash?: [number, number],
  ): void {
    if (![x0, y0, x1, y1].every(Number.isFinite)) return;
    let x = Math.round(x0), y = Math.round(y0);
    const xe = Math.round(x1), ye = Math.round(y1);
    const dx = Math.abs(xe - x), dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1, sy = y < ye ? 1 : -1;
    let err = dx + dy;
    const lo = -Math.floor((thickness - 1) / 2), hi = lo + thickness;
    let step = 0;
    // Each pen square is stamped with opaque pixels on a scratch set so overlaps do not double-blend.
    const seen = color[3] < 255 ? new Set<number>() : null;
    for (;;) {
      const on = !dash || step % (dash[0] + dash[1]) < dash[0];
      if (on) {
        for (let oy = lo; oy < hi; oy++) {
          for (let ox = lo; ox < hi; ox++) {
            if (seen) {
              const k = (y + oy) * (this.width + 64) + (x + ox);
              if (seen.has(k)) continue;
              seen.add(k);
            }
            this.blend(x + ox, y + oy, color);
          }
        }
      }
      if (x === xe && y === ye) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
      step++;
    }
  }

  /** Draws a circle of radius `r` around (cx, cy): filled, or a ring `thickness` pixels wide. */
  circle(cx: number, cy: number, r: number, color: Color, filled = true, thickness = 2): void {
    const x0 = Math.floor(cx - r - 1), x1 = Math.ceil(cx + r + 1);
    const y0 = Math.floor(cy - r - 1), y1 = Math.ceil(cy + r + 1);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(x - cx, y - cy);
        if (d <= r + 0.3 && (filled || d >= r - thickness + 0.3)) this.blend(x, y, color);
      }
    }
  }

  /** Draws `text` in the bitmap font (see {@link TextOptions}); returns its width in pixels. */
  text(x: number, y: number, text: string, color: Color, opts: TextOptions = {}): number {
    const scale = opts.scale ?? 2;
    const w = textWidth(text, scale), h = GLYPH_HEIGHT * scale;
    const alongShift = opts.align === "center" ? -w / 2 : opts.align === "right" ? -w : 0;
    const acrossShift = opts.valign === "middle" ? -h / 2 : opts.valign === "bottom" ? -h : 0;
    const chars = [...text];
    for (let c = 0; c < chars.length; c++) {
      const rows = glyphRows(chars[c]);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (!(rows[gy] & (1 << (GLYPH_WIDTH - 1 - gx)))) continue;
          const along = alongShift + (c * CHAR_ADVANCE + gx) * scale;
          const across = acrossShift + gy * scale;
          if (opts.rotate) {
            // Text runs upward from (x, y); glyph tops face left.
            this.fillRect(Math.round(x + across), Math.round(y - along - scale), scale, scale, color);
          } else {
            this.fillRect(Math.round(x + along), Math.round(y + across), scale, scale, color);
          }
        }
      }
    }
    return w;
  }

  /** Draws `img` with its top-left corner at (x, y), scaled by an integer factor (nearest neighbour). */
  drawImage(img: RgbaImage, x: number, y: number, scale = 1): void {
    for (let sy = 0; sy < img.height; sy++) {
      for (let sx = 0; sx < img.width; sx++) {
        const i = 4 * (sy * img.width + sx);
        const c: Color = [img.data[i], img.data[i + 1], img.data[i + 2], img.data[i + 3]];
        if (c[3] === 0) continue;
        this.fillRect(x + sx * scale, y + sy * scale, scale, scale, c);
      }
    }
  }

  /** The canvas as an {@link RgbaImage} (sharing its bytes). */
  toImage(): RgbaImage {
    return { width: this.width, height: this.height, data: this.data };
  }
}
