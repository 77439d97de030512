import assert from "node:assert/strict";
import { grad, type RuleContext, withRules } from "../../../core/autograd.ts";
import { initGpu } from "../../../core/gpu/device.ts";
import { BatchNorm2d } from "../../../core/nn/batchnorm.ts";
import { Conv2d } from "../../../core/nn/conv.ts";
import { Module, withCapture } from "../../../core/nn/module.ts";
import { Lambda, Sequential } from "../../../core/nn/sequential.ts";
import * as ops from "../../../core/ops/mod.ts";
import { fromArray, type Tensor, tidyAsync } from "../../../core/tensor.ts";
import { randomHost } from "../../util/op_check.ts";

await initGpu();

class Net extends Module {
  readonly body = this.child(
    "body",
    new Sequential(new Conv2d(2, 3, 3, { padding: 1, seed: 1 }), new BatchNorm2d(3), new Lambda(ops.relu)),
  );
  readonly head = this.child("head", new Conv2d(3, 1, 1, { seed: 2 }));
  forward(x: Tensor): Tensor {
    return this.head.call(this.body.call(x, "body"), "head");
  }
}

Deno.test("Module: state-dict keys follow torch naming; parameters, buffers and layer lookup by dotted path", () => {
  const net = new Net();
  assert.deepEqual([...net.stateDict().keys()], [
    "body.0.weight",
    "body.0.bias",
    "body.1.weight",
    "body.1.bias",
    "head.weight",
    "head.bias",
    "body.1.running_mean",
    "body.1.running_var",
  ]);
  assert.equal(net.parameterCount(), 3 * 2 * 9 + 3 + 3 + 3 + 3 + 1);
  assert.ok(net.get("body.0") instanceof Conv2d);
  assert.throws(() => net.get("body.7"), /no layer 'body.7'/);
  net.dispose();
});

Deno.test("Module: loadStateDict names the key and both shapes on a mismatch, and reports missing keys", async () => {
  const net = new Net();
  const sd = new Map(
    [...net.stateDict()].map((
      [k, t],
    ) => [k, { shape: [...t.shape], data: new Float32Array(t.size).fill(0.5) }]),
  );
  net.loadStateDict(sd);
  assert.deepEqual([...await net.head.weight.read()], [0.5, 0.5, 0.5]);
  const bad = new Map(sd);
  bad.set("head.weight", { shape: [1, 4, 1, 1], data: new Float32Array(4) });
  assert.throws(
    () => net.loadStateDict(bad, { source: "ckpt.pth" }),
    /ckpt.pth: key 'head.weight' has shape \[1,4,1,1\], the model expects \[1,3,1,1\]/,
  );
  const missing = new Map(sd);
  missing.delete("body.1.running_var");
  assert.throws(() => net.loadStateDict(missing), /missing keys: body.1.running_var/);
  assert.deepEqual(net.loadStateDict(missing, { strict: false }).missing, ["body.1.running_var"]);
  net.dispose();
});

Deno.test("Module: ops carry their dotted layer names (rule overrides by layer) and withCapture returns named outputs", async () => {
  const net = new Net().eval();
  await tidyAsync(async () => {
    const x = fromArray([1, 2, 4, 4], randomHost([1, 2, 4, 4], 3).data);
    x.requiresGrad = true;
    const seen: string[] = [];
    const spy = (ctx: RuleContext) => {
      seen.push(`${ctx.layer}:${ctx.kind}`);
      return ctx.defaultRule(ctx);
    };
    const { result: y, outputs } = withCapture(["body.0", "head"], () => net.call(x));
    assert.equal(outputs.get("head"), y);
    assert.deepEqual([...outputs.get("body.0")!.shape], [1, 3, 4, 4]);
    const [plain] = grad(y, [x]);
    const [spied] = withRules({ layers: { "body.0": spy, head: spy } }, () => grad(y, [x]));
    assert.deepEqual(seen.sort(), ["body.0:conv2d", "head:conv2d"]);
    assert.deepEqual(await spied!.read(), await plain!.read());
  });
  net.dispose();
});
