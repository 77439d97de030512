import assert from "node:assert/strict";
import { assertClose } from "../util/assert_close.ts";
import { summarize } from "../../metrics/stats.ts";
import { incompleteBeta, lnGamma, studentTCdf, studentTQuantile } from "../../metrics/student_t.ts";

Deno.test("summarize: 95% CI of [1, 2, 3, 4, 5] with t(0.975, 4) = 2.776445105", () => {
  const s = summarize([1, 2, 3, 4, 5]);
  // mean 3, sample variance 10/4 = 2.5, sem = sqrt(2.5 / 5) = sqrt(0.5), half-width = t * sem.
  const half = 2.776445105 * Math.sqrt(0.5);
  assertClose([s.mean, s.std, s.sem, s.t], [3, Math.sqrt(2.5), Math.sqrt(0.5), 2.776445105], 1e-9);
  assertClose([s.ciLow, s.ciHigh, s.halfWidth], [3 - half, 3 + half, half], 1e-9);
  assert.equal(s.n, 5);
  assert.equal(s.nanCount, 0);
});

Deno.test("summarize: NaN values are ignored and counted; other confidence levels", () => {
  // [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, sum of squares 32 -> std sqrt(32/7); t(0.975, 7) = 2.364624252.
  const s = summarize([2, NaN, 4, 4, 4, 5, 5, 7, NaN, 9]);
  assert.equal(s.n, 8);
  assert.equal(s.nanCount, 2);
  const half = 2.364624252 * Math.sqrt(32 / 7 / 8);
  assertClose([s.mean, s.std, s.halfWidth], [5, Math.sqrt(32 / 7), half], 1e-9);
  // 90%: t(0.95, 4) = 2.131846786.
  const s90 = summarize([1, 2, 3, 4, 5], 0.9);
  assertClose([s90.halfWidth], [2.131846786 * Math.sqrt(0.5)], 1e-9);
});

Deno.test("summarize: n = 1 and n = 0", () => {
  const one = summarize([NaN, 0.7]);
  assert.equal(one.mean, 0.7);
  assert.ok(Number.isNaN(one.std) && Number.isNaN(one.ciLow) && Number.isNaN(one.ciHigh));
  const none = summarize([NaN]);
  assert.ok(Number.isNaN(none.mean));
  assert.equal(none.n, 0);
  assert.equal(none.nanCount, 1);
});

Deno.test("studentTQuantile: closed forms (df 1, 2) and table values", () => {
  for (const p of [0.6, 0.9, 0.975, 0.995, 0.9995]) {
    assertClose([studentTQuantile(p, 1)], [Math.tan(Math.PI * (p - 0.5))], 1e-10, `df 1, p ${p}`);
    assertClose([studentTQuantile(p, 2)], [(2 * p - 1) / Math.sqrt(2 * p * (1 - p))], 1e-10, `df 2, p ${p}`);
  }
  const table: [number, number, number][] = [
    [0.975, 1, 12.706204736],
    [0.975, 3, 3.182446305],
    [0.975, 9, 2.262157163],
    [0.975, 29, 2.045229642],
    [0.975, 100, 1.983971519],
    [0.995, 5, 4.032142984],
    [0.95, 10, 1.812461123],
    [0.975, Infinity, 1.959963985],
  ];
  for (const [p, df, t] of table) assertClose([studentTQuantile(p, df)], [t], 1e-9, `p ${p}, df ${df}`);
  assertClose([studentTQuantile(0.025, 4)], [-2.776445105], 1e-9);
  assert.equal(studentTQuantile(0.5, 3), 0);
  assert.throws(() => studentTQuantile(1, 3), RangeError);
});

Deno.test("studentTCdf, incompleteBeta and lnGamma spot values", () => {
  assert.equal(studentTCdf(0, 7), 0.5);
  assertClose([studentTCdf(1, 1), studentTCdf(-1, 1)], [0.75, 0.25], 1e-12);
  assertClose([studentTCdf(1.959963985, Infinity)], [0.975], 1e-9);
  assertClose([incompleteBeta(0.3, 2, 3)], [0.3483], 1e-12); // 6x^2 - 8x^3 + 3x^4 at 0.3
  assertClose([lnGamma(0.5)], [0.5 * Math.log(Math.PI)], 1e-14);
  assertClose([lnGamma(20)], [Math.log(121645100408832000)], 1e-14);
});
