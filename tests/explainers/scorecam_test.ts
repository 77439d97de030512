import assert from "node:assert/strict";
import { noGrad } from "../../core/autograd.ts";
import { initGpu } from "../../core/gpu/device.ts";
import { withCapture } from "../../core/nn/module.ts";
import "../../core/ops/mod.ts";
import { resizeBilinear } from "../../core/ops/resize.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import { scoreCam } from "../../explainers/scorecam.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";
import { smallResNet } from "./helpers.ts";

Deno.test("ScoreCAM equals a channel-by-channel reference (one masked forward per channel)", async () => {
  await initGpu();
  const model = smallResNet(8);
  const [B, H, W] = [2, 16, 16];
  const target = [1, 3];
  await tidyAsync(async () => {
    const xh = randomHost([B, 3, H, W], 30, 0, 1);
    const x = fromArray(xh.shape, xh.data);
    const layer = model.gradcamLayer;
    const act = noGrad(() => withCapture([layer], () => model.call(x)).outputs.get(layer)!);
    const [, K, h, w] = act.shape;
    const up = await resizeBilinear(act, [H, W]).read();
    const a = await act.read();
    const cam = new Float64Array(B * h * w);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        const plane = up.subarray((b * K + k) * H * W, (b * K + k + 1) * H * W);
        let lo = Infinity, hi = -Infinity;
        for (const v of plane) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
        if (!(hi > lo)) continue;
        const masked = new Float32Array(3 * H * W);
        for (let c = 0; c < 3; c++) {
          for (let p = 0; p < H * W; p++) {
            masked[c * H * W + p] = xh.data[(b * 3 + c) * H * W + p] * ((plane[p] - lo) / (hi - lo));
          }
        }
        const logits = await noGrad(() => model.call(fromArray([1, 3, H, W], masked))).read();
        const m = Math.max(...logits);
        const e = Array.from(logits, (v) => Math.exp(v - m));
        const s = e[target[b]] / e.reduce((p, q) => p + q, 0);
        for (let i = 0; i < h * w; i++) cam[b * h * w + i] += s * a[(b * K + k) * h * w + i];
      }
    }
    const raw = scoreCam(model, x, target, { upsample: false, batchSize: 7 });
    assert.deepEqual([...raw.shape], [B, h, w]);
    assertClose(await raw.read(), cam, 1e-4, "scorecam");
    const full = scoreCam(model, x, target, { batchSize: 64 });
    assert.deepEqual([...full.shape], [B, H, W]);
    const wantUp = await resizeBilinear(fromArray([B, 1, h, w], cam), [H, W]).read();
    assertClose(await full.read(), wantUp, 1e-4, "upsampled scorecam");
    const relu = await scoreCam(model, x, target, { relu: true, score: "sigmoid" }).read();
    assert.ok(relu.every((v) => v >= 0));
  });
  model.dispose();
});
