import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import "../../../core/ops/mod.ts";
import { DecodePool } from "../../../core/data/decode_pool.ts";
import type { Sample } from "../../../core/data/dataset.ts";
import { type Backbone, buildBackbone } from "../../../core/train/arch.ts";
import { ViewBatcher } from "../../../core/train/data.ts";
import { FolderBatches } from "../../../core/train/folder_batches.ts";
import {
  type FolderDataset,
  folderTrainTransform,
  folderTransform,
  inputEncoding,
  listFolderSplit,
} from "../../../core/train/folder_data.ts";
import { cachedFolderFeatures, folderImageSet } from "../../../core/train/folder_features.ts";
import type { BatchSource } from "../../../core/train/loop.ts";
import { trainLoop } from "../../../core/train/loop.ts";
import { ProbeMethod } from "../../../core/train/probe.ts";
import { readStateDict } from "../../../core/train/readback.ts";
import { assertClose } from "../../util/assert_close.ts";
import { withTempDir } from "../../util/temp_dir.ts";
import { buildColorImageFolder, buildColorVoc } from "../../tasks/image_trees.ts";
import { writeTruncatedJpeg } from "../data/tree_builders.ts";

await initGpu();

const SIZE = 16, BATCH = 4;

/** Trains a linear probe for `epochs` on `data` (images through `backbone` when given, else features). */
async function trainProbe(
  data: BatchSource,
  o: { dir: string; numClasses: number; multiLabel: boolean; backbone: Backbone; frozen: boolean },
  loop: { epochs: number; stopAtStep?: number; resume?: boolean } = { epochs: 2 },
) {
  const method = new ProbeMethod({
    probe: "linear",
    inChannels: o.backbone.featureDim,
    numClasses: o.numClasses,
    loss: "bce",
    multiLabel: o.multiLabel,
    totalSteps: data.batchesPerEpoch * loop.epochs,
    optim: { kind: "adam", lr: 3e-2, weightDecay: 0, warmupFraction: 0 },
    frozen: o.frozen ? { backbone: o.backbone, reduce: "mean" } : undefined,
  });
  try {
    const r = await trainLoop({
      method,
      data,
      outDir: o.dir,
      progress: false,
      logEvery: 1,
      seed: 2,
      ...loop,
    });
    return { r, weights: await readStateDict(method.probe.stateDict()) };
  } finally {
    method.dispose();
  }
}

for (
  const [dataset, arch] of [["imagenet", "resnet_tiny"], ["voc2007", "bcos_resnet_tiny"]] as const
) {
  Deno.test(`folder batches (${dataset}, ${arch}): with the evaluation transform, a probe trained on streamed images through the frozen backbone matches one trained on its cached features`, async () => {
    await withTempDir(async (tmp) => {
      const root = dataset === "imagenet"
        ? (await buildColorImageFolder(`${tmp}/in`, { classes: 3, perClass: 4, size: 24 }), `${tmp}/in`)
        : (await buildColorVoc(`${tmp}/voc`, { trainval: 10, test: 2, size: 24 }), `${tmp}/voc`);
      const list = await listFolderSplit(dataset as FolderDataset, root, "train", 0);
      const numClasses = list.classes.length;
      const rgb = arch === "resnet_tiny" ? { inChannels: 3 } : {};
      const backbone = buildBackbone({ name: arch, seed: 3, widths: [4, 8, 8], ...rgb });
      const encoding = inputEncoding(backbone);
      const transform = folderTransform(dataset, SIZE, encoding, true);
      const pool = new DecodePool({ size: 2 });
      try {
        const f = await cachedFolderFeatures({
          samples: list.samples,
          numClasses,
          transform,
          channels: encoding.channels,
          pool,
          cacheDir: `${tmp}/cache`,
          backbone,
          backboneHash: "h",
          dataKey: { t: 1 },
          reduce: "mean",
        });
        const set = folderImageSet(f, list.samples, numClasses, list.multiLabel);
        assert.equal(set.n, list.samples.length);
        const common = { numClasses, multiLabel: list.multiLabel, backbone };
        const cached = await trainProbe(
          new ViewBatcher({ set, batchSize: BATCH, seed: 2, dropLast: false }),
          { ...common, dir: `${tmp}/a`, frozen: false },
        );
        backbone.module.train(true); // the probe puts the frozen backbone into evaluation mode itself
        const streamed = new FolderBatches({
          samples: list.samples,
          numClasses,
          multiLabel: list.multiLabel,
          batchSize: BATCH,
          pool,
          transform,
          channels: encoding.channels,
          seed: 2,
        });
        const first = await streamed.batch(0, 0);
        const expected = first.indices.flatMap((i) =>
          list.multiLabel
            ? Array.from({ length: numClasses }, (_, c) => list.samples[i].labels.includes(c) ? 1 : 0)
            : [list.samples[i].labels[0]]
        );
        assert.deepEqual(Array.from(first.labels), expected);
        const onImages = await trainProbe(streamed, { ...common, dir: `${tmp}/b`, frozen: true });
        await streamed.close();
        assert.equal(onImages.r.history.losses.length, 2 * Math.ceil(list.samples.length / BATCH));
        assertClose(onImages.r.history.losses, cached.r.history.losses, 1e-5, "losses");
        for (const [k, w] of cached.weights) assertClose(onImages.weights.get(k)!.data, w.data, 1e-5, k);
      } finally {
        pool.close();
        backbone.module.dispose();
      }
    }, "folder_batches_");
  });
}

