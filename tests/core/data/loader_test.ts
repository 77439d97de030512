import assert from "node:assert/strict";
import { DecodePool } from "../../../core/data/decode_pool.ts";
import { ImageDecodeError } from "../../../core/data/decode.ts";
import { listImageNet } from "../../../core/data/imagenet.ts";
import { type Batch, BatchLoader } from "../../../core/data/loader.ts";
import { listVoc } from "../../../core/data/voc.ts";
import {
  bcos6,
  compose,
  randomHorizontalFlip,
  randomResizedCrop,
  resizeCenterCrop,
} from "../../../core/data/transforms.ts";
import { buildImageFolder, buildVoc } from "./tree_builders.ts";

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

Deno.test("BatchLoader over an ImageFolder and a VOC tree", async (t) => {
  const root = await Deno.makeTempDir();
  const pool = new DecodePool({ size: 2 });
  try {
    await buildImageFolder(`${root}/imagenet`);
    await buildVoc(`${root}/voc`);
    const train = await listImageNet(`${root}/imagenet`, { split: "train" });
    const transform = compose(randomResizedCrop(8, { scale: [0.5, 1] }), randomHorizontalFlip(), bcos6());
    const opts = {
      samples: train.samples,
      numClasses: 3,
      batchSize: 4,
      pool,
      transform,
      seed: 3,
      channels: 3 as const,
    };

    await t.step("corrupt files are skipped and counted, with one warning each", async () => {
      const warned: string[] = [];
      const loader = new BatchLoader({ ...opts, onError: "skip", onWarning: (m) => warned.push(m) });
      assert.equal(loader.numBatches, 3);
      const batches = await collect(loader.epoch(0));
      const n = batches.reduce((s, b) => s + b.shape[0], 0);
      assert.equal(n, 8);
      assert.equal(loader.skipped, 2);
      assert.equal(warned.length, 2);
      assert.ok(warned.some((m) => m.includes("n00000003_3.png: corrupt or truncated PNG")));
      assert.ok(warned.some((m) => m.includes("n00000003_4.JPEG: truncated JPEG")));
      assert.equal(batches.reduce((s, b) => s + b.skipped, 0), 2);
      for (const b of batches) {
        assert.deepEqual(b.shape.slice(1), [6, 8, 8]);
        assert.equal(b.images.length, b.shape[0] * 6 * 64);
        assert.equal(b.multiHot.length, b.shape[0] * 3);
        for (let j = 0; j < b.shape[0]; j++) {
          assert.equal(b.labels[j], train.samples[b.indices[j]].labels[0]);
          assert.equal(b.multiHot[j * 3 + b.labels[j]], 1);
          assert.equal(b.paths[j], train.samples[b.indices[j]].path);
        }
      }
      const seen = batches.flatMap((b) => b.indices).sort((a, b) => a - b);
      const good = train.samples.flatMap((x, i) => (/n00000003_(3\.png|4\.JPEG)$/.test(x.path) ? [] : [i]));
      assert.deepEqual(seen, good);
    });

    await t.step("same seed and epoch -> identical batches; epochs differ; resume from a batch", async () => {
      const quiet = { ...opts, onError: "skip" as const, onWarning: () => {} };
      const a = await collect(new BatchLoader(quiet).epoch(1));
      const b = await collect(new BatchLoader({ ...quiet, prefetch: false }).epoch(1));
      assert.deepEqual(a.map((x) => x.indices), b.map((x) => x.indices));
      assert.deepEqual(a.map((x) => [...x.images]), b.map((x) => [...x.images]));
      const loader = new BatchLoader(quiet);
      assert.notDeepEqual(loader.order(1), loader.order(2));
      const resumed = await collect(loader.epoch(1, 1));
      assert.deepEqual(resumed.map((x) => x.indices), a.slice(1).map((x) => x.indices));
      assert.deepEqual([...resumed[0].images], [...a[1].images]);
      const unshuffled = new BatchLoader({ ...quiet, shuffle: false, dropLast: true });
      assert.equal(unshuffled.numBatches, 2);
      assert.deepEqual(unshuffled.order(5), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    await t.step("onError stop throws the decode error naming the file", async () => {
      const loader = new BatchLoader({ ...opts, shuffle: false, onError: "stop" });
      await assert.rejects(collect(loader.epoch(0)), (e: Error) => {
        assert.ok(e instanceof ImageDecodeError);
        assert.match(e.message, /n00000003_(3\.png|4\.JPEG): /);
        return true;
      });
    });

    await t.step("images of different sizes without a resize transform are reported", async () => {
      const loader = new BatchLoader({
        samples: train.samples.slice(0, 3),
        numClasses: 3,
        batchSize: 3,
        pool,
        shuffle: false,
      });
      await assert.rejects(
        collect(loader.epoch(0)),
        /differs from .* in the same batch; add a resize\/crop transform/,
      );
    });

    await t.step("VOC multi-hot labels and boxes follow the eval transform", async () => {
      const voc = await listVoc(`${root}/voc`, { split: "test" });
      const loader = new BatchLoader({
        samples: voc.samples,
        numClasses: 20,
        batchSize: 2,
        pool,
        shuffle: false,
        transform: resizeCenterCrop(32, 32),
      });
      const [batch] = await collect(loader.epoch(0));
      assert.deepEqual(batch.shape, [2, 3, 32, 32]);
      for (let j = 0; j < 2; j++) {
        const hot = [...batch.multiHot.subarray(j * 20, (j + 1) * 20)].flatMap((v, k) => (v ? [k] : []));
        assert.deepEqual(hot, voc.samples[j].labels);
      }
      // 16x16 -> 32x32: boxes scale by 2.
      assert.deepEqual(batch.boxes[0][0], { ...voc.samples[0].boxes[0], x0: 2, y0: 4, x1: 20, y1: 24 });
    });
  } finally {
    pool.close();
    await Deno.remove(root, { recursive: true });
  }
});
