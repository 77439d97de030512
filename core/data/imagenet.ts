/**
 * ImageNet in ImageFolder layout.
 *
 * Accepted layout under `root`:
 *  - `train/<wnid>/*.{JPEG,jpg,jpeg,png}`;
 *  - `val/<wnid>/*` (class folders), or flat `val/*` with a label file: the `labelFile` option, else the
 *    first of `root/val_labels.txt`, `root/val/val_labels.txt`, `root/LOC_val_solution.csv` (formats in
 *    `imagenet_labels.ts`);
 *  - validation boxes: one PASCAL-style XML per image, `<stem>.xml`, in the `boxesDir` option or the first
 *    existing of `root/val_boxes`, `root/Annotations/CLS-LOC/val`, `root/Annotations/val`; images without
 *    XML get the boxes of `LOC_val_solution.csv` when that is the label file, otherwise none.
 *
 * Classes are the wnids sorted ascending (so class k is the k-th sorted wnid, as torchvision's
 * ImageFolder): from the `wnids` option, else the folders of `train/`, else the class folders of `val/`,
 * else the wnids named by the label file.
 *
 * @module
 */
import type { Box } from "./boxes.ts";
import { type ErrorPolicy, type Sample, type SampleList, skipOrThrow, tryOrSkip } from "./dataset.ts";
import { isDirectory, joinPath, listDir, pathExists, readTextNamed } from "./fs_util.ts";
import { parseAnnotationXml } from "./annotation_xml.ts";
import { fileStem, parseLocSolution, parseValLabels, type ValLabels } from "./imagenet_labels.ts";

const IMAGE_EXT = /\.(jpe?g|png)$/i;

/** Options of {@link listImageNet}. */
export interface ImageNetOptions extends ErrorPolicy {
  /** Which split. */
  split: "train" | "val";
  /** Class wnids (sorted on use); default: discovered (see module docs). */
  wnids?: string[];
  /** Label file for a flat `val/` folder. */
  labelFile?: string;
  /** Directory of per-image box XML files; `null` disables boxes. */
  boxesDir?: string | null;
  /** Box coordinates are 1-based inclusive (PASCAL convention, default true). */
  oneBasedBoxes?: boolean;
}

/** An ImageNet split. */
export interface ImageNetSampleList extends SampleList {
  /** Sorted wnids; `wnids[k]` is class k. */
  wnids: string[];
}

/**
 * The wnid -> class index map for a list of wnids (sorted ascending first).
 *
 * @example
 * ```ts
 * import { wnidIndex } from "./imagenet.ts";
 * console.log(wnidIndex(["n02", "n01"]).get("n02")); // 1
 * ```
 */
export function wnidIndex(wnids: readonly string[]): Map<string, number> {
  return new Map([...wnids].sort().map((w, i) => [w, i]));
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths) if (await pathExists(p)) return p;
  return undefined;
}

async function imagesIn(dir: string): Promise<string[]> {
  return (await listDir(dir, "files")).filter((f) => IMAGE_EXT.test(f)).map((f) => joinPath(dir, f));
}

async function readLabelFile(
  path: string,
  index: Map<string, number>,
  oneBased: boolean,
): Promise<ValLabels> {
  const text = await readTextNamed(path);
  return path.toLowerCase().endsWith(".csv")
    ? parseLocSolution(text, path, index, oneBased)
    : parseValLabels(text, path, index);
}

async function discoverWnids(root: string, valDir: string, labelFile: string | undefined): Promise<string[]> {
  const trainDir = joinPath(root, "train");
  if (await isDirectory(trainDir)) return await listDir(trainDir, "dirs");
  const valDirs = await listDir(valDir, "dirs");
  if (valDirs.length) return valDirs;
  if (labelFile) {
    const text = await readTextNamed(labelFile);
    const found = new Set(text.match(/\bn\d{8}\b/g) ?? []);
    if (found.size) return [...found].sort();
  }
  throw new Error(
    `${root}: cannot determine the ImageNet classes (no train/ folders, no val/ class folders, ` +
      `no wnids in a label file); pass the wnids option`,
  );
}

