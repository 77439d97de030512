/**
 * Builders of tiny on-disk datasets for the core/data tests: images written with the pngjs / jpeg-js
 * encoders, VOC / COCO / ImageFolder trees, each with one corrupt file where a test needs it.
 *
 * @module
 */
import type { HostTensor } from "../../../core/host_tensor.ts";
import { encodeJpeg, encodePng } from "../../../core/data/encode.ts";

/**
 * A `[C, H, W]` test image whose pixel (c, y, x) is a simple function of its position and `seed`.
 *
 * @example
 * ```ts
 * import { patternImage } from "./tree_builders.ts";
 * console.log(patternImage(3, 4, 5, 1).shape); // [3, 4, 5]
 * ```
 */
export function patternImage(c: number, h: number, w: number, seed = 0): HostTensor {
  const data = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        data[(ch * h + y) * w + x] = ((x * 17 + y * 31 + ch * 53 + seed * 7) % 256) / 255;
      }
    }
  }
  return { shape: [c, h, w], data };
}

/**
 * Writes a PNG of a pattern image.
 *
 * @example
 * ```ts
 * import { writePng } from "./tree_builders.ts";
 * await writePng(`${await Deno.makeTempDir()}/a.png`, 3, 8, 8);
 * ```
 */
export async function writePng(path: string, c: number, h: number, w: number, seed = 0): Promise<void> {
  await Deno.writeFile(path, encodePng(patternImage(c, h, w, seed)));
}

/**
 * Writes a smooth (JPEG-friendly) RGB image as a quality-95 JPEG.
 *
 * @example
 * ```ts
 * import { writeJpeg } from "./tree_builders.ts";
 * await writeJpeg(`${await Deno.makeTempDir()}/a.jpg`, 16, 16);
 * ```
 */
export async function writeJpeg(path: string, h: number, w: number, seed = 0): Promise<void> {
  const data = new Float32Array(3 * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data[y * w + x] = 0.2 + 0.5 * (x / w);
      data[h * w + y * w + x] = 0.3 + 0.4 * (y / h);
      data[2 * h * w + y * w + x] = 0.1 * (seed % 5) + 0.2;
    }
  }
  await Deno.writeFile(path, encodeJpeg({ shape: [3, h, w], data }, 95));
}

/**
 * Writes the first `keep` bytes of a valid JPEG (a truncated file).
 *
 * @example
 * ```ts
 * import { writeTruncatedJpeg } from "./tree_builders.ts";
 * await writeTruncatedJpeg(`${await Deno.makeTempDir()}/t.jpg`);
 * ```
 */