Deno.test("folder batches: an augmented streamed run interrupted mid-epoch and resumed ends with the weights of an uninterrupted run", async () => {
  await withTempDir(async (tmp) => {
    await buildColorImageFolder(`${tmp}/in`, { classes: 3, perClass: 4, size: 24 });
    const list = await listFolderSplit("imagenet", `${tmp}/in`, "train", 0);
    const backbone = buildBackbone({ name: "resnet_tiny", seed: 3, widths: [4, 8, 8], inChannels: 3 });
    const encoding = inputEncoding(backbone);
    const pool = new DecodePool({ size: 2 });
    const batches = () =>
      new FolderBatches({
        samples: list.samples,
        numClasses: 3,
        multiLabel: false,
        batchSize: BATCH,
        pool,
        seed: 2,
        transform: folderTrainTransform(SIZE, encoding),
        channels: encoding.channels,
      });
    const o = { numClasses: 3, multiLabel: false, backbone, frozen: true };
    try {
      const whole = batches();
      const full = await trainProbe(whole, { ...o, dir: `${tmp}/full` });
      await whole.close();
      const a = batches(), b = batches();
      const stopped = await trainProbe(a, { ...o, dir: `${tmp}/cut` }, { epochs: 2, stopAtStep: 4 });
      await a.close();
      assert.equal(stopped.r.interrupted, true);
      assert.equal(stopped.r.step, 4); // epoch 1, batch 1 of 3
      const resumed = await trainProbe(b, { ...o, dir: `${tmp}/cut` }, { epochs: 2, resume: true });
      await b.close();
      assert.equal(resumed.r.step, 6);
      assertClose(resumed.r.history.losses, full.r.history.losses, 1e-6, "losses");
      for (const [k, w] of full.weights) assertClose(resumed.weights.get(k)!.data, w.data, 1e-6, k);
    } finally {
      pool.close();
      backbone.module.dispose();
    }
  }, "folder_batches_");
});

