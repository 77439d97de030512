import assert from "node:assert/strict";
import { join } from "node:path";
import { hostTensor } from "../../../core/host_tensor.ts";
import { writeSafetensors } from "../../../core/io/safetensors.ts";
import { detectWeightsFormat, readWeights } from "../../../core/io/weights.ts";
import type { PyValue } from "./pickle_writer.ts";
import { f32Tensor, stateDict, torchSaveLegacy, torchSaveZip } from "./torch_save_encoder.ts";
import { withTempDir } from "../../util/temp_dir.ts";

const FIXTURE = "tests/fixtures/torch/resnet_bottleneck_small.safetensors";

Deno.test("readWeights: safetensors with entry selection and prefix stripping", async () => {
  assert.equal(await detectWeightsFormat(FIXTURE), "safetensors");
  const all = await readWeights(FIXTURE);
  assert.equal(all.size, 239);
  const weights = await readWeights(FIXTURE, { entry: "weights" });
  assert.ok(weights.size > 0 && weights.size < all.size);
  assert.deepEqual(weights.get("conv1.weight")?.shape, [8, 3, 7, 7]);
  assert.deepEqual([...weights.get("conv1.weight")!.data], [...all.get("weights.conv1.weight")!.data]);
  const layer1 = await readWeights(FIXTURE, { entry: "weights", stripPrefixes: ["layer1."] });
  assert.deepEqual(layer1.get("0.conv1.weight")?.shape, [8, 8, 1, 1]);
  await assert.rejects(
    readWeights(FIXTURE, { entry: "nothing" }),
    /resnet_bottleneck_small\.safetensors: no tensors under entry 'nothing'/,
  );
});

Deno.test("readWeights: dispatches zip and legacy PyTorch checkpoints by magic bytes, whatever the extension", async () => {
  await withTempDir(async (dir) => {
    const sd = stateDict([["module.fc.weight", f32Tensor([1, 2], [5, 6])]]);
    const files: [string, Uint8Array][] = [
      ["zip.pth", await torchSaveZip(sd)],
      ["pytorch_model.bin", await torchSaveZip(sd)],
      ["legacy.pt", torchSaveLegacy(sd)],
      ["no_extension", torchSaveLegacy(sd)],
    ];
    for (const [name, bytes] of files) {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      assert.equal(await detectWeightsFormat(path), "pytorch", name);
      const w = await readWeights(path, { stripPrefixes: ["module."] });
      assert.deepEqual([...w.keys()], ["fc.weight"], name);
      assert.deepEqual([...w.get("fc.weight")!.data], [5, 6], name);
    }
    const st = join(dir, "named.pth");
    await writeSafetensors(st, { "module.w": hostTensor([1], [1]) });
    assert.equal(await detectWeightsFormat(st), "safetensors", "content wins over the extension");
    assert.deepEqual([...(await readWeights(st, { stripPrefixes: ["module."] })).keys()], ["w"]);
  });
});

Deno.test("readWeights: unknown and truncated files get the right reader's error", async () => {
  await withTempDir(async (dir) => {
    const txt = join(dir, "notes.txt");
    await Deno.writeTextFile(txt, "just some text");
    await assert.rejects(readWeights(txt), /notes\.txt: unrecognized weights format/);
    const short = join(dir, "short.safetensors");
    await Deno.writeFile(short, new Uint8Array([1, 2, 3]));
    await assert.rejects(readWeights(short), /short\.safetensors: not a safetensors file/);
    const emptyPth = join(dir, "empty.pth");
    await Deno.writeFile(emptyPth, new Uint8Array());
    await assert.rejects(readWeights(emptyPth), /empty\.pth: not a PyTorch checkpoint/);
    await assert.rejects(readWeights(join(dir, "missing.pth")), /cannot open .*missing\.pth/);
    const noTensors = join(dir, "nt.pth");
    await Deno.writeFile(noTensors, await torchSaveZip(new Map<PyValue, PyValue>([["epoch", 1]])));
    await assert.rejects(
      readWeights(noTensors),
      /nt\.pth: no tensors found in the checkpoint \(top-level keys: epoch\)/,
    );
  });
});
