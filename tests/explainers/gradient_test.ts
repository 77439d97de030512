import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import { Linear } from "../../core/nn/linear.ts";
import { Module } from "../../core/nn/module.ts";
import "../../core/ops/mod.ts";
import { relu } from "../../core/ops/elementwise.ts";
import { reshape } from "../../core/ops/layout.ts";
import { fromArray, type Tensor, tidyAsync } from "../../core/tensor.ts";
import { guidedBackprop } from "../../explainers/guided.ts";
import { integratedGradients, integratedGradientsWithDelta } from "../../explainers/integrated_gradients.ts";
import { gradientMap } from "../../explainers/gradient.ts";
import { assertClose } from "../util/assert_close.ts";
import { randomHost } from "../util/op_check.ts";
import { smallResNet } from "./helpers.ts";

/** flatten -> Linear -> ReLU -> Linear -> ReLU -> Linear. */
class Mlp extends Module {
  readonly layers: Linear[];
  constructor(sizes: number[]) {
    super();
    this.layers = sizes.slice(1).map((o, i) =>
      this.child(`fc${i}`, new Linear(sizes[i], o, { seed: 7 + i }))
    );
  }
  forward(x: Tensor): Tensor {
    let h = reshape(x, [x.shape[0], -1]);
    this.layers.forEach((l, i) => {
      h = l.call(h, `fc${i}`);
      if (i < this.layers.length - 1) h = relu(h);
    });
    return h;
  }
}

/** float64 guided backprop through the MLP (or the plain gradient). */
async function mlpReference(m: Mlp, x: Float32Array, B: number, target: number[], guided: boolean) {
  const ws = await Promise.all(m.layers.map(async (l) => ({
    w: await l.weight.read(),
    b: await l.bias!.read(),
    out: l.weight.shape[0],
    inp: l.weight.shape[1],
  })));
  const result: number[] = [];
  for (let n = 0; n < B; n++) {
    const acts: Float64Array[] = [Float64Array.from(x.subarray(n * ws[0].inp, (n + 1) * ws[0].inp))];
    const pre: Float64Array[] = [];
    for (let l = 0; l < ws.length; l++) {
      const { w, b, out, inp } = ws[l];
      const z = new Float64Array(out);
      for (let o = 0; o < out; o++) {
        let s = b[o];
        for (let i = 0; i < inp; i++) s += w[o * inp + i] * acts[l][i];
        z[o] = s;
      }
      pre.push(z);
      acts.push(l < ws.length - 1 ? z.map((v) => Math.max(v, 0)) : z);
    }
    let g = new Float64Array(ws[ws.length - 1].out);
    g[target[n]] = 1;
    for (let l = ws.length - 1; l >= 0; l--) {
      if (l < ws.length - 1) {
        g = g.map((v, o) => (pre[l][o] > 0 ? (guided ? Math.max(v, 0) : v) : 0));
      }
      const { w, out, inp } = ws[l];
      const gi = new Float64Array(inp);
      for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) gi[i] += w[o * inp + i] * g[o];
      g = gi;
    }
    result.push(...g);
  }
  return result;
}

Deno.test("Guided Backprop equals the guided ReLU rule on a small MLP (float64 CPU reference)", async () => {
  await initGpu();
  const m = new Mlp([2 * 3 * 3, 16, 12, 4]);
  await tidyAsync(async () => {
    const B = 3;
    const xh = randomHost([B, 2, 3, 3], 11);
    const target = [0, 3, 1];
    const x = fromArray(xh.shape, xh.data);
    const gbp = guidedBackprop(m, x, target, { channels: true });
    assertClose(await gbp.read(), await mlpReference(m, xh.data, B, target, true), 1e-4, "guided backprop");
    const plain = gradientMap(m, x, target, { channels: true });
    const plainRef = await mlpReference(m, xh.data, B, target, false);
    assertClose(await plain.read(), plainRef, 1e-4, "plain gradient");
    // The guided map really differs from the gradient here (some negative gradients were blocked).
    const g = await gbp.read();
    assert.ok(g.some((v, i) => Math.abs(v - plainRef[i]) > 1e-3));
    assert.deepEqual([...guidedBackprop(m, x, target).shape], [B, 3, 3]);
  });
  m.dispose();
});

Deno.test("Integrated Gradients is complete on a small ResNet (128 Gauss-Legendre steps, < 1%)", async () => {
  await initGpu();
  const model = smallResNet(3);
  await tidyAsync(async () => {
    const xh = randomHost([2, 3, 16, 16], 5, 0, 1);
    const x = fromArray(xh.shape, xh.data);
    const target = [1, 4];
    const { attribution, delta } = integratedGradientsWithDelta(model, x, target, {
      steps: 128,
      batchSize: 64,
    });
    assert.deepEqual([...attribution.shape], [2, 16, 16]);
    const logits = await model.call(x).read();
    const d = await delta.read();
    const a = await attribution.read();
    for (let b = 0; b < 2; b++) {
      // f(baseline) from a zero input.
      const fb = (await model.call(fromArray([1, 3, 16, 16], new Float32Array(768))).read())[target[b]];
      const diff = logits[b * 5 + target[b]] - fb;
      let s = 0;
      for (let i = 0; i < 256; i++) s += a[b * 256 + i];
      assert.ok(Math.abs(diff) > 1e-4, `f(x) - f(baseline) = ${diff} is too small to test`);
      assert.ok(Math.abs(s - diff) < 0.01 * Math.abs(diff), `image ${b}: sum ${s} vs f(x)-f(x') ${diff}`);
      assert.ok(Math.abs(d[b] - (s - diff)) < 1e-3 * Math.abs(diff) + 1e-6, `delta ${d[b]} vs ${s - diff}`);
    }
    // Other rules agree roughly; the chunking does not change the result.
    const riemann = integratedGradients(model, x, target, {
      steps: 128,
      method: "riemann_trapezoid",
      batchSize: 37,
    });
    assertClose(await riemann.read(), a, 0.05, "trapezoid vs Gauss-Legendre");
    const chunked = integratedGradients(model, x, target, { steps: 128, batchSize: 19 });
    assertClose(await chunked.read(), a, 1e-4, "chunking");
  });
  model.dispose();
});
