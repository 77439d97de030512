/**
 * Tiny colour-coded image datasets on disk for the task tests: an ImageFolder tree (ImageNet layout)
 * whose classes are told apart by colour, and a VOC 2007 tree whose objects are coloured squares with
 * their boxes. Written with the repository's own PNG / JPEG encoders.
 *
 * @module
 */
import { encodeJpeg, encodePng } from "../../core/data/encode.ts";
import { Rng } from "../../core/data/rng.ts";

/** Class colours (RGB in [0, 1]): red, green, blue, yellow. */
export const COLORS: readonly [number, number, number][] = [[0.9, 0.1, 0.1], [0.1, 0.85, 0.1], [
  0.1,
  0.1,
  0.9,
], [0.9, 0.9, 0.1]];

function canvas(size: number, rng: Rng): Float32Array {
  const data = new Float32Array(3 * size * size);
  for (let i = 0; i < data.length; i++) data[i] = 0.45 + 0.1 * rng.float();
  return data;
}

function paint(data: Float32Array, size: number, color: readonly number[], box: number[], rng: Rng) {
  const [x0, y0, x1, y1] = box;
  for (let c = 0; c < 3; c++) {
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) data[(c * size + y) * size + x] = color[c] + 0.08 * (rng.float() - 0.5);
    }
  }
}

/**
 * Writes `root/{train,val}/n0000000k/*.{png,JPEG}`: per class `perClass` training and `perClass` val
 * images of side `size`, a class-coloured square (about half the side, random position) on a gray
 * noisy background; PNG and JPEG alternate. Each val image's square is also written as an ImageNet
 * box XML (`root/val_boxes/<stem>.xml`, 1-based inclusive). Returns the wnids.
 *
 * @example
 * ```ts ignore
 * const wnids = await buildColorImageFolder(await Deno.makeTempDir(), { classes: 3, perClass: 4, size: 32 });
 * ```
 */
export async function buildColorImageFolder(
  root: string,
  o: { classes: number; perClass: number; size: number; seed?: number },
): Promise<string[]> {
  const rng = new Rng(o.seed ?? 1);
  const wnids = Array.from({ length: o.classes }, (_, k) => `n0000000${k + 1}`);
  await Deno.mkdir(`${root}/val_boxes`, { recursive: true });
  for (const split of ["train", "val"]) {
    for (const [k, wnid] of wnids.entries()) {
      const dir = `${root}/${split}/${wnid}`;
      await Deno.mkdir(dir, { recursive: true });
      for (let i = 0; i < o.perClass; i++) {
        const s = o.size, side = Math.floor(s / 2) + rng.int(Math.floor(s / 4));
        const x0 = rng.int(s - side + 1), y0 = rng.int(s - side + 1);
        const data = canvas(s, rng);
        paint(data, s, COLORS[k % COLORS.length], [x0, y0, x0 + side, y0 + side], rng);
        const image = { shape: [3, s, s], data };
        const stem = `${wnid}_${split}_${i}`;
        if (i % 2 === 0) await Deno.writeFile(`${dir}/${stem}.png`, encodePng(image));
        else await Deno.writeFile(`${dir}/${stem}.JPEG`, encodeJpeg(image, 95));
        if (split !== "val") continue;
        await Deno.writeTextFile(
          `${root}/val_boxes/${stem}.xml`,
          `<annotation><size><width>${s}</width><height>${s}</height></size><object><name>${wnid}</name>` +
            `<bndbox><xmin>${x0 + 1}</xmin><ymin>${y0 + 1}</ymin><xmax>${x0 + side}</xmax>` +
            `<ymax>${y0 + side}</ymax></bndbox></object></annotation>`,
        );
      }
    }
  }
  return wnids;
}

/** VOC classes of the colours of {@link COLORS}, in order. */
export const VOC_COLOR_CLASSES: readonly string[] = ["cat", "dog", "person", "car"];

/**
 * Writes a VOC 2007 tree under `root/VOC2007` with `trainval` and `test` image sets: each image holds 1
 * or 2 squares of distinct colours (classes {@link VOC_COLOR_CLASSES}) in opposite halves, with
 * matching annotation boxes (1-based inclusive, as VOC). Returns the VOC2007 directory.
 *
 * @example
 * ```ts ignore
 * const dir = await buildColorVoc(await Deno.makeTempDir(), { trainval: 12, test: 6, size: 32 });
 * ```
 */
export async function buildColorVoc(
  root: string,
  o: { trainval: number; test: number; size: number; classes?: number; seed?: number },
): Promise<string> {
  const dir = `${root}/VOC2007`;
  for (const sub of ["JPEGImages", "Annotations", "ImageSets/Main"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  const rng = new Rng(o.seed ?? 2);
  const classes = o.classes ?? 3;
  const s = o.size;
  const ids: string[] = [];
  for (let i = 0; i < o.trainval + o.test; i++) {
    const id = String(i + 1).padStart(6, "0");
    ids.push(id);
    const count = 1 + (i % 2);
    const picked = rng.permutation(classes).slice(0, count);
    const data = canvas(s, rng);
    const objects: string[] = [];
    picked.forEach((cls, j) => {
      const half = Math.floor(s / 2), side = Math.floor(s / 3);
      const x0 = count === 1 ? rng.int(s - side + 1) : j * half + rng.int(half - side + 1);
      const y0 = rng.int(s - side + 1);
      paint(data, s, COLORS[cls], [x0, y0, x0 + side, y0 + side], rng);
      objects.push(
        `<object><name>${VOC_COLOR_CLASSES[cls]}</name><difficult>0</difficult><bndbox><xmin>${
          x0 + 1
        }</xmin>` +
          `<ymin>${y0 + 1}</ymin><xmax>${x0 + side}</xmax><ymax>${y0 + side}</ymax></bndbox></object>`,
      );
    });
    await Deno.writeFile(`${dir}/JPEGImages/${id}.jpg`, encodeJpeg({ shape: [3, s, s], data }, 95));
    await Deno.writeTextFile(
      `${dir}/Annotations/${id}.xml`,
      `<annotation><filename>${id}.jpg</filename><size><width>${s}</width><height>${s}</height>` +
        `<depth>3</depth></size>${objects.join("")}</annotation>`,
    );
  }
  await Deno.writeTextFile(`${dir}/ImageSets/Main/trainval.txt`, ids.slice(0, o.trainval).join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/ImageSets/Main/test.txt`, ids.slice(o.trainval).join("\n") + "\n");
  return dir;
}
