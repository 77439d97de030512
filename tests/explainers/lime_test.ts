import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import { Module } from "../../core/nn/module.ts";
import "../../core/ops/mod.ts";
import { conv2d } from "../../core/ops/conv.ts";
import { reshape } from "../../core/ops/layout.ts";
import { fromArray, keep, type Tensor, tidyAsync } from "../../core/tensor.ts";
import { lime, limeDetailed } from "../../explainers/lime/lime.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";

const [C, H, W, CLASSES] = [3, 16, 16, 3];
const P = H * W;

/** logit_c = sum over pixels of V_c * x: a linear layer as one full-image convolution. */
class PixelLinear extends Module {
  readonly v: Tensor;
  constructor(v: Float32Array) {
    super();
    this.v = keep(fromArray([CLASSES, C, H, W], v));
  }
  forward(x: Tensor): Tensor {
    return reshape(conv2d(x, this.v), [x.shape[0], CLASSES]);
  }
}

/** A 4 x 4 grid of 4 x 4 px superpixels. */
const SEGMENTS = Int32Array.from(
  { length: P },
  (_, p) => Math.floor(Math.floor(p / W) / 4) * 4 + Math.floor((p % W) / 4),
);
const K = 16;

/**
 * V_c = w_ck (x - mean_k) / |x - mean_k|^2 on superpixel k, so that with hidden superpixels set to their
 * mean, logit_c = sum_k w_ck z_k exactly (linear in the on/off vector z).
 */
function linearInSuperpixels(x: Float32Array, w: Float32Array): Float32Array {
  const v = new Float32Array(CLASSES * C * P);
  const mean = new Float64Array(C * K);
  const norm = new Float64Array(K);
  for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) mean[c * K + SEGMENTS[p]] += x[c * P + p] / 16;
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < P; p++) norm[SEGMENTS[p]] += (x[c * P + p] - mean[c * K + SEGMENTS[p]]) ** 2;
  }
  for (let o = 0; o < CLASSES; o++) {
    for (let c = 0; c < C; c++) {
      for (let p = 0; p < P; p++) {
        const k = SEGMENTS[p];
        v[(o * C + c) * P + p] = (w[o * K + k] * (x[c * P + p] - mean[c * K + k])) / norm[k];
      }
    }
  }
  return v;
}

Deno.test("LIME recovers the weights of a model linear in its superpixels", async () => {
  await initGpu();
  const xh = randomHost([1, C, H, W], 21, 0, 1);
  const w = randomHost([CLASSES, K], 22, -1, 1);
  const model = new PixelLinear(linearInSuperpixels(xh.data, w.data));
  await tidyAsync(async () => {
    const x = fromArray(xh.shape, xh.data);
    for (const target of [0, 2]) {
      const want = w.data.subarray(target * K, (target + 1) * K);
      // Nearly unpenalised: the regression is exact.
      const exact = await limeDetailed(model, x, [target], {
        segments: [SEGMENTS],
        score: "logit",
        alpha: 1e-8,
      });
      assertClose(exact.coefficients[0], want, 1e-4, `target ${target} coefficients (alpha 0)`);
      assert.ok(exact.scores[0] > 1 - 1e-9, "R^2 = 1");
      // LIME's default ridge (alpha 1) shrinks a little.
      const res = await limeDetailed(model, x, [target], {
        segments: [SEGMENTS],
        score: "logit",
        batchSize: 64,
      });
      assertClose(res.coefficients[0], want, 0.05, `target ${target} coefficients (alpha 1)`);
      const map = await res.map.read();
      for (let p = 0; p < P; p++) assert.equal(map[p], Math.fround(res.coefficients[0][SEGMENTS[p]]));
    }
    // A batch of two images with quickshift superpixels, softmax scores: seeded and repeatable.
    const x2 = fromArray([2, C, H, W], randomHost([2, C, H, W], 23, 0, 1).data);
    const a =
      await (await lime(model, x2, [1, 2], { samples: 64, quickshift: { kernelSize: 2, maxDist: 6 } }))
        .read();
    const b =
      await (await lime(model, x2, [1, 2], { samples: 64, quickshift: { kernelSize: 2, maxDist: 6 } }))
        .read();
    assert.deepEqual(a, b);
    assert.ok(a.every(Number.isFinite));
    const slicMaps = await lime(model, x2, [1, 2], {
      samples: 32,
      method: "slic",
      slic: { nSegments: 8 },
      score: "sigmoid",
    });
    assert.deepEqual([...slicMaps.shape], [2, H, W]);
  });
  model.v.dispose();
});
