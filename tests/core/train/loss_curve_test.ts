import assert from "node:assert/strict";
import { readPng } from "../../../core/io/png.ts";
import { runningMean, writeLossCurve } from "../../../core/train/loss_curve.ts";

Deno.test("runningMean: windows shorter at the start, equal to a plain mean over the window after", () => {
  const v = [4, 2, 9, 1, 1, 7, 3];
  const m = runningMean(v, 3);
  for (let i = 0; i < v.length; i++) {
    const part = v.slice(Math.max(0, i - 2), i + 1);
    assert.ok(Math.abs(m[i] - part.reduce((a, b) => a + b) / part.length) < 1e-12, `index ${i}`);
  }
  assert.deepEqual(runningMean(v, 1), v);
});

Deno.test("writeLossCurve: writes a PNG of the run; an empty history writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const losses = Array.from({ length: 120 }, (_, i) => 2 * Math.exp(-i / 40) + 0.1 * Math.sin(i));
    await writeLossCurve(`${dir}/loss.png`, { losses, epochs: [] }, "test run");
    const img = await readPng(`${dir}/loss.png`);
    assert.ok(img.width >= 400 && img.height >= 200);
    let dark = 0;
    for (let i = 0; i < img.data.length; i += 4) if (img.data[i] < 128) dark++;
    assert.ok(dark > 500, `a curve and axes are drawn (${dark} dark pixels)`);
    await writeLossCurve(`${dir}/none.png`, { losses: [], epochs: [] }, "empty");
    await assert.rejects(Deno.stat(`${dir}/none.png`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
