import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import { logSoftmax, softmax, SOFTMAX_TUNING } from "../../../core/ops/softmax.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";
import assert from "node:assert/strict";

function softmax64(x: Tensor64, axis: number, log: boolean): Tensor64 {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const L = x.shape[ax];
  const inner = x.shape.slice(ax + 1).reduce((p, d) => p * d, 1);
  const outer = x.shape.slice(0, ax).reduce((p, d) => p * d, 1);
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * L * inner + i;
      let mx = -Infinity;
      for (let l = 0; l < L; l++) mx = Math.max(mx, x.data[base + l * inner]);
      let s = 0;
      for (let l = 0; l < L; l++) s += Math.exp(x.data[base + l * inner] - mx);
      for (let l = 0; l < L; l++) {
        const v = x.data[base + l * inner] - mx;
        out[base + l * inner] = log ? v - Math.log(s) : Math.exp(v) / s;
      }
    }
  }
  return { shape: [...x.shape], data: out };
}

// [shape, axis, gradient-checked]
const CASES: [number[], number, boolean][] = [
  [[1], -1, true],
  [[7], 0, true],
  [[3, 33], -1, true],
  [[2, 130], 1, true], // long rows: one workgroup per row
  [[5, 7, 3], 1, true], // inner stride 3
  [[2, 3, 4, 5], 0, true],
  [[33, 130], 0, false], // long strided rows, forward only (4290 elements)
  [[3, 1000], -1, false],
];

for (const log of [false, true]) {
  const name = log ? "logSoftmax" : "softmax";
  const op = log ? logSoftmax : softmax;
  Deno.test(`${name}: forward and backward vs float64 reference on several shapes and axes`, async () => {
    // Both kernel variants: one thread per row, and (long rows) one workgroup per row.
    for (
      const [k, [shape, axis, checkGrad, group]] of CASES.flatMap((c) =>
        [[...c, false], [...c, true]] as const
      ).entries()
    ) {
      SOFTMAX_TUNING.groupOnFallback = group;
      await checkOp({
        name: `${name} [${shape}] axis ${axis} groupKernel=${group}`,
        inputs: [randomHost(shape, 20 + k, -4, 4)],
        gpu: (x) => op(x, axis),
        cpu: (x) => softmax64(x, axis, log),
        forwardOnly: !checkGrad,
        tol: 2e-6,
      });
    }
    SOFTMAX_TUNING.groupOnFallback = false;
  });
}

Deno.test("softmax: stable for large logits", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const x = fromArray([2, 3], [1000, 1001, 1002, -1000, -1001, -999]);
    const p = await softmax(x).read();
    const lp = await logSoftmax(x).read();
    const ref = softmax64(
      { shape: [2, 3], data: Float64Array.from([1000, 1001, 1002, -1000, -1001, -999]) },
      -1,
      true,
    );
    for (let i = 0; i < 6; i++) {
      assert.ok(Number.isFinite(p[i]) && Number.isFinite(lp[i]));
      assert.ok(Math.abs(lp[i] - ref.data[i]) < 1e-5, `log-softmax ${i}: ${lp[i]} vs ${ref.data[i]}`);
    }
  });
});
