import assert from "node:assert/strict";
import { checkOp, randomHost, type Tensor64 } from "../../util/op_check.ts";
import { resizeBilinear } from "../../../core/ops/resize.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";

/** float64 reference of torch's F.interpolate(mode="bilinear") with an explicit size. */
function resize64(x: Tensor64, oh: number, ow: number, align: boolean): Tensor64 {
  const [N, C, H, W] = x.shape;
  const taps = (o: number, inN: number, outN: number): [number, number, number] => {
    let s: number;
    if (align) s = outN > 1 ? (o * (inN - 1)) / (outN - 1) : 0;
    else s = Math.max(((o + 0.5) * inN) / outN - 0.5, 0);
    const i0 = Math.min(Math.floor(s), inN - 1);
    const i1 = i0 + 1 < inN ? i0 + 1 : i0;
    return [i0, i1, s - i0];
  };
  const out = new Float64Array(N * C * oh * ow);
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < oh; oy++) {
      const [y0, y1, ly] = taps(oy, H, oh);
      for (let ox = 0; ox < ow; ox++) {
        const [x0, x1, lx] = taps(ox, W, ow);
        const v = (y: number, xx: number) => x.data[(p * H + y) * W + xx];
        out[(p * oh + oy) * ow + ox] = (1 - ly) * ((1 - lx) * v(y0, x0) + lx * v(y0, x1)) +
          ly * ((1 - lx) * v(y1, x0) + lx * v(y1, x1));
      }
    }
  }
  return { shape: [N, C, oh, ow], data: out };
}

const cases: [number[], [number, number]][] = [
  [[1, 1, 7, 7], [33, 30]], // GradCAM-style upsampling
  [[2, 3, 13, 11], [5, 4]], // downsampling
  [[1, 2, 6, 9], [6, 9]], // identity size
  [[1, 1, 1, 7], [3, 13]], // single row
  [[1, 2, 5, 5], [1, 1]],
  [[1, 1, 20, 3], [7, 130]],
];

for (const align of [false, true]) {
  Deno.test(`resizeBilinear (alignCorners=${align}): forward and gradient vs float64 reference`, async () => {
    for (const [i, [shape, [oh, ow]]] of cases.entries()) {
      await checkOp({
        name: `resize [${shape}] -> [${oh}, ${ow}] align=${align}`,
        inputs: [randomHost(shape, 5 + i)],
        gpu: (x) => resizeBilinear(x, [oh, ow], { alignCorners: align }),
        cpu: (x) => resize64(x, oh, ow, align),
      });
    }
  });
}

Deno.test("resizeBilinear: matches torch on a known 2x2 -> 4x4 upsampling", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const x = fromArray([1, 1, 2, 2], [1, 2, 3, 4]);
    const y = resizeBilinear(x, [4, 4]);
    assert.equal(y.node, null);
    // torch.nn.functional.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), size=(4, 4), mode="bilinear")
    const want = [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4];
    assert.deepEqual([...await y.read()], want);
  });
});
