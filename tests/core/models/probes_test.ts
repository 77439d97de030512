import assert from "node:assert/strict";
import { grad, withRules } from "../../../core/autograd.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { probeFor } from "../../../core/models/probes.ts";
import { BCOS_EXPLANATION_RULES } from "../../../core/ops/bcos.ts";
import * as ops from "../../../core/ops/mod.ts";
import { fromArray, tidyAsync } from "../../../core/tensor.ts";
import { assertClose } from "../../util/assert_close.ts";
import { randomHost } from "../../util/op_check.ts";

await initGpu();

Deno.test("probes: a linear probe is a 1x1 conv before GAP (equal to GAP then the same linear map), init N(0, 0.01)", async () => {
  const probe = probeFor("linear", 6, 4, { seed: 3 }).eval();
  await tidyAsync(async () => {
    const f = fromArray([2, 6, 3, 5], randomHost([2, 6, 3, 5], 1, 0, 2).data);
    const logits = await probe.call(f).read();
    const [w, b] = probe.parameters();
    const pooled = ops.mean(f, [2, 3]);
    const expected = ops.add(ops.matmul(pooled, ops.reshape(w, [4, 6]), { transposeB: true }), b);
    assertClose(logits, await expected.read(), 1e-5);
    const wv = await w.read();
    const std = Math.sqrt(wv.reduce((s, v) => s + v * v, 0) / wv.length);
    assert.ok(std > 0.003 && std < 0.03, `weight std ${std}`);
  });
  probe.dispose();
});

Deno.test("probes: MLP-2/3 and B-cos MLP-2/3 shapes, names, and the B-cos logit bias -log(C-1)", async () => {
  for (const name of ["mlp2", "mlp3", "bcos_mlp2", "bcos_mlp3"] as const) {
    const probe = probeFor(name, 8, 5, { hidden: 16, seed: 1 }).eval();
    const keys = [...probe.stateDict().keys()];
    assert.ok(keys[0].startsWith("probe.0."), keys.join(","));
    if (name.startsWith("bcos")) {
      assert.ok(keys.includes("probe.1.running_var") && !keys.includes("probe.1.bias"));
    }
    await tidyAsync(async () => {
      const out = probe.call(fromArray([3, 8, 2, 2], randomHost([3, 8, 2, 2], 2, 0, 1).data));
      assert.deepEqual([...out.shape], [3, 5]);
      if (name.startsWith("bcos")) {
        // zero features: every B-cos unit outputs 0, so the logits are exactly the bias
        const zero = await probe.call(ops.zeros([1, 8, 2, 2])).read();
        assertClose(zero, new Array(5).fill(-Math.log(4)), 1e-6);
      }
    });
    probe.dispose();
  }
});

Deno.test("probes: a B-cos MLP probe is dynamic linear in explanation mode (contributions sum to logit - bias)", async () => {
  const probe = probeFor("bcos_mlp3", 8, 5, { hidden: 16, seed: 4 }).eval();
  await tidyAsync(async () => {
    const f = fromArray([2, 8, 3, 3], randomHost([2, 8, 3, 3], 5, 0, 1).data);
    f.requiresGrad = true;
    const logits = probe.call(f);
    const sel = ops.oneHot(fromArray([2], [1, 3]), 5);
    const [w] = withRules(BCOS_EXPLANATION_RULES, () => grad(logits, [f], { gradOutput: sel }));
    const contrib = await ops.sum(ops.mul(f, w!), [1, 2, 3]).read();
    const l = await logits.read();
    assertClose(contrib, [l[1] + Math.log(4), l[5 + 3] + Math.log(4)], 1e-4);
  });
  probe.dispose();
});

Deno.test("probes: on ViT tokens [N, T, D] the probe averages per-token scores, or uses the class token", async () => {
  const mean = probeFor("linear", 4, 3, { seed: 6 }).eval();
  const cls = probeFor("linear", 4, 3, { seed: 6, tokenPool: "cls" }).eval();
  await tidyAsync(async () => {
    const t = randomHost([2, 5, 4], 7);
    const tokens = fromArray([2, 5, 4], t.data);
    const a = await mean.call(tokens).read();
    const viaMap = await mean.call(ops.reshape(ops.permute(tokens, [0, 2, 1]), [2, 4, 5, 1])).read();
    assertClose(a, viaMap, 1e-6);
    const c = await cls.call(tokens).read();
    const first = await cls.call(ops.reshape(ops.slice(tokens, [0, 0, 0], [2, 1, 4]), [2, 1, 4])).read();
    assertClose(c, first, 1e-6);
  });
  mean.dispose();
  cls.dispose();
});
