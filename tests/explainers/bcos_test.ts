import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import { BcosConv2d, LogitBias } from "../../core/nn/bcos.ts";
import { Module } from "../../core/nn/module.ts";
import "../../core/ops/mod.ts";
import { mean } from "../../core/ops/reduce.ts";
import { fromArray, fromHost, type Tensor, tidyAsync } from "../../core/tensor.ts";
import {
  bcosContributions,
  bcosLinearMap,
  bcosRgba,
  renderBcosRgba,
  rgbaBytes,
} from "../../explainers/bcos.ts";
import { bcosEncode, BcosResNet } from "../../core/models/bcos_resnet.ts";
import { BcosVisionTransformer } from "../../core/models/bcos_vit.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";
import { readFixture } from "../util/read_fixture.ts";

const FIXTURE = (ext: string) => new URL(`../fixtures/torch/bcos_small.${ext}`, import.meta.url);

/** The fixture's network: BcosConv2d(6 -> 8, k3, max-out 2) -> BcosConv2d(8 -> 10, k1) -> GAP -> + bias. */
class BcosSmall extends Module {
  readonly c1: BcosConv2d;
  readonly c2: BcosConv2d;
  readonly logit: LogitBias;
  constructor(classes: number, hidden: number, maxOut: number) {
    super();
    this.c1 = this.child("c1", new BcosConv2d(6, hidden, 3, { padding: 1, maxOut }));
    this.c2 = this.child("c2", new BcosConv2d(hidden, classes, 1));
    this.logit = this.child("logit", new LogitBias(-Math.log(classes - 1)));
  }
  forward(x: Tensor): Tensor {
    return this.logit.call(mean(this.c2.call(this.c1.call(x, "c1"), "c2"), [2, 3]), "logit");
  }
}

async function fixtureModel() {
  const t = await readFixture(FIXTURE("safetensors"));
  const spec = JSON.parse(await Deno.readTextFile(FIXTURE("json"))) as { target: number };
  const w1 = t.get("w1")!, w2 = t.get("w2")!;
  const model = new BcosSmall(w2.shape[0], w2.shape[1], w1.shape[0] / w2.shape[1]);
  model.loadStateDict(new Map([["c1.linear.weight", w1], ["c2.linear.weight", w2]]));
  return { t, spec, model };
}

Deno.test("B-cos contribution map equals the PyTorch fixture and sums to logit - bias", async () => {
  await initGpu();
  const { t, spec, model } = await fixtureModel();
  await tidyAsync(async () => {
    const x = fromHost(t.get("input_6ch")!);
    const B = x.shape[0];
    const target = new Array(B).fill(spec.target);
    const maps = bcosContributions(model, x, target);
    assert.deepEqual([...maps.shape], [B, 12, 12]);
    const want = t.get("contribution_map")!;
    assertClose(await maps.read(), want.data, 1e-3, "contribution map");
    assertClose(await bcosLinearMap(model, x, target).read(), t.get("explain_grad")!.data, 1e-3, "W(x)");
    const perChannel = bcosContributions(model, x, target, { channels: true });
    assert.deepEqual([...perChannel.shape], [B, 6, 12, 12]);
    const m = await maps.read();
    const logits = t.get("logits")!.data;
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let i = 0; i < 144; i++) s += m[b * 144 + i];
      const want = logits[b * 10 + spec.target] + Math.log(9);
      assert.ok(
        Math.abs(s - want) < 1e-3 * Math.max(1, Math.abs(want)),
        `dynamic-linear sum ${s} vs ${want}`,
      );
    }
  });
  model.dispose();
});

