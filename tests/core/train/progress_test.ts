import assert from "node:assert/strict";
import { formatDuration, Progress, type ProgressSink } from "../../../core/train/progress.ts";

function sink(isTerminal: boolean): ProgressSink & { out: string[] } {
  const out: string[] = [];
  return { out, isTerminal, write: (t) => void out.push(t) };
}

Deno.test("formatDuration", () => {
  assert.equal(formatDuration(12.4), "12s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(NaN), "?");
});

Deno.test("Progress: throughput and ETA from a clock; plain lines when not a terminal, rate-limited", () => {
  let now = 0;
  const s = sink(false);
  const p = new Progress({ total: 100, label: "run", sink: s, minIntervalMs: 5000, now: () => now });
  now = 2000;
  p.update(10, 640, { loss: 0.5 });
  assert.equal(s.out.length, 1);
  assert.match(s.out[0], /^run \[#+\.+\] 10\/100 10% \| loss 0\.5000 \| 320\.0 img\/s \| ETA 18s\n$/);
  now = 3000;
  p.update(20, 640);
  assert.equal(s.out.length, 1, "within the interval: no line");
  now = 8000;
  p.update(30, 640);
  assert.equal(s.out.length, 2);
  now = 9000;
  p.update(100, 640);
  assert.equal(s.out.length, 3, "the final update always prints");
  p.finish();
  assert.equal(s.out.length, 3, "no newline needed in line mode");
});

Deno.test("Progress: a terminal gets one redrawn line and a newline at the end; resumed runs count from start", () => {
  let now = 0;
  const s = sink(true);
  const p = new Progress({ total: 10, start: 5, sink: s, now: () => now, unit: "feat" });
  now = 1000;
  p.update(6, 100);
  now = 2000;
  p.update(7, 100);
  assert.equal(s.out.length, 2);
  assert.ok(s.out.every((t) => t.startsWith("\r\x1b[K") && !t.endsWith("\n")));
  assert.match(s.out[1], /7\/10 70% \| 100\.0 feat\/s \| ETA 3s/);
  p.finish();
  assert.equal(s.out.at(-1), "\n");
});