export async function writeTruncatedJpeg(path: string, h = 16, w = 16): Promise<void> {
  await writeJpeg(path, h, w);
  const bytes = await Deno.readFile(path);
  await Deno.writeFile(path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
}

/**
 * Writes a PNG whose image data is damaged (a corrupt PNG).
 *
 * @example
 * ```ts
 * import { writeCorruptPng } from "./tree_builders.ts";
 * await writeCorruptPng(`${await Deno.makeTempDir()}/c.png`);
 * ```
 */
export async function writeCorruptPng(path: string): Promise<void> {
  const bytes = encodePng(patternImage(3, 8, 8));
  const bad = bytes.slice();
  for (let i = 40; i < bad.length - 16; i++) bad[i] ^= 0x5a;
  await Deno.writeFile(path, bad);
}

/** A VOC object for {@link vocXml}. */
export interface VocObject {
  name: string;
  box: [number, number, number, number];
  difficult?: boolean;
}

/**
 * VOC annotation XML text.
 *
 * @example
 * ```ts
 * import { vocXml } from "./tree_builders.ts";
 * console.log(vocXml("000001.jpg", 10, 10, [{ name: "dog", box: [1, 1, 5, 5] }]).includes("<name>dog</name>")); // true
 * ```
 */
export function vocXml(file: string, w: number, h: number, objects: VocObject[]): string {
  const objs = objects.map((o) =>
    `  <object>\n    <name>${o.name}</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n` +
    `    <difficult>${o.difficult ? 1 : 0}</difficult>\n    <bndbox><xmin>${o.box[0]}</xmin><ymin>${
      o.box[1]
    }</ymin>` +
    `<xmax>${o.box[2]}</xmax><ymax>${o.box[3]}</ymax></bndbox>\n  </object>\n`
  ).join("");
  return `<annotation>\n  <folder>VOC2007</folder>\n  <filename>${file}</filename>\n  <!-- test -->\n` +
    `  <size><width>${w}</width><height>${h}</height><depth>3</depth></size>\n${objs}</annotation>\n`;
}

/**
 * Creates a tiny VOC2007 tree under `root/VOCdevkit/VOC2007`: images 000001..000004 (000004's
 * annotation is malformed XML) and image sets train (1, 2), val (3, 4), trainval, test (1, 3).
 *
 * @example
 * ```ts
 * import { buildVoc } from "./tree_builders.ts";
 * const voc = await buildVoc(await Deno.makeTempDir());
 * console.log(voc.endsWith("VOC2007")); // true
 * ```
 */
export async function buildVoc(root: string): Promise<string> {
  const dir = `${root}/VOCdevkit/VOC2007`;
  for (const sub of ["JPEGImages", "Annotations", "ImageSets/Main"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  const anns: Record<string, VocObject[]> = {
    "000001": [{ name: "dog", box: [2, 3, 10, 12] }, { name: "person", box: [1, 1, 16, 16] }],
    "000002": [{ name: "cat", box: [5, 5, 8, 8] }, { name: "dog", box: [1, 2, 3, 4], difficult: true }],
    "000003": [{ name: "aeroplane", box: [1, 1, 4, 4] }, {
      name: "tvmonitor",
      box: [2, 2, 9, 9],
      difficult: true,
    }],
  };
  for (const [id, objs] of Object.entries(anns)) {
    await writeJpeg(`${dir}/JPEGImages/${id}.jpg`, 16, 16, Number(id));
    await Deno.writeTextFile(`${dir}/Annotations/${id}.xml`, vocXml(`${id}.jpg`, 16, 16, objs));
  }
  await writeJpeg(`${dir}/JPEGImages/000004.jpg`, 16, 16, 4);
  await Deno.writeTextFile(
    `${dir}/Annotations/000004.xml`,
    "<annotation><object><name>dog</name></annotation>",
  );
  const sets: Record<string, string[]> = {
    train: ["000001", "000002"],
    val: ["000003", "000004"],
    trainval: ["000001", "000002", "000003", "000004"],
    test: ["000001", "000003"],
  };
  for (const [s, ids] of Object.entries(sets)) {
    await Deno.writeTextFile(`${dir}/ImageSets/Main/${s}.txt`, ids.join("\n") + "\n");
  }
  return dir;
}

/**
 * Creates a tiny ImageFolder tree: `train/n0000000{1,2,3}/` with 3 PNG/JPEG images each (one corrupt PNG,
 * one truncated JPEG in class n00000003), and a flat `val/` with `val_labels.txt` and box XMLs in
 * `val_boxes/` (one malformed).
 *
 * @example
 * ```ts
 * import { buildImageFolder } from "./tree_builders.ts";
 * await buildImageFolder(await Deno.makeTempDir());
 * ```
 */
export async function buildImageFolder(root: string): Promise<void> {
  const wnids = ["n00000001", "n00000002", "n00000003"];
  for (const [k, wnid] of wnids.entries()) {
    const d = `${root}/train/${wnid}`;
    await Deno.mkdir(d, { recursive: true });
    await writePng(`${d}/${wnid}_1.png`, 3, 12, 10, k);
    await writeJpeg(`${d}/${wnid}_2.JPEG`, 10, 12, k);
    if (k === 2) {
      await writeCorruptPng(`${d}/${wnid}_3.png`);
      await writeTruncatedJpeg(`${d}/${wnid}_4.JPEG`);
    } else await writePng(`${d}/${wnid}_3.png`, 1, 8, 8, k);
    await Deno.writeTextFile(`${d}/readme.txt`, "not an image");
  }
  await Deno.mkdir(`${root}/val`, { recursive: true });
  await Deno.mkdir(`${root}/val_boxes`, { recursive: true });
  const val = [["ILSVRC2012_val_00000001", "n00000002"], ["ILSVRC2012_val_00000002", "n00000001"], [
    "ILSVRC2012_val_00000003",
    "2",
  ]];
  for (const [i, [stem, label]] of val.entries()) {
    await writeJpeg(`${root}/val/${stem}.JPEG`, 16, 16, i);
    const wnid = /^\d+$/.test(label) ? wnids[Number(label)] : label;
    const xml = i === 2
      ? "<annotation><object><name>n00000003</name><bndbox><xmin>1</xmin></bndbox></object>"
      : vocXml(`${stem}.JPEG`, 16, 16, [{ name: wnid, box: [2, 2, 9, 10] }, {
        name: wnid,
        box: [4, 5, 16, 16],
      }]);
    await Deno.writeTextFile(`${root}/val_boxes/${stem}.xml`, xml);
  }
  await Deno.writeTextFile(
    `${root}/val_labels.txt`,
    "# file label\n" + val.map(([s, l], i) => `${i === 0 ? s + ".JPEG" : s} ${l}`).join("\n") + "\n",
  );
}

/**
 * Creates a tiny COCO 2014 tree under `root` (`annotations/instances_val2014.json`, `val2014/*.jpg`, a
 * malformed `instances_train2014.json`); returns the parsed val json for reference.
 *
 * @example
 * ```ts
 * import { buildCoco } from "./tree_builders.ts";
 * const json = await buildCoco(await Deno.makeTempDir());
 * console.log(json.images.length); // 4
 * ```
 */
export async function buildCoco(root: string): Promise<{
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: Record<string, unknown>[];
  categories: { id: number; name: string }[];
}> {
  await Deno.mkdir(`${root}/annotations`, { recursive: true });
  await Deno.mkdir(`${root}/val2014`, { recursive: true });
  const images = [1, 2, 3, 4].map((id) => ({
    id: id * 10,
    file_name: `COCO_val2014_${String(id * 10).padStart(12, "0")}.jpg`,
    width: 16,
    height: 16,
  }));
  for (const im of images) await writeJpeg(`${root}/val2014/${im.file_name}`, 16, 16, im.id);
  const categories = [{ id: 90, name: "toothbrush" }, { id: 1, name: "person" }, { id: 18, name: "dog" }];
  const annotations: Record<string, unknown>[] = [
    { id: 1, image_id: 10, category_id: 18, bbox: [1, 2, 3, 4], iscrowd: 0 },
    { id: 2, image_id: 10, category_id: 1, bbox: [0.5, 0, 10, 15.5], iscrowd: 0 },
    { id: 3, image_id: 20, category_id: 90, bbox: [4, 4, 2, 2], iscrowd: 0 },
    { id: 4, image_id: 20, category_id: 90, bbox: [8, 8, 1, 1], iscrowd: 1 },
    { id: 5, image_id: 40, category_id: 18, bbox: [1, 1, "x", 2], iscrowd: 0 },
  ];
  const json = { images, annotations, categories, info: {}, licenses: [] };
  await Deno.writeTextFile(`${root}/annotations/instances_val2014.json`, JSON.stringify(json));
  await Deno.writeTextFile(`${root}/annotations/instances_train2014.json`, '{"images": [ {"id": 1,');
  return json;
}