/** B-cos v2's gradient_to_image for one image, in float64. */
function gradientToImage(
  x: Float32Array,
  w: Float32Array,
  H: number,
  W: number,
  smooth: number,
  pct: number,
): Float64Array {
  const P = H * W;
  const out = new Float64Array(4 * P);
  const alpha = new Float64Array(P);
  for (let p = 0; p < P; p++) {
    let mx = 0, contrib = 0, sq = 0;
    for (let c = 0; c < 6; c++) {
      mx = Math.max(mx, Math.abs(w[c * P + p]));
      contrib += x[c * P + p] * w[c * P + p];
      sq += w[c * P + p] ** 2;
    }
    for (let c = 0; c < 3; c++) {
      const a = Math.max(w[c * P + p] / (mx + 1e-12), 0), b = Math.max(w[(c + 3) * P + p] / (mx + 1e-12), 0);
      out[c * P + p] = a / (a + b + 1e-12);
    }
    alpha[p] = contrib < 0 ? 1e-12 : Math.sqrt(sq);
  }
  const r = (smooth - 1) / 2;
  const pooled = new Float64Array(P);
  for (let y = 0; y < H; y++) {
    for (let xx = 0; xx < W; xx++) {
      let s = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = y + dy, x2 = xx + dx;
          if (yy >= 0 && yy < H && x2 >= 0 && x2 < W) s += alpha[yy * W + x2];
        }
      }
      pooled[y * W + xx] = s / (smooth * smooth);
    }
  }
  const sorted = Array.from(pooled).sort((a, b) => a - b);
  const pos = (pct / 100) * (P - 1);
  const k = Math.floor(pos);
  const q = sorted[k] + (pos - k) * (sorted[Math.min(k + 1, P - 1)] - sorted[k]);
  for (let p = 0; p < P; p++) out[3 * P + p] = Math.min(1, Math.max(0, pooled[p] / q));
  return out;
}

Deno.test("B-cos colour rendering equals B-cos v2's gradient_to_image", async () => {
  await initGpu();
  await tidyAsync(async () => {
    const [B, H, W] = [2, 9, 11];
    const x = randomHost([B, 6, H, W], 3, 0, 1);
    const w = randomHost([B, 6, H, W], 4, -1, 1);
    for (const smooth of [1, 5]) {
      const rgba = renderBcosRgba(fromArray(w.shape, w.data), fromArray(x.shape, x.data), { smooth });
      assert.deepEqual([...rgba.shape], [B, 4, H, W]);
      const got = await rgba.read();
      for (let b = 0; b < B; b++) {
        const n = 6 * H * W;
        const want = gradientToImage(
          x.data.subarray(b * n, (b + 1) * n),
          w.data.subarray(b * n, (b + 1) * n),
          H,
          W,
          smooth,
          99.5,
        );
        assertClose(
          got.subarray(b * 4 * H * W, (b + 1) * 4 * H * W),
          want,
          1e-5,
          `rgba image ${b} smooth ${smooth}`,
        );
      }
      const bytes = await rgbaBytes(rgba);
      assert.equal(bytes.length, B);
      assert.equal(bytes[0].length, H * W * 4);
      assert.equal(bytes[1][3], Math.round(got[(1 * 4 + 3) * H * W] * 255));
    }
  });
});

Deno.test("B-cos ResNet and ViTc are dynamic-linear in explanation mode: contributions sum to logit - bias", async () => {
  await initGpu();
  const resnet = new BcosResNet({
    block: "bottleneck",
    layers: [1, 1, 1, 1],
    widths: [4, 8, 8, 8],
    numClasses: 5,
    stem: "small",
  }).eval();
  const vit = new BcosVisionTransformer({
    imageSize: 16,
    patchSize: 4,
    numLayers: 2,
    numHeads: 2,
    hiddenDim: 16,
    mlpDim: 32,
    numClasses: 5,
  }).eval();
  // The positional embedding is an additive constant: zero it so that logit - bias = sum x W(x).
  vit.loadStateDict(new Map([["pos_embedding", { shape: [1, 16, 16], data: new Float32Array(256) }]]), {
    strict: false,
  });
  await tidyAsync(async () => {
    const x = bcosEncode(fromArray([2, 3, 16, 16], randomHost([2, 3, 16, 16], 12, 0, 1).data));
    const target = [1, 4];
    for (
      const [name, model, bias] of [["resnet", resnet, -Math.log(4)], ["vitc", vit, -Math.log(4)]] as const
    ) {
      const logits = await model.call(x).read();
      const maps = await bcosContributions(model, x, target).read();
      for (let b = 0; b < 2; b++) {
        let s = 0;
        for (let i = 0; i < 256; i++) s += maps[b * 256 + i];
        const want = logits[b * 5 + target[b]] - bias;
        assert.ok(Math.abs(want) > 1e-6, `${name}: logit - bias ${want} too small to test`);
        assert.ok(Math.abs(s - want) < 1e-3 * Math.abs(want), `${name} image ${b}: ${s} vs ${want}`);
      }
      const rgba = bcosRgba(model, x, target, { smooth: 3 });
      assert.deepEqual([...rgba.shape], [2, 4, 16, 16]);
    }
  });
  resnet.dispose();
  vit.dispose();
});
