import assert from "node:assert/strict";
import { downsampleCurve, MAX_CURVE_POINTS } from "../../tasks/reproduce/collect_curves.ts";

Deno.test("loss curves: short ones kept step by step; long ones become bucket means that keep the overall mean", () => {
  assert.deepEqual(downsampleCurve([3, null, 1], 5), { x: [1, 2, 3], loss: [3, null, 1] });
  const steps = 150_001;
  const loss = Array.from({ length: steps }, (_, i) => (i % 97 === 0 ? null : Math.sin(i) + i / steps));
  const d = downsampleCurve(loss, MAX_CURVE_POINTS);
  assert.equal(d.x.length, MAX_CURVE_POINTS);
  assert.equal(d.x.at(-1), steps, "the last bucket ends at the last step");
  assert.ok(d.x.every((v, i) => i === 0 || v > d.x[i - 1]), "steps increase");
  // every step lands in exactly one bucket: bucket sizes add up and each point is its bucket's mean
  let start = 0, total = 0, count = 0;
  d.x.forEach((end, b) => {
    const finite = loss.slice(start, end).filter((v): v is number => v !== null);
    const want = finite.reduce((a, v) => a + v, 0) / finite.length;
    assert.ok(Math.abs(d.loss[b]! - want) < 1e-12, `bucket ${b}`);
    total += finite.reduce((a, v) => a + v, 0);
    count += finite.length;
    start = end;
  });
  assert.equal(start, steps);
  const all = loss.filter((v): v is number => v !== null);
  assert.equal(count, all.length);
  assert.ok(Math.abs(total - all.reduce((a, v) => a + v, 0)) < 1e-6);
  assert.deepEqual(downsampleCurve([null, null, 2, 4], 2), { x: [2, 4], loss: [null, 3] });
});