/**
 * Lists an ImageNet split (see module docs for the accepted layouts).
 *
 * @example
 * ```ts
 * import { listImageNet } from "./imagenet.ts";
 * const val = await listImageNet("/data/imagenet", { split: "val" });
 * console.log(val.samples.length, val.wnids.length); // 50000 1000
 * ```
 */
export async function listImageNet(root: string, opts: ImageNetOptions): Promise<ImageNetSampleList> {
  const splitDir = joinPath(root, opts.split);
  if (!(await isDirectory(splitDir))) throw new Error(`${splitDir}: ImageNet ${opts.split} folder not found`);
  const classFolders = await listDir(splitDir, "dirs");
  const labelFile = classFolders.length ? undefined : opts.labelFile ?? await firstExisting([
    joinPath(root, "val_labels.txt"),
    joinPath(splitDir, "val_labels.txt"),
    joinPath(root, "LOC_val_solution.csv"),
  ]);
  const wnids = [...(opts.wnids ?? await discoverWnids(root, splitDir, labelFile))].sort();
  const index = wnidIndex(wnids);
  const oneBased = opts.oneBasedBoxes ?? true;
  const warnings: string[] = [];
  let samples: Sample[] = [];

  if (classFolders.length) {
    for (const wnid of classFolders) {
      const cls = index.get(wnid);
      if (cls === undefined) {
        skipOrThrow(new Error(`${joinPath(splitDir, wnid)}: folder is not a known wnid`), opts, warnings);
        continue;
      }
      for (const path of await imagesIn(joinPath(splitDir, wnid))) {
        samples.push({ path, labels: [cls], boxes: [] });
      }
    }
  } else {
    if (!labelFile) {
      throw new Error(
        `${splitDir}: flat folder without class sub-folders needs a label file ` +
          `(val_labels.txt or LOC_val_solution.csv in ${root}, or the labelFile option)`,
      );
    }
    const labels = await readLabelFile(labelFile, index, oneBased);
    for (const path of await imagesIn(splitDir)) {
      const entry = labels.get(fileStem(path));
      if (!entry) {
        skipOrThrow(new Error(`${path}: no label in ${labelFile}`), opts, warnings);
        continue;
      }
      samples.push({ path, labels: [entry.label], boxes: entry.boxes ? [...entry.boxes] : [] });
    }
  }

  const boxesDir = opts.boxesDir === null
    ? undefined
    : opts.boxesDir ?? (opts.split === "val"
      ? await firstExisting([
        joinPath(root, "val_boxes"),
        joinPath(root, "Annotations", "CLS-LOC", "val"),
        joinPath(root, "Annotations", "val"),
      ])
      : undefined);
  if (boxesDir) samples = await attachXmlBoxes(samples, boxesDir, index, oneBased, opts, warnings);
  return { samples, classes: wnids, wnids, multiLabel: false, skipped: warnings.length, warnings };
}

async function attachXmlBoxes(
  samples: Sample[],
  boxesDir: string,
  index: Map<string, number>,
  oneBased: boolean,
  policy: ErrorPolicy,
  warnings: string[],
): Promise<Sample[]> {
  const available = new Set(await listDir(boxesDir, "files"));
  const out: (Sample | undefined)[] = [...samples];
  const chunk = 64;
  for (let start = 0; start < samples.length; start += chunk) {
    await Promise.all(
      samples.slice(start, start + chunk).map(async (s, k) => {
        const name = `${fileStem(s.path)}.xml`;
        if (!available.has(name)) return;
        const file = joinPath(boxesDir, name);
        out[start + k] = await tryOrSkip(
          async () => {
            const ann = parseAnnotationXml(await readTextNamed(file), file, { oneBased });
            const boxes: Box[] = ann.objects.map((o) => {
              const cls = index.get(o.name);
              if (cls === undefined) throw new Error(`${file}: unknown wnid "${o.name}"`);
              return { cls, x0: o.x0, y0: o.y0, x1: o.x1, y1: o.y1 };
            });
            const r: Sample = { ...s, boxes };
            if (ann.width !== undefined) r.width = ann.width;
            if (ann.height !== undefined) r.height = ann.height;
            return r;
          },
          policy,
          warnings,
        );
      }),
    );
  }
  return out.filter((s): s is Sample => s !== undefined);
}
