import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import "../../../core/ops/mod.ts";
import { buildBackbone } from "../../../core/train/arch.ts";
import {
  folderTransform,
  inputEncoding,
  listFolderSplit,
  subsetIndices,
} from "../../../core/train/folder_data.ts";
import { Rng } from "../../../core/data/rng.ts";
import { buildColorImageFolder, buildColorVoc } from "../../tasks/image_trees.ts";

await initGpu();

Deno.test("arch: small conventional networks take inChannels; B-cos and full-size ones reject other values", () => {
  const rgb = buildBackbone({ name: "resnet_tiny", inChannels: 3 });
  assert.equal(rgb.inChannels, 3);
  assert.deepEqual(rgb.module.stateDict().get("conv1.weight")!.shape.slice(0, 2), [8, 3]);
  assert.equal(rgb.config.inChannels, 3); // recorded, so loadBackbone rebuilds it
  rgb.module.dispose();
  assert.equal(buildBackbone({ name: "resnet_tiny" }).inChannels, 1);
  assert.throws(() => buildBackbone({ name: "bcos_resnet_tiny", inChannels: 3 }), /fixed at 6/);
  assert.throws(() => buildBackbone({ name: "resnet_small", inChannels: 0 }), /positive integer/);
});

Deno.test("folder data: encodings by backbone, deterministic subsets, ImageNet resize + centre crop", async () => {
  assert.deepEqual(inputEncoding({ bcos: true, inChannels: 6 }), { name: "bcos6", channels: 3 });
  assert.deepEqual(inputEncoding({ bcos: false, inChannels: 3 }), { name: "imagenet-norm", channels: 3 });
  assert.deepEqual(inputEncoding({ bcos: false, inChannels: 1 }), { name: "gray", channels: 1 });
  const a = subsetIndices(50, 7), b = subsetIndices(50, 7);
  assert.deepEqual(a, b);
  assert.equal(new Set(a).size, 7);
  assert.deepEqual(a, [...a].sort((x, y) => x - y));
  assert.equal(subsetIndices(5, 9).length, 5);

  const img = { shape: [3, 20, 40], data: new Float32Array(3 * 20 * 40).fill(0.5) };
  const raw = folderTransform("imagenet", 16, { name: "imagenet-norm", channels: 3 }, false)(
    { image: img, boxes: [] },
    new Rng(0),
  );
  assert.deepEqual(raw.image.shape, [3, 16, 16]);
  assert.ok(Math.abs(raw.image.data[0] - 0.5) < 1e-6);
  const norm = folderTransform("imagenet", 16, { name: "imagenet-norm", channels: 3 }, true)(
    { image: img, boxes: [] },
    new Rng(0),
  );
  assert.ok(Math.abs(norm.image.data[0] - (0.5 - 0.485) / 0.229) < 1e-5);
  const bcos = folderTransform("voc2007", 16, { name: "bcos6", channels: 3 }, true)(
    { image: img, boxes: [{ cls: 0, x0: 0, y0: 0, x1: 20, y1: 10 }] },
    new Rng(0),
  );
  assert.deepEqual(bcos.image.shape, [6, 16, 16]);
  assert.deepEqual(bcos.boxes[0], { cls: 0, x0: 0, y0: 0, x1: 8, y1: 8 }); // VOC: resized, not cropped

  const tmp = await Deno.makeTempDir();
  await buildColorImageFolder(`${tmp}/in`, { classes: 3, perClass: 4, size: 8 });
  const val = await listFolderSplit("imagenet", `${tmp}/in`, "test", 5);
  assert.equal(val.samples.length, 5);
  assert.ok(val.samples.every((s) => s.path.includes("/val/")));
  assert.deepEqual(val.classes, ["n00000001", "n00000002", "n00000003"]);
  await buildColorVoc(`${tmp}/voc`, { trainval: 4, test: 2, size: 8 });
  const test = await listFolderSplit("voc2007", `${tmp}/voc`, "test", 0);
  assert.equal(test.samples.length, 2);
  assert.ok(test.multiLabel && test.samples.every((s) => s.boxes.length >= 1));
  await assert.rejects(() => listFolderSplit("imagenet", `${tmp}/nope`, "train", 0), /nope\/train/);
  await Deno.remove(tmp, { recursive: true });
});
