/**
 * The train and test feature sets of a probe on an image-file dataset (ImageNet, VOC 2007, COCO 2014):
 * lists both splits (deterministic subsets), streams them through the frozen backbone with the
 * dataset's evaluation transform and the backbone's input encoding (see `folder_data.ts`), caches the
 * features, and returns them with the kept test samples (for `eval_set.json`).
 *
 * @module
 */
import { DecodePool } from "../data/decode_pool.ts";
import type { Sample } from "../data/dataset.ts";
import type { ImageSet } from "./data.ts";
import type { LoadedBackbone } from "./export.ts";
import { sha256Hex } from "./export.ts";
import {
  type FolderDataset,
  folderTransform,
  type InputEncoding,
  inputEncoding,
  listFolderSplit,
} from "./folder_data.ts";
import type { FeatureReduction } from "./features.ts";
import { cachedFolderFeatures, folderImageSet } from "./folder_features.ts";

/** Options of {@link folderProbeSets}. */
export interface FolderProbeOptions {
  /** Dataset. */
  dataset: FolderDataset;
  /** Its root directory. */
  root: string;
  /** Input side in pixels. */
  imageSize: number;
  /** Training images (0 = all). */
  limit: number;
  /** Test images (0 = all). */
  testLimit: number;
  /** The frozen backbone. */
  loaded: LoadedBackbone;
  /** Feature cache directory. */
  cacheDir: string;
  /** The whole feature map (default) or its mean, enough for linear probes ({@link FeatureReduction}). */
  reduce?: FeatureReduction;
  /** Progress lines (default `console.error`). */
  log?: (line: string) => void;
}

/** Feature sets of both splits. */
export interface FolderProbeSets {
  /** Training features with labels. */
  train: ImageSet;
  /** Test features with labels. */
  test: ImageSet;
  /** The cache key data of the training features (recorded in the probe config). */
  trainKey: Record<string, unknown>;
  /** The test samples of the rows of `test`, in order. */
  testSamples: Sample[];
  /** Class names. */
  classes: string[];
  /** Multi-label dataset. */
  multiLabel: boolean;
  /** The input encoding used. */
  encoding: InputEncoding;
}

/**
 * Lists, decodes, encodes and embeds both splits (features cached under `cacheDir`).
 *
 * @example
 * ```ts ignore
 * const sets = await folderProbeSets({ dataset: "imagenet", root: "data/imagenet", imageSize: 224,
 *   limit: 10000, testLimit: 5000, loaded, cacheDir: "runs/feats" });
 * ```
 */
export async function folderProbeSets(o: FolderProbeOptions): Promise<FolderProbeSets> {
  const log = o.log ?? ((l: string) => console.error(l));
  const bb = o.loaded.backbone;
  if (bb.fixedSize !== null && bb.fixedSize !== o.imageSize) {
    throw new RangeError(
      `--image-size ${o.imageSize}: ${bb.config.name} takes ${bb.fixedSize} px inputs only`,
    );
  }
  const encoding = inputEncoding(bb);
  const transform = folderTransform(o.dataset, o.imageSize, encoding, true);
  const pool = new DecodePool();
  try {
    const split = async (which: "train" | "test", limit: number) => {
      const list = await listFolderSplit(o.dataset, o.root, which, limit);
      for (const w of list.warnings) log(`probe: ${w}`);
      const dataKey = {
        dataset: o.dataset,
        root: o.root,
        split: which,
        limit,
        imageSize: o.imageSize,
        encoding: encoding.name,
        samples: await sha256Hex(JSON.stringify(list.samples.map((s) => [s.path, s.labels]))),
      };
      const f = await cachedFolderFeatures({
        samples: list.samples,
        numClasses: list.classes.length,
        transform,
        channels: encoding.channels,
        pool,
        cacheDir: o.cacheDir,
        backbone: bb,
        backboneHash: o.loaded.hash,
        dataKey,
        reduce: o.reduce,
      });
      log(`probe: ${which} features ${f.hit ? "from cache" : "computed"} ${f.path} [${f.features.shape}]`);
      const set = folderImageSet(f, list.samples, list.classes.length, list.multiLabel);
      return { list, set, dataKey, kept: f.indices.map((i) => list.samples[i]) };
    };
    const train = await split("train", o.limit);
    const test = await split("test", o.testLimit);
    if (train.list.classes.join() !== test.list.classes.join()) {
      throw new Error(`${o.root}: the train and test splits of ${o.dataset} name different classes`);
    }
    return {
      train: train.set,
      test: test.set,
      trainKey: train.dataKey,
      testSamples: test.kept,
      classes: train.list.classes,
      multiLabel: train.list.multiLabel,
      encoding,
    };
  } finally {
    pool.close();
  }
}
