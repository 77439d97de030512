import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import { explainerBenchRows } from "../../explainers/bench.ts";

Deno.test("explainerBenchRows measures images/s in the bench registry's row shape", async () => {
  await initGpu();
  const seen: string[] = [];
  const rows = await explainerBenchRows({
    only: "gradcam",
    repeat: 1,
    batch: 2,
    onRow: (r) => seen.push(r.name),
  });
  assert.deepEqual(rows.map((r) => r.name), ["explain.gradcam"]);
  assert.deepEqual(seen, ["explain.gradcam"]);
  const [row] = rows;
  assert.equal(row.shape, "resnet-small 2x3x32x32");
  assert.equal(row.gflops, null);
  assert.equal(row.throughput.unit, "images/s");
  assert.ok(row.ms > 0 && Math.abs(row.throughput.value - 2000 / row.ms) < 1e-9);
});
