/**
 * PASCAL VOC 2007 as a multi-label dataset: `JPEGImages/<id>.jpg`, `Annotations/<id>.xml` (with
 * `difficult` flags) and `ImageSets/Main/{train,val,trainval,test}.txt`. Labels are the classes of the
 * image's objects (20 classes, standard order); boxes are kept per object (see `annotation_xml.ts` for the
 * coordinate convention).
 *
 * @module
 */
import type { Box } from "./boxes.ts";
import { type ErrorPolicy, labelsOfBoxes, type Sample, type SampleList, tryOrSkip } from "./dataset.ts";
import { isDirectory, joinPath, readTextNamed } from "./fs_util.ts";
import { parseAnnotationXml } from "./annotation_xml.ts";

/** The 20 VOC classes in the standard (alphabetical) order. */
export const VOC_CLASSES: readonly string[] = [
  "aeroplane",
  "bicycle",
  "bird",
  "boat",
  "bottle",
  "bus",
  "car",
  "cat",
  "chair",
  "cow",
  "diningtable",
  "dog",
  "horse",
  "motorbike",
  "person",
  "pottedplant",
  "sheep",
  "sofa",
  "train",
  "tvmonitor",
];

/** A VOC image set. */
export type VocSplit = "train" | "val" | "trainval" | "test";

/** Options of {@link listVoc}. */
export interface VocOptions extends ErrorPolicy {
  /** Which image set. */
  split: VocSplit;
  /**
   * Drop objects flagged difficult from boxes and labels; classes present only as difficult objects are
   * then listed in `Sample.ignore` (default false: difficult objects are kept, `Box.difficult` is set).
   */
  dropDifficult?: boolean;
}

/**
 * The VOC2007 directory (the one holding `JPEGImages`): `root` itself, `root/VOC2007` or
 * `root/VOCdevkit/VOC2007`.
 *
 * @example
 * ```ts
 * import { resolveVocRoot } from "./voc.ts";
 * console.log(await resolveVocRoot("/data/VOCdevkit")); // "/data/VOCdevkit/VOC2007"
 * ```
 */
export async function resolveVocRoot(root: string): Promise<string> {
  for (const dir of [root, joinPath(root, "VOC2007"), joinPath(root, "VOCdevkit", "VOC2007")]) {
    if (await isDirectory(joinPath(dir, "JPEGImages"))) return dir;
  }
  throw new Error(
    `${root}: not a VOC 2007 directory (no JPEGImages/ in it, in VOC2007/ or in VOCdevkit/VOC2007/)`,
  );
}

/**
 * Turns one annotation file into a sample.
 *
 * @example
 * ```ts
 * import { vocSample } from "./voc.ts";
 * const s = vocSample("/voc/JPEGImages/1.jpg", "<annotation/>", "/voc/Annotations/1.xml", false);
 * console.log(s.labels); // []
 * ```
 */
export function vocSample(imagePath: string, xml: string, xmlPath: string, dropDifficult: boolean): Sample {
  const ann = parseAnnotationXml(xml, xmlPath);
  const boxes: Box[] = [];
  const difficultOnly = new Set<number>();
  for (const o of ann.objects) {
    const cls = VOC_CLASSES.indexOf(o.name);
    if (cls < 0) throw new Error(`${xmlPath}: unknown VOC class "${o.name}"`);
    if (o.difficult && dropDifficult) {
      difficultOnly.add(cls);
      continue;
    }
    const b: Box = { cls, x0: o.x0, y0: o.y0, x1: o.x1, y1: o.y1 };
    if (o.difficult) b.difficult = true;
    boxes.push(b);
  }
  const labels = labelsOfBoxes(boxes);
  const s: Sample = { path: imagePath, labels, boxes };
  const ignore = [...difficultOnly].filter((c) => !labels.includes(c)).sort((a, b) => a - b);
  if (ignore.length) s.ignore = ignore;
  if (ann.width !== undefined) s.width = ann.width;
  if (ann.height !== undefined) s.height = ann.height;
  return s;
}

/**
 * Lists a VOC 2007 image set. Malformed annotation files are thrown (`onError: "stop"`, default) or
 * skipped with a warning (`"skip"`).
 *
 * @example
 * ```ts
 * import { listVoc } from "./voc.ts";
 * const test = await listVoc("/data/VOCdevkit", { split: "test", dropDifficult: true });
 * console.log(test.samples.length, test.classes.length); // 4952 20
 * ```
 */
export async function listVoc(root: string, opts: VocOptions): Promise<SampleList> {
  const dir = await resolveVocRoot(root);
  const listFile = joinPath(dir, "ImageSets", "Main", `${opts.split}.txt`);
  const ids = (await readTextNamed(listFile)).split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]).filter((
    l,
  ) => l);
  const warnings: string[] = [];
  const samples: (Sample | undefined)[] = new Array(ids.length);
  const chunk = 64;
  for (let start = 0; start < ids.length; start += chunk) {
    await Promise.all(
      ids.slice(start, start + chunk).map(async (id, k) => {
        const xmlPath = joinPath(dir, "Annotations", `${id}.xml`);
        samples[start + k] = await tryOrSkip(
          async () => {
            const xml = await readTextNamed(xmlPath);
            return vocSample(
              joinPath(dir, "JPEGImages", `${id}.jpg`),
              xml,
              xmlPath,
              opts.dropDifficult ?? false,
            );
          },
          opts,
          warnings,
        );
      }),
    );
  }
  const kept = samples.filter((s): s is Sample => s !== undefined);
  return { samples: kept, classes: [...VOC_CLASSES], multiLabel: true, skipped: warnings.length, warnings };
}
