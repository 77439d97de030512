import assert from "node:assert/strict";
import { grad } from "../../core/autograd.ts";
import { initGpu } from "../../core/gpu/device.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import { BcosVisionTransformer } from "../../core/models/bcos_vit.ts";
import { bcosEncode } from "../../core/models/bcos_resnet.ts";
import { VisionTransformer } from "../../core/models/vit.ts";
import "../../core/ops/mod.ts";
import { oneHot } from "../../core/ops/gather.ts";
import { fromArray, fromHost, tidyAsync } from "../../core/tensor.ts";
import { causalX, clusterMasks } from "../../explainers/vit/causalx.ts";
import { cgw1 } from "../../explainers/vit/cgw1.ts";
import { sphericalKMeans } from "../../explainers/vit/kmeans.ts";
import { attentionRollout } from "../../explainers/vit/rollout.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";
import { readFixture } from "../util/read_fixture.ts";

const FIXTURE = new URL("../fixtures/torch/vit_small.safetensors", import.meta.url);

async function fixtureVit() {
  const tensors = await readFixture(FIXTURE);
  const weights = new Map<string, HostTensor>();
  for (const [k, v] of tensors) if (k.startsWith("weights.")) weights.set(k.slice("weights.".length), v);
  const model = new VisionTransformer({
    imageSize: 32,
    patchSize: 8,
    numLayers: 2,
    numHeads: 2,
    hiddenDim: 32,
    mlpDim: 64,
    numClasses: 10,
  });
  model.loadStateDict(weights);
  return { tensors, weights, model: model.eval() };
}

type Mat = Float64Array; // [T, T] row-major

function matmulT(a: Mat, b: Mat, T: number): Mat {
  const out = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    for (let k = 0; k < T; k++) for (let j = 0; j < T; j++) out[i * T + j] += a[i * T + k] * b[k * T + j];
  }
  return out;
}

/** Head mean -> (0.5 A + 0.5 I) -> row-normalised; product over layers; class row over patches. */
function rolloutReference(layers: HostTensor[], b: number): Float64Array {
  const [, Hh, T] = layers[0].shape;
  let R: Mat | null = null;
  for (const p of layers) {
    const a = new Float64Array(T * T);
    for (let h = 0; h < Hh; h++) {
      for (let i = 0; i < T * T; i++) a[i] += p.data[(b * Hh + h) * T * T + i] / Hh;
    }
    for (let i = 0; i < T; i++) {
      let s = 0;
      for (let j = 0; j < T; j++) s += a[i * T + j] = 0.5 * a[i * T + j] + (i === j ? 0.5 : 0);
      for (let j = 0; j < T; j++) a[i * T + j] /= s;
    }
    R = R ? matmulT(a, R, T) : a;
  }
  return R!.slice(1, T);
}

Deno.test("Attention Rollout equals the row-normalised product on the ViT fixture's attention", async () => {
  await initGpu();
  const { tensors, model } = await fixtureVit();
  await tidyAsync(async () => {
    const x = fromHost(tensors.get("input")!);
    const layers = [tensors.get("attn_probs.layer0")!, tensors.get("attn_probs.layer1")!];
    const raw = attentionRollout(model, x, [0, 0], { upsample: false });
    assert.deepEqual([...raw.shape], [2, 4, 4]);
    const want = [...rolloutReference(layers, 0), ...rolloutReference(layers, 1)];
    assertClose(await raw.read(), want, 1e-4, "rollout");
    assert.deepEqual([...attentionRollout(model, x, [0, 0]).shape], [2, 32, 32]);
  });
  model.dispose();
});

