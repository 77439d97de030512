import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import "../../core/ops/mod.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import {
  accumulateRows,
  composeSegments,
  interpolateRows,
  rowPercentile,
  scaleRows,
  stabilizedDivide,
} from "../../explainers/kernels.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";

/** numpy.percentile with linear interpolation. */
function percentile(v: ArrayLike<number>, q: number): number {
  const s = Array.from(v).sort((a, b) => a - b);
  const pos = (q / 100) * (s.length - 1);
  const k = Math.floor(pos);
  return s[k] + (pos - k) * ((s[Math.min(k + 1, s.length - 1)]) - s[k]);
}

Deno.test("rowPercentile equals numpy's linear percentile, with ties and negatives", async () => {
  await initGpu();
  await tidyAsync(async () => {
    for (const [rows, n] of [[1, 1], [3, 7], [2, 33], [4, 1000]]) {
      const h = randomHost([rows, n], rows * 31 + n, -2, 3);
      // Ties.
      for (let i = 0; i < h.data.length; i += 5) h.data[i] = Math.round(h.data[i]);
      for (const q of [0, 12.5, 50, 99.5, 100]) {
        const got = await rowPercentile(fromArray([rows, n], h.data), q).read();
        const want = Array.from(
          { length: rows },
          (_, r) => percentile(h.data.subarray(r * n, (r + 1) * n), q),
        );
        assertClose(got, want, 1e-6, `percentile q=${q} [${rows}, ${n}]`);
      }
    }
  });
});

Deno.test("stabilizedDivide follows zennit's stabilize (sign of zero is +)", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const g = fromArray([4], [1, 1, 2, -3]);
    const z = fromArray([4], [0, -1, 2, 0.5]);
    const got = await stabilizedDivide(g, z, 0.25).read();
    assertClose(got, [1 / 0.25, 1 / -1.25, 2 / 2.25, -3 / 0.75], 1e-6);
  });
});

Deno.test("row interpolation, scaling and per-image accumulation over chunks", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const B = 3, S = 5, n = 7;
    const x = randomHost([B, n], 1);
    const base = randomHost([B, n], 2);
    const a = randomHost([S], 3, 0, 1);
    const X = fromArray([B, n], x.data), Bs = fromArray([B, n], base.data), A = fromArray([S], a.data);
    const acc = fromArray([B, n], new Float32Array(B * n));
    const want = new Float64Array(B * n);
    for (const [r0, rows] of [[0, 4], [4, 6], [10, 5]]) {
      const chunk = interpolateRows(X, Bs, A, r0, rows);
      const scaled = scaleRows(X, A, r0, rows);
      const c = await chunk.read();
      const s = await scaled.read();
      for (let j = 0; j < rows; j++) {
        const r = r0 + j, b = Math.floor(r / S), k = r % S;
        for (let i = 0; i < n; i++) {
          const xb = x.data[b * n + i], bb = base.data[b * n + i];
          assert.ok(Math.abs(c[j * n + i] - (bb + a.data[k] * (xb - bb))) < 1e-6);
          assert.ok(Math.abs(s[j * n + i] - xb * a.data[k]) < 1e-6);
          want[b * n + i] += c[j * n + i];
        }
      }
      accumulateRows(acc, chunk, r0, S);
    }
    assertClose(await acc.read(), want, 1e-6, "accumulated rows");
  });
});

Deno.test("composeSegments keeps or fills each pixel by its segment's switch", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const seg = [0, 1, 1, 2, 0, 2];
    const x = randomHost([2, 2, 3], 4);
    const fill = randomHost([2, 2, 3], 5);
    const keep = [1, 0, 1, 0, 1, 0];
    const out = await composeSegments(
      fromArray([2, 3], keep),
      fromArray([6], seg),
      fromArray([2, 2, 3], x.data),
      fromArray([2, 2, 3], fill.data),
    ).read();
    for (let s = 0; s < 2; s++) {
      for (let c = 0; c < 2; c++) {
        for (let p = 0; p < 6; p++) {
          const want = keep[s * 3 + seg[p]] ? x.data[c * 6 + p] : fill.data[c * 6 + p];
          assert.equal(out[(s * 2 + c) * 6 + p], want);
        }
      }
    }
  });
});
