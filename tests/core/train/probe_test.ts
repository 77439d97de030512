import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import "../../../core/ops/mod.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";
import { type ImageSet, ViewBatcher } from "../../../core/train/data.ts";
import { trainLoop } from "../../../core/train/loop.ts";
import {
  evaluateProbe,
  type FrozenBackbone,
  ProbeMethod,
  type ProbeName,
} from "../../../core/train/probe.ts";
import { randomBackbone } from "../../../core/train/export.ts";
import { featureSet, reduceFeatures } from "../../../core/train/features.ts";
import { predict } from "../../../core/train/evaluate.ts";
import { readStateDict } from "../../../core/train/readback.ts";
import { assertClose } from "../../util/assert_close.ts";

await initGpu();

const D = 8, H = 2, C = 4;

/** Separable features: class c puts +1.5 on channel c (and -1 on channel c + 4) plus noise in [-0.5, 0.5]. */
function separable(n: number, seed: number, multi = false): ImageSet {
  let s = seed * 7919 + 1;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const images = new Float32Array(n * D * H * H);
  const labels = new Float32Array(multi ? n * C : n);
  for (let i = 0; i < n; i++) {
    const present = multi
      ? [0, 1, 2, 3].filter((c) => (i * 7 + c * 3 + (i >> 2)) % 3 === 0 || c === i % C)
      : [i % C];
    for (const c of present) {
      if (multi) labels[i * C + c] = 1;
      else labels[i] = c;
    }
    for (let d = 0; d < D; d++) {
      for (let p = 0; p < H * H; p++) {
        let v = rand();
        for (const c of present) v += d === c ? 1.5 : d === c + 4 ? -1 : 0;
        images[((i * D) + d) * H * H + p] = v;
      }
    }
  }
  return { images, itemShape: [D, H, H], n, labels, numClasses: C, multiLabel: multi };
}

async function trainProbe(
  probe: ProbeName,
  loss: "ce" | "bce",
  multi = false,
): Promise<{ score: number; losses: number[] }> {
  const train = separable(96, 1, multi), test = separable(64, 2, multi);
  const data = new ViewBatcher({ set: train, batchSize: 32, seed: 0 });
  const epochs = multi ? 25 : 8;
  const method = new ProbeMethod({
    probe,
    inChannels: D,
    numClasses: C,
    loss,
    multiLabel: multi,
    hidden: 16,
    totalSteps: data.batchesPerEpoch * epochs,
    optim: { kind: "adam", lr: 3e-2, weightDecay: 0, warmupFraction: 0.05 },
  });
  const tmp = await Deno.makeTempDir();
  try {
    const r = await trainLoop({ method, data, epochs, outDir: tmp, progress: false, logEvery: 6 });
    const scores = await evaluateProbe(method, test);
    return { score: multi ? scores.microF1! : scores.accuracy!, losses: r.history.losses };
  } finally {
    method.dispose();
    await Deno.remove(tmp, { recursive: true });
  }
}

for (
  const [probe, loss] of [["linear", "ce"], ["linear", "bce"], ["mlp2", "ce"], ["bcos_mlp2", "bce"]] as const
) {
  Deno.test(`probe ${probe} (${loss}) reaches high accuracy on a separable problem`, async () => {
    const { score, losses } = await trainProbe(probe, loss);
    assert.ok(losses.at(-1)! < losses[0], `loss ${losses[0]} -> ${losses.at(-1)}`);
    assert.ok(score >= 0.95, `accuracy ${score}`);
  });
}

Deno.test("multi-label linear probe with plain 0/1 BCE reaches high micro F1", async () => {
  const { score } = await trainProbe("linear", "bce", true);
  assert.ok(score >= 0.9, `micro F1 ${score}`);
});

