import assert from "node:assert/strict";
import { readSafetensors } from "../../../core/io/safetensors.ts";
import { runParity } from "../../../tasks/parity.ts";
import { f32Tensor, stateDict, torchSaveZip } from "../io/torch_save_encoder.ts";

const FIX = new URL("../../fixtures/torch/", import.meta.url).pathname;

for (const name of ["resnet_bottleneck_small", "vit_small", "bcos_small"]) {
  Deno.test(`parity: every tensor of the PyTorch fixture ${name} is within tolerance`, async () => {
    const report = await runParity(`${FIX}${name}.json`);
    const bad = report.rows.filter((r) => !r.ok).map((r) => `${r.name}=${r.maxRelError}`);
    assert.deepEqual(bad, []);
    assert.ok(
      report.rows.length >= (name === "resnet_bottleneck_small" ? 130 : 4),
      `${report.rows.length} rows`,
    );
  });
}

Deno.test("parity: --weights reads a PyTorch checkpoint with a module. prefix stripped", async () => {
  const tensors = await readSafetensors(`${FIX}vit_small.safetensors`);
  const entries: [string, ReturnType<typeof f32Tensor>][] = [];
  for (const [k, t] of tensors) {
    if (k.startsWith("weights.")) entries.push([`module.${k.slice(8)}`, f32Tensor(t.shape, [...t.data])]);
  }
  const dir = await Deno.makeTempDir();
  const ckpt = `${dir}/vit.pth`;
  await Deno.writeFile(ckpt, await torchSaveZip(stateDict(entries)));
  const report = await runParity(`${FIX}vit_small.json`, { weights: ckpt, stripPrefixes: ["module."] });
  assert.ok(report.ok);
  await assert.rejects(() => runParity(`${FIX}vit_small.json`, { weights: ckpt }), /missing keys/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("parity: the CLI exits 1 and names the tensor when weights do not reproduce the fixture", async () => {
  // Perturbed weights: the ViT head's bias shifted by 1.
  const tensors = await readSafetensors(`${FIX}vit_small.safetensors`);
  const { writeSafetensors } = await import("../../../core/io/safetensors.ts");
  const weights = new Map();
  for (const [k, t] of tensors) if (k.startsWith("weights.")) weights.set(k.slice(8), t);
  const bias = weights.get("heads.head.bias");
  weights.set("heads.head.bias", { shape: bias.shape, data: bias.data.map((v: number) => v + 1) });
  const dir = await Deno.makeTempDir();
  await writeSafetensors(`${dir}/w.safetensors`, weights);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../../tasks/parity.ts", import.meta.url).pathname,
      `${FIX}vit_small.json`,
      "--weights",
      `${dir}/w.safetensors`,
    ],
    env: { XDG_RUNTIME_DIR: "/tmp" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  assert.match(new TextDecoder().decode(out.stderr), /parity: logits: max relative error/);
  await Deno.remove(dir, { recursive: true });
});
