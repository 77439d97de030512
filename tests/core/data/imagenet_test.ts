import assert from "node:assert/strict";
import { listImageNet, wnidIndex } from "../../../core/data/imagenet.ts";
import { fileStem, parseLocSolution, parseValLabels } from "../../../core/data/imagenet_labels.ts";
import { buildImageFolder } from "./tree_builders.ts";

Deno.test("ImageNet reader on a tiny ImageFolder tree", async (t) => {
  const root = await Deno.makeTempDir();
  await buildImageFolder(root);
  try {
    await t.step("ImageNet: wnid map is sorted; train ImageFolder lists images per class", async () => {
      assert.deepEqual([...wnidIndex(["n3", "n1", "n2"]).entries()], [["n1", 0], ["n2", 1], ["n3", 2]]);
      const train = await listImageNet(root, { split: "train" });
      assert.deepEqual(train.wnids, ["n00000001", "n00000002", "n00000003"]);
      assert.equal(train.multiLabel, false);
      assert.equal(train.samples.length, 10); // readme.txt files are not images
      assert.deepEqual(train.samples.slice(0, 3).map((s) => s.path), [
        `${root}/train/n00000001/n00000001_1.png`,
        `${root}/train/n00000001/n00000001_2.JPEG`,
        `${root}/train/n00000001/n00000001_3.png`,
      ]);
      assert.deepEqual(train.samples.map((s) => s.labels[0]), [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
      assert.ok(train.samples.every((s) => s.boxes.length === 0));
    });

    await t.step(
      "ImageNet: flat val with val_labels.txt and per-image box XML; malformed XML skip/stop",
      async () => {
        await assert.rejects(
          listImageNet(root, { split: "val" }),
          new RegExp(`${root}/val_boxes/ILSVRC2012_val_00000003\\.xml:1: malformed XML`),
        );
        const warned: string[] = [];
        const val = await listImageNet(root, {
          split: "val",
          onError: "skip",
          onWarning: (m) => warned.push(m),
        });
        assert.equal(val.samples.length, 2);
        assert.equal(val.skipped, 1);
        assert.ok(warned[0].includes("ILSVRC2012_val_00000003.xml"));
        const [a, b] = val.samples;
        assert.equal(a.path, `${root}/val/ILSVRC2012_val_00000001.JPEG`);
        assert.deepEqual(a.labels, [1]);
        assert.deepEqual(a.boxes, [{ cls: 1, x0: 1, y0: 1, x1: 9, y1: 10 }, {
          cls: 1,
          x0: 3,
          y0: 4,
          x1: 16,
          y1: 16,
        }]);
        assert.deepEqual(b.labels, [0]);
        const noBoxes = await listImageNet(root, { split: "val", boxesDir: null });
        assert.equal(noBoxes.samples.length, 3);
        assert.deepEqual(noBoxes.samples[2].labels, [2]);
        assert.ok(noBoxes.samples.every((s) => s.boxes.length === 0));
      },
    );

    await t.step("ImageNet: label file parsers and errors", () => {
      const index = new Map([["n01", 0], ["n02", 1]]);
      assert.equal(fileStem("/a/b/c.d.JPEG"), "c.d");
      const m = parseValLabels("x.JPEG n02\n\n# c\ny,0\n", "v.txt", index);
      assert.deepEqual([...m.entries()], [["x", { label: 1 }], ["y", { label: 0 }]]);
      assert.throws(() => parseValLabels("x n99\n", "v.txt", index), /v\.txt:1: unknown class "n99"/);
      assert.throws(() => parseValLabels("lonely\n", "v.txt", index), /v\.txt:1: expected "<file> <label>"/);
      const loc = parseLocSolution(
        "ImageId,PredictionString\nv1,n02 1 2 10 20 n02 3 3 4 4\n",
        "LOC.csv",
        index,
      );
      assert.deepEqual(loc.get("v1"), {
        label: 1,
        boxes: [{ cls: 1, x0: 0, y0: 1, x1: 10, y1: 20 }, { cls: 1, x0: 2, y0: 2, x1: 4, y1: 4 }],
      });
      assert.throws(
        () => parseLocSolution("v1,n02 1 2 10\n", "LOC.csv", index),
        /LOC\.csv:1: PredictionString must be groups/,
      );
    });

    await t.step(
      "ImageNet: LOC_val_solution.csv supplies labels and boxes; missing labels and folders are reported",
      async () => {
        const r2 = await Deno.makeTempDir();
        try {
          await Deno.mkdir(`${r2}/val`);
          await Deno.copyFile(
            `${root}/val/ILSVRC2012_val_00000001.JPEG`,
            `${r2}/val/ILSVRC2012_val_00000001.JPEG`,
          );
          await Deno.copyFile(
            `${root}/val/ILSVRC2012_val_00000002.JPEG`,
            `${r2}/val/ILSVRC2012_val_00000002.JPEG`,
          );
          await assert.rejects(listImageNet(r2, { split: "val" }), /cannot determine the ImageNet classes/);
          await Deno.writeTextFile(
            `${r2}/LOC_val_solution.csv`,
            "ImageId,PredictionString\nILSVRC2012_val_00000001,n00000009 1 1 4 4 \n",
          );
          const warned: string[] = [];
          const val = await listImageNet(r2, {
            split: "val",
            onError: "skip",
            onWarning: (m) => warned.push(m),
          });
          assert.deepEqual(val.wnids, ["n00000009"]);
          assert.equal(val.samples.length, 1);
          assert.deepEqual(val.samples[0].boxes, [{ cls: 0, x0: 0, y0: 0, x1: 4, y1: 4 }]);
          assert.match(warned[0], /ILSVRC2012_val_00000002\.JPEG: no label in .*LOC_val_solution\.csv/);
          await assert.rejects(
            listImageNet(r2, { split: "train" }),
            /train: ImageNet train folder not found/,
          );
        } finally {
          await Deno.remove(r2, { recursive: true });
        }
      },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
