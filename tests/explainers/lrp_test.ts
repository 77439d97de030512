import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import "../../core/ops/mod.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import { mergeBatchNorm, residualSum, traceModel } from "../../explainers/lrp/canonizers.ts";
import {
  epsilonAlpha2Beta1,
  epsilonGammaBox,
  epsilonPlus,
  layerMapComposite,
} from "../../explainers/lrp/composites.ts";
import { lrp } from "../../explainers/lrp/lrp.ts";
import { epsilon } from "../../explainers/lrp/rules.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";
import { randomiseBatchNorm, smallResNet, zeroShifts } from "./helpers.ts";
import { ResNet } from "../../core/models/resnet.ts";

Deno.test("canonizers leave the output unchanged and restore the model exactly", async () => {
  await initGpu();
  const model = smallResNet(2);
  await tidyAsync(async () => {
    const xh = randomHost([2, 3, 16, 16], 9, 0, 1);
    const x = fromArray(xh.shape, xh.data);
    const before = await model.call(x).read();
    const state = new Map<string, Float32Array>();
    for (const [k, t] of model.stateDict()) state.set(k, await t.read());
    const trace = traceModel(model, x);
    // stem + 4 blocks x (3 convs + downsample) = 17 conv/BN pairs; one residual sum per block.
    assert.equal(trace.convBatchNorm.length, 17);
    assert.deepEqual(
      trace.sums,
      ["layer4.0.residual", "layer3.0.residual", "layer2.0.residual", "layer1.0.residual"].reverse(),
    );
    const applied = [mergeBatchNorm().apply(model, x), residualSum().apply(model, x)];
    const during = await model.call(x).read();
    assertClose(during, before, 1e-5, "output with merged batch norms");
    // The merged BN is an identity: its weight is 1 and its eps 0.
    assert.deepEqual([...(await model.stateDict().get("layer1.0.bn2.weight")!.read())], [1, 1, 1, 1]);
    for (const a of applied) a.remove();
    applied[0].remove(); // idempotent
    assertClose(await model.call(x).read(), before, 0, "output after removal");
    for (const [k, t] of model.stateDict()) assert.deepEqual(await t.read(), state.get(k), `restored ${k}`);
    assert.equal((model.get("conv1") as unknown as { bias?: unknown }).bias, undefined);
  });
  model.dispose();
});

Deno.test("LRP conserves relevance through the small ResNet with canonizers (no biases, eps -> 0)", async () => {
  await initGpu();
  const model = smallResNet(4);
  zeroShifts(model);
  await tidyAsync(async () => {
    const xh = randomHost([2, 3, 16, 16], 10, 0, 1);
    const x = fromArray(xh.shape, xh.data);
    const target = [2, 0];
    const logits = await model.call(x).read();
    // ZPlus / AlphaBeta are not in this list: with the proportional residual split a summand can carry
    // relevance of the opposite sign to its z+ (or z-), and relevance is lost where that vanishes.
    const composites = [
      ["epsilon-gamma-box", epsilonGammaBox({ low: -1, high: 2, epsilon: 1e-9 }), 1e-3],
      ["all-epsilon", layerMapComposite({ name: "eps", conv: epsilon(1e-9), linear: epsilon(1e-9) }), 1e-3],
    ] as const;
    for (const [name, composite, tol] of composites) {
      const r = await lrp(model, x, target, { composite }).read();
      for (let b = 0; b < 2; b++) {
        let s = 0;
        for (let i = 0; i < 256; i++) s += r[b * 256 + i];
        const want = logits[b * 5 + target[b]];
        const rel = Math.abs(s - want) / Math.abs(want);
        assert.ok(
          rel < tol,
          `${name} image ${b}: relevance ${s} vs logit ${want} (rel ${rel.toExponential(2)})`,
        );
      }
    }
    // Without the residual canonizer an add passes its relevance to both branches: not conserved.
    const egb = epsilonGammaBox({ low: -1, high: 2, epsilon: 1e-9 });
    const plain = await lrp(model, x, target, { composite: egb, canonizers: [mergeBatchNorm()] }).read();
    let s = 0;
    for (let i = 0; i < 256; i++) s += plain[i];
    assert.ok(Math.abs(s - logits[target[0]]) / Math.abs(logits[target[0]]) > 1e-2, "no residual canonizer");
    // Channels option and the model left as it was.
    const ch = lrp(model, x, target, { channels: true });
    assert.deepEqual([...ch.shape], [2, 3, 16, 16]);
    for (const composite of [epsilonPlus(), epsilonAlpha2Beta1()]) {
      const m = await lrp(model, x, target, { composite }).read();
      assert.ok(m.every(Number.isFinite), `${composite.name} finite`);
    }
    assertClose(await model.call(x).read(), logits, 0, "model unchanged after lrp");
  });
  model.dispose();
});

Deno.test("LRP conserves relevance through max pooling (winner takes all) with the ImageNet stem", async () => {
  await initGpu();
  const model = new ResNet({
    block: "bottleneck",
    layers: [1, 1, 1, 1],
    widths: [4, 8, 8, 8],
    numClasses: 5,
    stem: "imagenet",
    seed: 9,
  });
  randomiseBatchNorm(model, 9);
  zeroShifts(model);
  model.eval();
  await tidyAsync(async () => {
    const x = fromArray([2, 3, 32, 32], randomHost([2, 3, 32, 32], 13, 0, 1).data);
    const logits = await model.call(x).read();
    const r = await lrp(model, x, [3, 1], { composite: epsilonGammaBox({ low: -1, high: 2, epsilon: 1e-9 }) })
      .read();
    [3, 1].forEach((t, b) => {
      let s = 0;
      for (let i = 0; i < 1024; i++) s += r[b * 1024 + i];
      const want = logits[b * 5 + t];
      assert.ok(Math.abs(s - want) < 1e-3 * Math.abs(want), `image ${b}: relevance ${s} vs logit ${want}`);
    });
  });
  model.dispose();
});
