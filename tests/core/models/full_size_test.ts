import assert from "node:assert/strict";
import { grad } from "../../../core/autograd.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { bcosEncode, BcosResNet } from "../../../core/models/bcos_resnet.ts";
import { resnet } from "../../../core/models/resnet.ts";
import { vitB16 } from "../../../core/models/vit.ts";
import { randUniform } from "../../../core/ops/random.ts";
import { sum } from "../../../core/ops/reduce.ts";
import type { Module } from "../../../core/nn/module.ts";
import { tidyAsync } from "../../../core/tensor.ts";

await initGpu();

Deno.test("full size: resnet50 and vit_b_16 have torchvision's parameter counts", () => {
  const r = resnet("resnet50", { numClasses: 1000 });
  assert.equal(r.parameterCount(), 25_557_032);
  r.dispose();
  const v = vitB16({ numClasses: 1000 });
  assert.equal(v.parameterCount(), 86_567_656);
  v.dispose();
});

async function forwardBackward(model: Module, channels: number): Promise<void> {
  model.eval();
  await tidyAsync(async () => {
    const x = randUniform([1, 3, 224, 224], 5);
    const input = channels === 6 ? bcosEncode(x) : x;
    input.requiresGrad = true;
    const logits = model.call(input);
    assert.deepEqual([...logits.shape], [1, 1000]);
    const [dx] = grad(sum(logits), [input]);
    const g = await dx!.read();
    assert.equal(g.length, channels * 224 * 224);
    assert.ok(g.every(Number.isFinite) && g.some((v) => v !== 0), "a finite, non-zero input gradient");
  });
  model.dispose();
}

Deno.test("full size: resnet50 at 224 px runs forward and backward at batch 1", async () => {
  await forwardBackward(resnet("resnet50"), 3);
});

Deno.test("full size: B-cos resnet50 at 224 px runs forward and backward at batch 1", async () => {
  await forwardBackward(new BcosResNet({ block: "bottleneck", layers: [3, 4, 6, 3] }), 6);
});

Deno.test("full size: vit_b_16 at 224 px runs forward and backward at batch 1", async () => {
  await forwardBackward(vitB16(), 3);
});
