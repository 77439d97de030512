import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import { ResNet } from "../../core/models/resnet.ts";
import "../../core/ops/mod.ts";
import { resizeBilinear } from "../../core/ops/resize.ts";
import { fromHost, tidyAsync, view } from "../../core/tensor.ts";
import { gradCam } from "../../explainers/gradcam.ts";
import { inputXGradient } from "../../explainers/gradient.ts";
import { assertClose } from "../util/assert_close.ts";
import { readFixture } from "../util/read_fixture.ts";

const FIXTURE = new URL("../fixtures/torch/resnet_bottleneck_small.safetensors", import.meta.url);

async function fixture() {
  const tensors = await readFixture(FIXTURE);
  const weights = new Map<string, HostTensor>();
  for (const [k, v] of tensors) if (k.startsWith("weights.")) weights.set(k.slice("weights.".length), v);
  const model = new ResNet({
    block: "bottleneck",
    layers: [2, 1, 1, 1],
    widths: [8, 16, 24, 32],
    numClasses: 10,
  });
  model.loadStateDict(weights);
  model.eval();
  const target = Array.from(tensors.get("target")!.data);
  return { tensors, model, target };
}

Deno.test("Input x Gradient and GradCAM equal the PyTorch fixture (resnet_bottleneck_small)", async () => {
  await initGpu();
  const { tensors, model, target } = await fixture();
  await tidyAsync(async () => {
    const x = fromHost(tensors.get("input")!);
    const ixg = inputXGradient(model, x, target);
    assert.deepEqual([...ixg.shape], [2, 64, 64]);
    assertClose(await ixg.read(), tensors.get("input_x_gradient")!.data, 1e-3, "input x gradient");
    const perChannel = inputXGradient(model, x, target, { channels: true });
    assert.deepEqual([...perChannel.shape], [2, 3, 64, 64]);

    assert.equal(model.gradcamLayer, "layer4.0.conv3");
    const raw = gradCam(model, x, target, { upsample: false });
    assert.deepEqual([...raw.shape], [2, 2, 2]);
    assertClose(await raw.read(), tensors.get("gradcam_layer4_conv3")!.data, 1e-3, "gradcam");
    const up = gradCam(model, x, target);
    assert.deepEqual([...up.shape], [2, 64, 64]);
    const want = await resizeBilinear(view(raw, [2, 1, 2, 2]), [64, 64]).read();
    assertClose(await up.read(), want, 1e-6, "upsampled gradcam");
    // A tensor target (class indices) gives the same maps; the model stays in eval mode.
    const byTensor = gradCam(model, x, fromHost(tensors.get("target")!), { upsample: false });
    assertClose(await byTensor.read(), await raw.read(), 1e-6, "tensor target");
    assert.equal(model.training, false);
  });
  model.dispose();
});
