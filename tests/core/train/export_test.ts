import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import "../../../core/ops/mod.ts";
import type { HostTensor } from "../../../core/host_tensor.ts";
import { readSafetensors, writeSafetensors } from "../../../core/io/safetensors.ts";
import { buildBackbone } from "../../../core/train/arch.ts";
import { importBackbone, loadBackbone, saveBackbone } from "../../../core/train/export.ts";
import { readStateDict } from "../../../core/train/readback.ts";

await initGpu();

async function randomWeights(seed: number): Promise<Map<string, HostTensor>> {
  const bb = buildBackbone({ name: "resnet_small", seed });
  try {
    return await readStateDict(bb.module.stateDict());
  } finally {
    bb.module.dispose();
  }
}

function assertSameWeights(actual: Map<string, HostTensor>, expected: Map<string, HostTensor>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [k, t] of expected) assert.deepEqual(actual.get(k)!.data, t.data, k);
}

Deno.test("importBackbone: a released-style file with module.encoder_q. keys and a classifier loads; extra keys are dropped and counted", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const weights = await randomWeights(7);
    const wrapped = new Map([...weights].map(([k, t]) => [`module.encoder_q.${k}`, t]));
    wrapped.set("module.encoder_q.fc.weight", { shape: [10, 64], data: new Float32Array(640).fill(1) });
    wrapped.set("module.encoder_q.fc.bias", { shape: [10], data: new Float32Array(10) });
    await writeSafetensors(`${tmp}/moco.safetensors`, wrapped);
    const rec = await importBackbone(`${tmp}/moco.safetensors`, "resnet_small", "mocov2", `${tmp}/run`);
    assert.equal(rec.method, "mocov2");
    assert.equal(rec.run.droppedKeys, 2);
    const loaded = await loadBackbone(`${tmp}/run`);
    loaded.backbone.module.dispose();
    assert.equal(loaded.record.arch.name, "resnet_small");
    assertSameWeights(await readSafetensors(`${tmp}/run/backbone.safetensors`), weights);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("importBackbone: a missing key, a wrong shape and a wrong architecture are errors naming the file and key", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const weights = await randomWeights(1);
    const missing = new Map(weights);
    missing.delete("layer2.0.conv1.weight");
    await writeSafetensors(`${tmp}/missing.safetensors`, missing);
    await assert.rejects(
      importBackbone(`${tmp}/missing.safetensors`, "resnet_small", "byol", `${tmp}/a`),
      /missing\.safetensors.*missing keys: layer2\.0\.conv1\.weight/,
    );
    const wrong = new Map(weights);
    wrong.set("conv1.weight", { shape: [8, 1, 5, 5], data: new Float32Array(200) });
    await writeSafetensors(`${tmp}/wrong.safetensors`, wrong);
    await assert.rejects(
      importBackbone(`${tmp}/wrong.safetensors`, "resnet_small", "byol", `${tmp}/b`),
      /wrong\.safetensors: key 'conv1\.weight' has shape \[8,1,5,5\], the model expects \[8,1,3,3\]/,
    );
    await assert.rejects(
      importBackbone(`${tmp}/nothing.pth`, "resnet_small", "byol", `${tmp}/c`),
      /nothing\.pth does not exist/,
    );
    const bb = buildBackbone({ name: "resnet_small" });
    await saveBackbone(`${tmp}/run`, bb, { method: "supervised" });
    bb.module.dispose();
    await assert.rejects(
      importBackbone(`${tmp}/run`, "bcos_resnet_small", "supervised", `${tmp}/d`),
      /backbone\.json: architecture 'resnet_small', expected 'bcos_resnet_small'/,
    );
    await assert.rejects(
      Deno.stat(`${tmp}/a/backbone.json`),
      Deno.errors.NotFound,
      "nothing is written on failure",
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("importBackbone: a small conventional network takes the checkpoint's input channels (RGB resnet_tiny)", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const bb = buildBackbone({ name: "resnet_tiny", inChannels: 3, seed: 4 });
    const weights = await readStateDict(bb.module.stateDict());
    bb.module.dispose();
    await writeSafetensors(`${tmp}/rgb.safetensors`, weights);
    const rec = await importBackbone(`${tmp}/rgb.safetensors`, "resnet_tiny", "supervised", `${tmp}/run`);
    assert.equal(rec.inChannels, 3);
    const loaded = await loadBackbone(`${tmp}/run`);
    assert.equal(loaded.backbone.inChannels, 3);
    loaded.backbone.module.dispose();
    assertSameWeights(await readSafetensors(`${tmp}/run/backbone.safetensors`), weights);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("importBackbone: a run directory of tasks/pretrain.ts is copied with its record", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const bb = buildBackbone({ name: "bcos_resnet_tiny", seed: 3 });
    await saveBackbone(`${tmp}/src`, bb, { method: "dino", run: { epochs: 4 } });
    bb.module.dispose();
    const rec = await importBackbone(`${tmp}/src`, "bcos_resnet_tiny", "ignored", `${tmp}/dst`);
    assert.equal(rec.method, "dino");
    assert.equal(rec.run.epochs, 4);
    assert.equal(rec.run.importedFrom, `${tmp}/src`);
    assertSameWeights(
      await readSafetensors(`${tmp}/dst/backbone.safetensors`),
      await readSafetensors(`${tmp}/src/backbone.safetensors`),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("buildBackbone: the full-size architectures are torchvision's / B-cos v2's networks without their heads", () => {
  const expected: Record<string, [number, number, number]> = {
    // [parameters, feature width, input channels]; resnet50 = 25,557,032 minus fc (2048 x 1000 + 1000)
    resnet50: [23_508_032, 2048, 3],
    // vit_b_16 = 86,567,656 minus heads.head (768 x 1000 + 1000)
    vit_b_16: [85_798_656, 768, 3],
  };
  for (const [name, [params, width, channels]] of Object.entries(expected)) {
    const bb = buildBackbone({ name: name as "resnet50" | "vit_b_16" });
    try {
      assert.equal(bb.module.parameterCount(), params, name);
      assert.equal(bb.featureDim, width, name);
      assert.equal(bb.inChannels, channels, name);
    } finally {
      bb.module.dispose();
    }
  }
  const bcos = buildBackbone({ name: "bcos_resnet50" });
  assert.equal(bcos.inChannels, 6);
  assert.equal(bcos.featureDim, 2048);
  bcos.module.dispose();
});
