/**
 * COCO 2014 instances as a multi-label dataset: `annotations/instances_{train,val}2014.json` with images
 * in `{train,val}2014/`. Category ids (1..90 with gaps) are remapped to 0..79 in ascending id order; boxes
 * go from `[x, y, w, h]` to `[x, y, x + w, y + h]`; labels are the categories of the image's annotations
 * (crowd annotations included). Boxes with no area keep their label but are not listed as boxes. Images
 * without annotations are dropped unless `keepEmpty` is set.
 *
 * @module
 */
import type { Box } from "./boxes.ts";
import { type ErrorPolicy, labelsOfBoxes, type Sample, type SampleList, trySync } from "./dataset.ts";
import { joinPath, readTextNamed } from "./fs_util.ts";

/** Options of {@link listCoco}. */
export interface CocoOptions extends ErrorPolicy {
  /** Which split. */
  split: "train" | "val";
  /** Dataset year in the file names (default 2014). */
  year?: number;
  /** Keep images that have no annotations (default false). */
  keepEmpty?: boolean;
  /** Override the annotation file path. */
  annotationFile?: string;
  /** Override the image directory. */
  imageDir?: string;
}

/** A COCO split: the sample list plus the original category id of each class index. */
export interface CocoSampleList extends SampleList {
  /** `categoryIds[k]` is the COCO id of class index k. */
  categoryIds: number[];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function arrayField(json: Record<string, unknown>, key: string, file: string): Record<string, unknown>[] {
  const v = json[key];
  if (!Array.isArray(v)) throw new Error(`${file}: missing "${key}" array in COCO annotation file`);
  return v as Record<string, unknown>[];
}

/**
 * Builds the sample list from parsed COCO json (`file` names the source in errors, `imageDir` prefixes the
 * image file names).
 *
 * @example
 * ```ts
 * import { cocoSamples } from "./coco.ts";
 * const json = {
 *   images: [{ id: 1, file_name: "a.jpg", width: 10, height: 10 }],
 *   categories: [{ id: 18, name: "dog" }],
 *   annotations: [{ id: 5, image_id: 1, category_id: 18, bbox: [1, 2, 3, 4] }],
 * };
 * const list = cocoSamples(json, "inst.json", "/coco/val2014", {});
 * console.log(list.samples[0].boxes[0]); // {cls: 0, x0: 1, y0: 2, x1: 4, y1: 6}
 * ```
 */
export function cocoSamples(
  json: unknown,
  file: string,
  imageDir: string,
  opts: ErrorPolicy & { keepEmpty?: boolean },
): CocoSampleList {
  if (!isObj(json)) throw new Error(`${file}: COCO annotation file must hold a JSON object`);
  const cats = arrayField(json, "categories", file);
  const images = arrayField(json, "images", file);
  const anns = arrayField(json, "annotations", file);
  const sortedCats = cats.map((c, i) => {
    if (!isObj(c) || typeof c.id !== "number") throw new Error(`${file}: categories[${i}] has no numeric id`);
    return { id: c.id, name: typeof c.name === "string" ? c.name : String(c.id) };
  }).sort((a, b) => a.id - b.id);
  const catIndex = new Map(sortedCats.map((c, i) => [c.id, i]));
  const warnings: string[] = [];
  const byImage = new Map<number, { sample: Sample; cls: Set<number> }>();
  for (let i = 0; i < images.length; i++) {
    const im = images[i];
    trySync(
      () => {
        if (!isObj(im) || typeof im.id !== "number" || typeof im.file_name !== "string") {
          throw new Error(`${file}: images[${i}] needs a numeric "id" and a string "file_name"`);
        }
        const sample: Sample = { path: joinPath(imageDir, im.file_name), labels: [], boxes: [] };
        if (typeof im.width === "number") sample.width = im.width;
        if (typeof im.height === "number") sample.height = im.height;
        byImage.set(im.id, { sample, cls: new Set() });
      },
      opts,
      warnings,
    );
  }
  for (let i = 0; i < anns.length; i++) {
    const a = anns[i];
    trySync(
      () => {
        if (!isObj(a)) throw new Error(`${file}: annotations[${i}] is not an object`);
        const entry = byImage.get(a.image_id as number);
        if (!entry) throw new Error(`${file}: annotations[${i}] refers to unknown image_id ${a.image_id}`);
        const cls = catIndex.get(a.category_id as number);
        if (cls === undefined) {
          throw new Error(`${file}: annotations[${i}] has unknown category_id ${a.category_id}`);
        }
        const bb = a.bbox;
        if (
          !Array.isArray(bb) || bb.length !== 4 ||
          !bb.every((v) => typeof v === "number" && Number.isFinite(v))
        ) {
          throw new Error(`${file}: annotations[${i}] has a malformed bbox ${JSON.stringify(bb)}`);
        }
        const [x, y, w, h] = bb as number[];
        entry.cls.add(cls);
        if (w > 0 && h > 0) {
          entry.sample.boxes.push({ cls, x0: x, y0: y, x1: x + w, y1: y + h } satisfies Box);
        }
      },
      opts,
      warnings,
    );
  }
  const samples: Sample[] = [];
  for (const id of [...byImage.keys()].sort((a, b) => a - b)) {
    const { sample, cls } = byImage.get(id)!;
    sample.labels = [...new Set([...cls, ...labelsOfBoxes(sample.boxes)])].sort((a, b) => a - b);
    if (sample.labels.length > 0 || opts.keepEmpty) samples.push(sample);
  }
  return {
    samples,
    classes: sortedCats.map((c) => c.name),
    categoryIds: sortedCats.map((c) => c.id),
    multiLabel: true,
    skipped: warnings.length,
    warnings,
  };
}

/**
 * Lists a COCO split from `root` (holding `annotations/` and the image folders). A malformed JSON file
 * always throws an error naming it; malformed entries follow `onError`.
 *
 * @example
 * ```ts
 * import { listCoco } from "./coco.ts";
 * const val = await listCoco("/data/coco", { split: "val" });
 * console.log(val.classes.length); // 80
 * ```
 */
export async function listCoco(root: string, opts: CocoOptions): Promise<CocoSampleList> {
  const name = `${opts.split}${opts.year ?? 2014}`;
  const file = opts.annotationFile ?? joinPath(root, "annotations", `instances_${name}.json`);
  const text = await readTextNamed(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: malformed JSON (${(e as Error).message})`, { cause: e });
  }
  return cocoSamples(json, file, opts.imageDir ?? joinPath(root, name), opts);
}
