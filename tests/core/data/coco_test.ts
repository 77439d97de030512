import assert from "node:assert/strict";
import { cocoSamples, listCoco } from "../../../core/data/coco.ts";
import { buildCoco } from "./tree_builders.ts";

Deno.test("COCO: category remap by sorted id, xywh -> xyxy, multi-hot labels, empty images", async () => {
  const root = await Deno.makeTempDir();
  try {
    await buildCoco(root);
    const warned: string[] = [];
    const val = await listCoco(root, { split: "val", onError: "skip", onWarning: (m) => warned.push(m) });
    assert.deepEqual(val.categoryIds, [1, 18, 90]);
    assert.deepEqual(val.classes, ["person", "dog", "toothbrush"]);
    assert.equal(val.multiLabel, true);
    // Image 30 has no annotations, image 40 only a malformed one: both dropped.
    assert.deepEqual(val.samples.map((s) => s.path), [
      `${root}/val2014/COCO_val2014_000000000010.jpg`,
      `${root}/val2014/COCO_val2014_000000000020.jpg`,
    ]);
    const [a, b] = val.samples;
    assert.deepEqual(a.labels, [0, 1]);
    assert.deepEqual(a.boxes, [{ cls: 1, x0: 1, y0: 2, x1: 4, y1: 6 }, {
      cls: 0,
      x0: 0.5,
      y0: 0,
      x1: 10.5,
      y1: 15.5,
    }]);
    assert.deepEqual(b.labels, [2]);
    assert.equal(b.boxes.length, 2);
    assert.equal(a.width, 16);
    assert.equal(val.skipped, 1);
    assert.match(warned[0], /instances_val2014\.json: annotations\[4\] has a malformed bbox/);

    const keep = await listCoco(root, {
      split: "val",
      keepEmpty: true,
      onError: "skip",
      onWarning: () => {},
    });
    assert.equal(keep.samples.length, 4);
    assert.deepEqual(keep.samples[2].labels, []);

    await assert.rejects(
      listCoco(root, { split: "val" }),
      /instances_val2014\.json: annotations\[4\] has a malformed bbox/,
    );
    await assert.rejects(
      listCoco(root, { split: "train" }),
      new RegExp(`${root}/annotations/instances_train2014\\.json: malformed JSON`),
    );
    await assert.rejects(
      listCoco(root, { split: "val", year: 2017 }),
      /instances_val2017\.json: cannot read file/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cocoSamples: structural errors name the file", () => {
  assert.throws(
    () => cocoSamples([], "x.json", "/img", {}),
    /x\.json: COCO annotation file must hold a JSON object/,
  );
  assert.throws(
    () => cocoSamples({ images: [], categories: [] }, "y.json", "/img", {}),
    /y\.json: missing "annotations"/,
  );
  assert.throws(
    () =>
      cocoSamples(
        {
          images: [{ id: 1, file_name: "a.jpg" }],
          categories: [{ id: 3 }],
          annotations: [{ image_id: 1, category_id: 4, bbox: [0, 0, 1, 1] }],
        },
        "z.json",
        "/img",
        {},
      ),
    /z\.json: annotations\[0\] has unknown category_id 4/,
  );
});
