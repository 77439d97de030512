import assert from "node:assert/strict";
import {
  absPercentile,
  Canvas,
  formatTick,
  glyphRows,
  groupedBarChart,
  imageGrid,
  imageToRgba,
  linePlot,
  niceTicks,
  rgbaOver,
  signedColor,
  signedHeatmap,
  textWidth,
  wrapLabel,
} from "../../../../core/io/plot/mod.ts";
import { decodePng, encodeRgbaPng } from "../../../../core/io/png.ts";

/** Pixels that differ from white, and distinct colours. */
function ink(c: Canvas): { dark: number; colors: number } {
  let dark = 0;
  const colors = new Set<number>();
  for (let i = 0; i < c.width * c.height; i++) {
    const [r, g, b] = c.data.subarray(4 * i, 4 * i + 3);
    if (r < 250 || g < 250 || b < 250) dark++;
    colors.add((r << 16) | (g << 8) | b);
  }
  return { dark, colors: colors.size };
}

function pixel(c: Canvas, x: number, y: number): number[] {
  return [...c.data.subarray(4 * (y * c.width + x), 4 * (y * c.width + x) + 4)];
}

Deno.test("font: every printable ASCII character has a glyph; '?' stands in for unknown ones", () => {
  const seen = new Set<string>();
  for (let code = 33; code < 127; code++) {
    const rows = glyphRows(String.fromCharCode(code));
    assert.equal(rows.length, 7);
    assert.ok(rows.some((r) => r !== 0), `glyph ${String.fromCharCode(code)} is blank`);
    seen.add(rows.join(","));
  }
  assert.equal(seen.size, 94, "glyphs are distinct");
  assert.deepEqual(glyphRows(" "), [0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(glyphRows("\u{1F600}"), glyphRows("?"));
  assert.equal(textWidth("ab", 2), 22);
});

Deno.test("canvas: text, lines and blending land where asked", () => {
  const c = new Canvas(40, 20);
  c.text(1, 1, "I", [0, 0, 0, 255], { scale: 1 });
  assert.deepEqual(pixel(c, 2, 1), [0, 0, 0, 255], "top bar of I");
  assert.deepEqual(pixel(c, 1, 2), [255, 255, 255, 255]);
  c.line(0, 19, 39, 19, [255, 0, 0, 255], 1);
  assert.deepEqual(pixel(c, 20, 19), [255, 0, 0, 255]);
  c.fillRect(30, 0, 5, 5, [0, 0, 255, 128]);
  assert.deepEqual(pixel(c, 31, 1), [127, 127, 255, 255]);
  c.text(10, 18, "ab", [0, 0, 0, 255], { scale: 1, rotate: true });
  assert.ok(ink(c).dark > 20);
});

Deno.test("ticks: nice steps and labels", () => {
  assert.deepEqual(niceTicks(0.03, 0.97).values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(12, 87, 4).values, [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0, 0.9, 4).values, [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(niceTicks(5, 5).values.length > 1, true);
  assert.equal(formatTick(0.25, 0.25), "0.25");
  assert.equal(formatTick(2.5, 2.5), "2.5");
  assert.equal(formatTick(100, 25), "100");
  assert.deepEqual(wrapLabel("guided backprop long name", 8, 2), ["guided", "backpr.."]);
});

Deno.test("line plot renders non-empty at the requested size and encodes as PNG", () => {
  const x = [0, 0.25, 0.5, 0.75, 1];
  const c = linePlot({
    title: "Deletion",
    xLabel: "fraction deleted",
    yLabel: "probability",
    series: [
      {
        label: "CE",
        x,
        y: [1, 0.5, 0.3, 0.2, 0.1],
        band: { lo: [0.9, 0.4, 0.2, 0.1, 0], hi: [1, 0.6, 0.4, 0.3, 0.2] },
      },
      {
        label: "BCE",
        x,
        y: [1, 0.9, NaN, 0.7, 0.6],
        dashed: true,
        markers: "filled",
        yErr: { lo: x.map(() => 0.5), hi: x.map(() => 0.9) },
      },
    ],
    width: 500,
    height: 300,
  });
  assert.equal(c.width, 500);
  assert.equal(c.height, 300);
  const { dark, colors } = ink(c);
  assert.ok(dark > 3000, `only ${dark} inked pixels`);
  assert.ok(colors > 5);
  const back = decodePng(encodeRgbaPng(c.toImage()));
  assert.deepEqual([back.width, back.height], [500, 300]);
});

Deno.test("grouped bar chart with error bars and a missing value", () => {
  const blue = [31, 119, 180, 255];
  const c = groupedBarChart({
    groups: ["B-cos", "IntGrad", "LRP"],
    series: [
      {
        label: "CE",
        values: [15, 24, NaN],
        lo: [10, 20, NaN],
        hi: [20, 28, NaN],
        color: blue as unknown as [number, number, number, number],
      },
      { label: "BCE", values: [87, 86, 32] },
    ],
    yLabel: "GridPG (%)",
    yRange: [0, 100],
    height: 360,
  });
  assert.equal(c.height, 360);
  assert.ok(c.width >= 640);
  let bluePixels = 0;
  for (let i = 0; i < c.width * c.height; i++) {
    if (c.data[4 * i] === 31 && c.data[4 * i + 1] === 119) bluePixels++;
  }
  assert.ok(bluePixels > 500, "the CE bars are drawn in their colour");
});

Deno.test("colormaps and image grid", () => {
  assert.deepEqual(signedColor(0), [255, 255, 255, 255]);
  assert.ok(signedColor(1)[0] > signedColor(1)[2], "positive is red");
  assert.ok(signedColor(-1)[2] > signedColor(-1)[0], "negative is blue");
  assert.equal(absPercentile([1, -4, 2, 3], 50), 2);
  const heat = signedHeatmap([-2, 0, 2, 1], 2, 2, { limit: 2 });
  assert.deepEqual([...heat.data.subarray(4, 8)], [255, 255, 255, 255]);
  assert.deepEqual(
    [...rgbaOver([1, 0, 0, 0], 1, 1).data],
    [255, 255, 255, 255],
    "alpha 0 shows the background",
  );
  const img = imageToRgba(new Array(28 * 28).fill(0.5), 1, 28, 28);
  const grid = imageGrid({
    cells: [[img, heat], [null, img]],
    rowLabels: ["CE", "BCE"],
    colLabels: ["image", "B-cos"],
    cellSize: 56,
    title: "t",
  });
  assert.ok(grid.width >= 2 * 56 && grid.height >= 2 * 56);
  assert.ok(ink(grid).dark > 56 * 56 * 2);
  const big = imageGrid({ cells: [[imageToRgba(new Array(300 * 200).fill(0), 1, 200, 300)]], cellSize: 50 });
  assert.ok(big.width < 120, "large images are shrunk to the cell");
});
