import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import { energyInsideGpu, entropyGpu } from "../../metrics/gpu.ts";
import { gridPG } from "../../metrics/gridpg.ts";
import { energyPointingGame } from "../../metrics/epg.ts";
import { attributionEntropy } from "../../metrics/complexity.ts";
import { boxUnionMask, gridCellBox } from "../../metrics/regions.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";

await initGpu();

/** Same NaN positions, and close elsewhere. */
function assertCloseNaN(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const nan = (v: ArrayLike<number>) => Array.from(v, (x) => Number.isNaN(x));
  assert.deepEqual(nan(actual), nan(expected), `${what}: NaN positions`);
  const keep = (v: ArrayLike<number>) => Array.from(v).filter((x) => !Number.isNaN(x));
  assertClose(keep(actual), keep(expected), 1e-5, what);
}

Deno.test("metrics on the GPU: GridPG, EPG and entropy equal the CPU definitions (NaN where skipped)", async () => {
  const B = 6, H = 12, W = 12;
  const maps = randomHost([B, H, W], 3, -1, 1);
  maps.data.fill(-0.5, 5 * H * W, 6 * H * W); // an all-negative map: skipped (NaN)
  const cells = Array.from({ length: B }, (_, b) => gridCellBox(2, b % 4, H, W));
  const mask = (regions: (typeof cells)[]) => {
    const out = new Float32Array(B * H * W);
    const one = new Uint8Array(H * W);
    regions.forEach((r, b) => {
      boxUnionMask(r, H, W, one);
      out.set(one, b * H * W);
    });
    return out;
  };
  const cellMask = mask(cells.map((c) => [c]));
  const boxes = Array.from(
    { length: B },
    (_, b) => [{ x0: b, y0: 1, x1: b + 5, y1: 9 }, { x0: 2, y0: 6, x1: 11, y1: 11 }],
  );
  const boxMask = mask(boxes);
  await tidyAsync(async () => {
    const m = fromArray([B, H, W], maps.data);
    const grid = await energyInsideGpu(m, fromArray([B, H, W], cellMask), { smooth: true }).read();
    assertCloseNaN(grid, gridPG(maps, cells, { smooth: true }).fractions, "GridPG");
    assert.ok(Number.isNaN(grid[5]));
    const epg = await energyInsideGpu(m, fromArray([B, H, W], boxMask)).read();
    assertCloseNaN(epg, energyPointingGame(maps, boxes).fractions, "EPG");
    const ent = await entropyGpu(m).read();
    assertCloseNaN(ent, attributionEntropy(maps), "entropy");
  });
});
