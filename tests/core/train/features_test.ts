import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import "../../../core/ops/mod.ts";
import { loadFashionMnist } from "../../../core/data/fashion_mnist.ts";
import { fashionImageSet } from "../../../core/train/data.ts";
import { predict } from "../../../core/train/evaluate.ts";
import { randomBackbone } from "../../../core/train/export.ts";
import { cachedFeatures, featureSet } from "../../../core/train/features.ts";
import { Probe } from "../../../core/models/probes.ts";
import { fromArray, tidy } from "../../../core/tensor.ts";

await initGpu();

Deno.test("feature cache: miss computes in eval mode and writes; same key hits; another data or backbone key misses", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const set = fashionImageSet(await loadFashionMnist({ split: "test", limit: 20 }));
    const { backbone, hash } = await randomBackbone({ name: "resnet_tiny", widths: [4, 8, 8], seed: 2 });
    backbone.module.train();
    const dataKey = { split: "test", limit: 20 };
    const a = await cachedFeatures({
      cacheDir: tmp,
      backbone,
      backboneHash: hash,
      set,
      dataKey,
      batchSize: 8,
    });
    assert.equal(a.hit, false);
    assert.deepEqual(a.features.shape, [20, 8, 7, 7]);
    assert.equal(backbone.module.training, true, "the backbone's mode is restored");
    // eval-mode features, batch-size independent
    backbone.module.eval();
    const direct = await predict((x) => backbone.featureMap(x), set, { batchSize: 20 });
    assert.deepEqual(a.features.data, direct.data);
    const b = await cachedFeatures({ cacheDir: tmp, backbone, backboneHash: hash, set, dataKey });
    assert.equal(b.hit, true);
    assert.equal(b.path, a.path);
    assert.deepEqual(b.features.data, a.features.data);
    const c = await cachedFeatures({
      cacheDir: tmp,
      backbone,
      backboneHash: hash,
      set,
      dataKey: { ...dataKey, v: 2 },
    });
    assert.equal(c.hit, false);
    assert.notEqual(c.path, a.path);
    const d = await cachedFeatures({
      cacheDir: tmp,
      backbone,
      backboneHash: hash.replace(/^./, "x"),
      set,
      dataKey,
    });
    assert.equal(d.hit, false);
    const files = [...Deno.readDirSync(tmp)].map((e) => e.name).filter((n) => n.endsWith(".safetensors"));
    assert.equal(files.length, 3);
    const fs = featureSet(a.features, set);
    assert.deepEqual(fs.itemShape, [8, 7, 7]);
    assert.equal(fs.labels, set.labels);
    backbone.module.dispose();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("feature cache, mean reduction: the maps' CPU means, keyed apart; a linear probe's logits are the same on both", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const set = fashionImageSet(await loadFashionMnist({ split: "test", limit: 6 }));
    const { backbone, hash } = await randomBackbone({ name: "resnet_tiny", widths: [4, 8, 8], seed: 5 });
    const o = { cacheDir: tmp, backbone, backboneHash: hash, set, dataKey: { split: "test", limit: 6 } };
    const maps = await cachedFeatures(o);
    const means = await cachedFeatures({ ...o, reduce: "mean" });
    assert.equal(means.hit, false, "the reduction is part of the key");
    assert.notEqual(means.path, maps.path);
    assert.deepEqual(means.features.shape, [6, 8, 1, 1]);
    const [n, D, h, w] = maps.features.shape;
    for (let i = 0; i < n * D; i++) {
      let s = 0;
      for (let k = 0; k < h * w; k++) s += maps.features.data[i * h * w + k];
      assert.ok(Math.abs(s / (h * w) - means.features.data[i]) < 1e-5, `item ${i}`);
    }
    assert.equal((await cachedFeatures({ ...o, reduce: "mean" })).hit, true);
    const probe = new Probe({ kind: "linear", inChannels: D, numClasses: 10, seed: 1 });
    const logits = async (f: { shape: number[]; data: Float32Array }) =>
      await tidy(() => probe.forward(fromArray(f.shape, f.data)).keep()).read();
    const a = await logits(maps.features), b = await logits(means.features);
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `logit ${i}: ${a[i]} vs ${b[i]}`);
    }
    probe.dispose();
    backbone.module.dispose();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
