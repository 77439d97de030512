/**
 * Bench group `train`: one optimisation step of every pre-training method (supervised, MoCo v2, BYOL,
 * DINO, MoCo v3) on the small conventional and B-cos ResNets, 28 px, batch 64, with the host
 * augmentation of a real run, as ms per step and training images per second. An epoch of Fashion-MNIST takes
 * `60000 / (images/s)` seconds; a probe step is far cheaper (features are cached).
 *
 * @module
 */
import { Rng } from "../../core/data/rng.ts";
import { tidy } from "../../core/tensor.ts";
import type { ImageSet } from "../../core/train/data.ts";
import { ViewBatcher } from "../../core/train/data.ts";
import { buildPretrainMethod, METHOD_NAMES, pretrainViews } from "../../core/train/methods/build.ts";
import type { PretrainConfig } from "../../core/train/methods/build.ts";
import { registerBench } from "./registry.ts";

const BATCH = 64;
const ARCHS = ["resnet_small", "bcos_resnet_small"] as const;

/** Random gray 28x28 images with labels 0..9, enough for a few batches. */
function syntheticSet(n: number): ImageSet {
  const rng = new Rng(7);
  const images = Float32Array.from({ length: n * 28 * 28 }, () => rng.uniform(0, 1));
  const labels = Float32Array.from({ length: n }, (_, i) => i % 10);
  return { images, itemShape: [1, 28, 28], n, labels, numClasses: 10, multiLabel: false };
}

registerBench("train", async (ctx) => {
  const set = syntheticSet(BATCH * 4);
  for (const arch of ARCHS) {
    for (const name of METHOD_NAMES) {
      const config: PretrainConfig = { method: name, arch: { name: arch }, numClasses: 10, totalSteps: 1000 };
      const method = buildPretrainMethod(config);
      const data = new ViewBatcher({ set, batchSize: BATCH, views: pretrainViews(config), seed: 0 });
      const rng = new Rng(0);
      method.setTraining(true);
      let step = 0;
      try {
        const t = await ctx.time(() => {
          const batch = data.batch(0, step % data.batchesPerEpoch);
          tidy(() => {
            method.step(batch, { step, totalSteps: 1000, epoch: 0, rng });
          });
          step++;
        });
        ctx.report({
          name: `train.${name}`,
          shape: `${arch} b${BATCH} ${data.batch(0, 0).views.length} views`,
          ms: t.ms,
          gflops: null,
          throughput: { value: BATCH * 1000 / t.ms, unit: "images/s" },
        });
      } finally {
        method.dispose();
      }
    }
  }
});