Deno.test("CGW1 aggregates mean_heads((grad * A)+) as R <- R + Abar R from the identity", async () => {
  await initGpu();
  const { tensors, model } = await fixtureVit();
  await tidyAsync(async () => {
    const x = fromHost(tensors.get("input")!);
    const target = Array.from(tensors.get("target")!.data);
    const raw = await cgw1(model, x, target, { upsample: false }).read();
    // Reference: the same attention and its gradients, aggregated in float64 on the host.
    const xv = fromHost(tensors.get("input")!);
    xv.requiresGrad = true;
    const logits = model.call(xv);
    const probs = model.blocks.map((b) => b.attention.lastProbs!);
    const grads = grad(logits, probs, { gradOutput: oneHot(fromArray([2], target), 10) });
    const A = await Promise.all(probs.map((p) => p.read()));
    const G = await Promise.all(grads.map((g) => g!.read()));
    const T = 17, Hh = 2;
    const want: number[] = [];
    for (let b = 0; b < 2; b++) {
      let R: Mat = new Float64Array(T * T);
      for (let i = 0; i < T; i++) R[i * T + i] = 1;
      for (let l = 0; l < 2; l++) {
        const abar = new Float64Array(T * T);
        for (let h = 0; h < Hh; h++) {
          for (let i = 0; i < T * T; i++) {
            const k = (b * Hh + h) * T * T + i;
            abar[i] += Math.max(A[l][k] * G[l][k], 0) / Hh;
          }
        }
        const add = matmulT(abar, R, T);
        R = R.map((v, i) => v + add[i]);
      }
      want.push(...R.slice(1, T));
    }
    assertClose(raw, want, 1e-4, "cgw1");
  });
  model.dispose();
});

Deno.test("spherical k-means and ViT-CX masks", () => {
  const labels = sphericalKMeans([[1, 0, 0], [2, 0.1, 0], [0, 1, 0], [0, 3, 0.2], [0, 0, 1]], 3, { seed: 1 });
  assert.equal(labels[0], labels[1]);
  assert.equal(labels[2], labels[3]);
  assert.equal(new Set(labels).size, 3);
  // Two channels: one lights up the left patches, one the right.
  const P = 4, D = 2;
  const emb = new Float32Array([1, 0, 1, 0, 0, 1, 0, 1]);
  const masks = clusterMasks(emb, P, D, 2);
  assert.equal(masks.length, 2);
  assert.deepEqual(masks.map((m) => [...m]).sort(), [[0, 0, 1, 1], [1, 1, 0, 0]]);
});

Deno.test("ViT-CX: coverage-normalised scores on the ViT and a B-cos ViTc", async () => {
  await initGpu();
  const { tensors, weights, model } = await fixtureVit();
  await tidyAsync(async () => {
    const x = fromHost(tensors.get("input")!);
    const maps = await causalX(model, x, [1, 2], { clusters: 8, batchSize: 5 });
    assert.deepEqual([...maps.shape], [2, 32, 32]);
    const v = await maps.read();
    assert.ok(v.every((a) => Number.isFinite(a) && a >= 0 && a <= 1), "softmax scores average to [0, 1]");
    // With a head that outputs constant logits, every mask scores the bias: the map is that constant.
    const c = 0.75;
    const constant = new Map(weights);
    constant.set("heads.head.weight", { shape: [10, 32], data: new Float32Array(320) });
    constant.set("heads.head.bias", { shape: [10], data: new Float32Array(10).fill(c) });
    model.loadStateDict(constant);
    const flat = await (await causalX(model, x, [1, 2], { clusters: 8, score: "logit" })).read();
    assertClose(flat, new Float32Array(flat.length).fill(c), 1e-5, "constant score");
  });
  model.dispose();
  const bvit = new BcosVisionTransformer({
    imageSize: 16,
    patchSize: 4,
    numLayers: 1,
    numHeads: 2,
    hiddenDim: 16,
    mlpDim: 32,
    numClasses: 3,
  }).eval();
  await tidyAsync(async () => {
    const x = bcosEncode(fromArray([2, 3, 16, 16], randomHost([2, 3, 16, 16], 3, 0, 1).data));
    for (
      const m of [
        await causalX(bvit, x, [0, 2], { clusters: 4, score: "sigmoid" }),
        attentionRollout(bvit, x, [0, 2]),
        cgw1(bvit, x, [0, 2]),
      ]
    ) {
      assert.deepEqual([...m.shape], [2, 16, 16]);
      assert.ok((await m.read()).every(Number.isFinite));
    }
    // Without a class token, rollout uses the mean of the rows: here a 4 x 4 grid of patches.
    assert.deepEqual([...attentionRollout(bvit, x, [0, 2], { upsample: false }).shape], [2, 4, 4]);
  });
  bvit.dispose();
});