Deno.test("probe losses: CE on class indices; BCE with off-labels 1/C (or bceOffLabel) summed over classes, mean over batch", async () => {
  await tidyAsync(async () => {
    const m = new ProbeMethod({ probe: "linear", inChannels: 2, numClasses: 3, loss: "bce", totalSteps: 1 });
    const z = [0.5, -1, 2, 0, 0.3, -0.7];
    const y = Float32Array.of(2, 0);
    const logits = fromArray([2, 3], z);
    const sp = (v: number) => Math.log1p(Math.exp(v));
    let want = 0;
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 3; c++) {
        const t = c === y[n] ? 1 : 1 / 3;
        const v = z[n * 3 + c];
        want += sp(v) - v * t; // BCE with logits: -t log s(v) - (1 - t) log(1 - s(v))
      }
    }
    assertClose(await m.lossOf(logits, y).read(), [want / 2], 1e-5);
    m.dispose();
    // bceOffLabel 0: plain one-hot BCE
    const oneHot = new ProbeMethod({
      probe: "linear",
      inChannels: 2,
      numClasses: 3,
      loss: "bce",
      bceOffLabel: 0,
      totalSteps: 1,
    });
    let wantOneHot = 0;
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 3; c++) wantOneHot += sp(z[n * 3 + c]) - (c === y[n] ? z[n * 3 + c] : 0);
    }
    assertClose(await oneHot.lossOf(logits, y).read(), [wantOneHot / 2], 1e-5);
    oneHot.dispose();
    const ce = new ProbeMethod({ probe: "linear", inChannels: 2, numClasses: 3, loss: "ce", totalSteps: 1 });
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const wantCe = ((lse(z.slice(0, 3)) - z[2]) + (lse(z.slice(3)) - z[3])) / 2;
    assertClose(await ce.lossOf(logits, y).read(), [wantCe], 1e-5);
    ce.dispose();
  });
  assert.throws(
    () =>
      new ProbeMethod({
        probe: "linear",
        inChannels: 2,
        numClasses: 3,
        loss: "ce",
        multiLabel: true,
        totalSteps: 1,
      }),
    /multi-label probes are trained with BCE/,
  );
});

Deno.test("probe on a frozen backbone: steps and scores on images match those on the backbone's cached features, and the backbone never changes", async () => {
  const { backbone } = await randomBackbone({ name: "resnet_tiny", seed: 3, widths: [4, 8, 8] });
  const n = 48, side = 12;
  let s = 5;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const images: ImageSet = {
    images: Float32Array.from({ length: n * side * side }, rand),
    itemShape: [1, side, side],
    n,
    labels: Float32Array.from({ length: n }, (_, i) => i % C),
    numClasses: C,
    multiLabel: false,
  };
  const before = await readStateDict(backbone.module.stateDict());
  backbone.module.eval();
  const means = await predict((x) => reduceFeatures(backbone.featureMap(x), "mean"), images);
  const cached = featureSet(means, images);
  const run = async (set: ImageSet, frozen?: FrozenBackbone) => {
    const data = new ViewBatcher({ set, batchSize: 16, seed: 2 });
    const method = new ProbeMethod({
      probe: "linear",
      inChannels: backbone.featureDim,
      numClasses: C,
      loss: "bce",
      totalSteps: data.batchesPerEpoch * 2,
      optim: { kind: "adam", lr: 3e-2, weightDecay: 0, warmupFraction: 0 },
      frozen,
    });
    const tmp = await Deno.makeTempDir();
    try {
      const r = await trainLoop({ method, data, epochs: 2, outDir: tmp, progress: false, logEvery: 1 });
      const scored = await evaluateProbe(method, set, { images: frozen !== undefined });
      return { losses: r.history.losses, weights: await readStateDict(method.probe.stateDict()), scored };
    } finally {
      method.dispose();
      await Deno.remove(tmp, { recursive: true });
    }
  };
  const onFeatures = await run(cached);
  backbone.module.train(true); // the probe must put it back into evaluation mode itself
  const onImages = await run(images, { backbone, reduce: "mean" });
  assert.equal(onImages.losses.length, 6);
  assertClose(onImages.losses, onFeatures.losses, 1e-5);
  for (const [k, w] of onFeatures.weights) assertClose(onImages.weights.get(k)!.data, w.data, 1e-5);
  // scoring images through the frozen backbone gives the logits of scoring its cached features
  assertClose(onImages.scored.logits.data, onFeatures.scored.logits.data, 1e-4);
  assert.equal(onImages.scored.accuracy, onFeatures.scored.accuracy);
  const after = await readStateDict(backbone.module.stateDict());
  for (const [k, t] of before) assert.deepEqual(after.get(k)!.data, t.data, `${k} changed`);
  backbone.module.dispose();
});
