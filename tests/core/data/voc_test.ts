import assert from "node:assert/strict";
import { listVoc, resolveVocRoot, VOC_CLASSES } from "../../../core/data/voc.ts";
import { buildVoc } from "./tree_builders.ts";

Deno.test("VOC 2007 reader on a tiny tree", async (t) => {
  const root = await Deno.makeTempDir();
  const dir = await buildVoc(root);
  const dog = VOC_CLASSES.indexOf("dog"),
    person = VOC_CLASSES.indexOf("person"),
    cat = VOC_CLASSES.indexOf("cat");
  try {
    await t.step("VOC: standard class order and root resolution", async () => {
      assert.equal(VOC_CLASSES.length, 20);
      assert.deepEqual([VOC_CLASSES[0], VOC_CLASSES[14], VOC_CLASSES[19]], [
        "aeroplane",
        "person",
        "tvmonitor",
      ]);
      assert.equal(await resolveVocRoot(root), dir);
      assert.equal(await resolveVocRoot(`${root}/VOCdevkit`), dir);
      await assert.rejects(resolveVocRoot(`${root}/nowhere`), /nowhere: not a VOC 2007 directory/);
    });

    await t.step(
      "VOC: train split multi-labels, boxes (1-based -> 0-based) and difficult flags",
      async () => {
        const train = await listVoc(root, { split: "train" });
        assert.equal(train.multiLabel, true);
        assert.equal(train.classes.length, 20);
        assert.deepEqual(train.samples.map((s) => s.path), [
          `${dir}/JPEGImages/000001.jpg`,
          `${dir}/JPEGImages/000002.jpg`,
        ]);
        const [s1, s2] = train.samples;
        assert.deepEqual(s1.labels, [dog, person].sort((a, b) => a - b));
        assert.deepEqual(s1.boxes[0], { cls: dog, x0: 1, y0: 2, x1: 10, y1: 12 });
        assert.equal(s1.width, 16);
        assert.deepEqual(s2.labels, [cat, dog].sort((a, b) => a - b));
        assert.equal(s2.boxes.find((b) => b.cls === dog)?.difficult, true);
        assert.equal(s2.ignore, undefined);
      },
    );

    await t.step(
      "VOC: dropDifficult removes difficult objects and lists difficult-only classes as ignored",
      async () => {
        const test = await listVoc(root, { split: "test", dropDifficult: true });
        const s3 = test.samples[1];
        assert.deepEqual(s3.labels, [VOC_CLASSES.indexOf("aeroplane")]);
        assert.equal(s3.boxes.length, 1);
        assert.deepEqual(s3.ignore, [VOC_CLASSES.indexOf("tvmonitor")]);
        const train = await listVoc(root, { split: "train", dropDifficult: true });
        assert.deepEqual(train.samples[1].labels, [cat]);
        assert.deepEqual(train.samples[1].ignore, [dog]);
      },
    );

    await t.step(
      "VOC: malformed annotation XML stops with the file named, or is skipped with a warning",
      async () => {
        await assert.rejects(
          listVoc(root, { split: "val" }),
          new RegExp(`${dir}/Annotations/000004\\.xml:1: malformed XML`),
        );
        const warned: string[] = [];
        const val = await listVoc(root, { split: "val", onError: "skip", onWarning: (m) => warned.push(m) });
        assert.equal(val.samples.length, 1);
        assert.equal(val.skipped, 1);
        assert.equal(warned.length, 1);
        assert.ok(warned[0].includes(`${dir}/Annotations/000004.xml`));
        assert.deepEqual(val.warnings, warned);
        await assert.rejects(
          listVoc(root, { split: "nope" as "val" }),
          /ImageSets\/Main\/nope\.txt: cannot read file/,
        );
      },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