Deno.test("folder batches: batches are deterministic in (seed, epoch, index) whatever the order asked, and crops change between epochs", async () => {
  await withTempDir(async (tmp) => {
    await buildColorImageFolder(`${tmp}/in`, { classes: 2, perClass: 3, size: 24 });
    const list = await listFolderSplit("imagenet", `${tmp}/in`, "train", 0);
    const encoding = { name: "imagenet-norm", channels: 3 } as const;
    using pool = new DecodePool({ size: 2 });
    const make = () =>
      new FolderBatches({
        samples: list.samples,
        numClasses: 2,
        multiLabel: false,
        batchSize: 2,
        pool,
        seed: 5,
        transform: folderTrainTransform(8, encoding),
        channels: 3,
      });
    const a = make(), b = make();
    const inOrder = [await a.batch(0, 0), await a.batch(0, 1), await a.batch(0, 2), await a.batch(1, 0)];
    const jumped = [await b.batch(1, 0), await b.batch(0, 2), await b.batch(0, 0), await b.batch(0, 1)];
    await a.close();
    await b.close();
    for (const [x, y] of [[0, 2], [1, 3], [2, 1], [3, 0]]) {
      assert.deepEqual(inOrder[x].indices, jumped[y].indices);
      assert.deepEqual(inOrder[x].views[0].data, jumped[y].views[0].data);
    }
    assert.deepEqual(inOrder[0].views[0].shape, [2, 3, 8, 8]);
    // a sample's crop in epoch 0 differs from its crop in epoch 1
    const all0 = inOrder.slice(0, 3);
    const i = inOrder[3].indices[0];
    const at0 = all0.find((bt) => bt.indices.includes(i))!;
    const size = 3 * 8 * 8, j = at0.indices.indexOf(i);
    assert.notDeepEqual(
      at0.views[0].data.slice(j * size, (j + 1) * size),
      inOrder[3].views[0].data.slice(0, size),
    );
  }, "folder_batches_");
});

Deno.test("folder batches: a corrupt JPEG is skipped with one warning per file (the cached path's policy); onError stop and an all-corrupt batch are errors naming the file", async () => {
  await withTempDir(async (tmp) => {
    await buildColorImageFolder(`${tmp}/in`, { classes: 2, perClass: 3, size: 16 });
    const bad = `${tmp}/in/train/n00000001/n00000001_train_9.JPEG`;
    await writeTruncatedJpeg(bad, 16, 16);
    const list = await listFolderSplit("imagenet", `${tmp}/in`, "train", 0);
    assert.equal(list.samples.length, 7);
    using pool = new DecodePool({ size: 2 });
    const transform = folderTrainTransform(8, { name: "imagenet-norm", channels: 3 });
    const make = (samples: Sample[], batchSize: number, onError?: "stop") => {
      const warnings: string[] = [];
      const data = new FolderBatches({
        samples,
        numClasses: 2,
        multiLabel: false,
        batchSize,
        pool,
        transform,
        channels: 3,
        onError,
        onWarning: (m: string) => warnings.push(m),
        shuffle: false,
      });
      return { data, warnings };
    };
    const { data, warnings } = make(list.samples, 3);
    assert.equal(data.batchesPerEpoch, 3);
    for (let epoch = 0; epoch < 2; epoch++) {
      const sizes = [];
      const seen: number[] = [];
      for (let k = 0; k < 3; k++) {
        const bt = await data.batch(epoch, k);
        sizes.push(bt.size);
        seen.push(...bt.indices);
        assert.equal(bt.labels.length, bt.size);
      }
      const badIndex = list.samples.findIndex((s) => s.path === bad);
      assert.equal(sizes.reduce((a, b) => a + b), 6, `epoch ${epoch}: ${sizes}`);
      assert.ok(!seen.includes(badIndex));
    }
    await data.close();
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], new RegExp(`skipping ${bad}: truncated JPEG`));
    assert.equal(data.skipped.length, 1);

    const stop = make(list.samples, 3, "stop");
    const badBatch = Math.floor(list.samples.findIndex((s) => s.path === bad) / 3);
    await assert.rejects(stop.data.batch(0, badBatch), new RegExp(`${bad}: truncated JPEG`));
    await stop.data.close();

    const good = list.samples.find((s) => s.path !== bad)!;
    const lone = make([list.samples.find((s) => s.path === bad)!, good], 1);
    await assert.rejects(
      lone.data.batch(0, 0),
      new RegExp(`batch 0 of epoch 0: none of its image files decoded \\(${bad}\\)`),
    );
    assert.equal((await lone.data.batch(0, 1)).size, 1, "the source recovers at the next batch");
    await lone.data.close();
  }, "folder_batches_");
});
