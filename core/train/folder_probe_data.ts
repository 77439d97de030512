/**
 * The train and test feature sets of a probe on an image-file dataset (ImageNet, VOC 2007, COCO 2014):
 * lists both splits (deterministic subsets), streams them through the frozen backbone with the
 * dataset's evaluation transform and the backbone's input encoding (see `folder_data.ts`), caches the
 * features, and returns them with the kept test samples (for `eval_set.json`). With `streamTrain`
 * (augmented probes) the training split is only listed: its images are decoded afresh every step
 * (`folder_batches.ts`), and {@link folderFeatureSet} embeds any part of it on demand (the held-out
 * items of a learning-rate search).
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
  /** List the training split without embedding it (its images are streamed; `train` is then null). */
  streamTrain?: boolean;
  /** Decoder workers to use (owned by the caller); default: a pool of its own, closed before returning. */
  pool?: DecodePool;
  /** Progress lines (default `console.error`). */
  log?: (line: string) => void;
}

/** Feature sets of both splits. */
export interface FolderProbeSets {
  /** Training features with labels (null with `streamTrain`). */
  train: ImageSet | null;
  /** The listed training samples (all of them; `train` has rows for those that decoded). */
  trainSamples: Sample[];
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

/** Options of {@link folderFeatureSet}. */
export interface FolderFeatureSetOptions {
  /** Dataset (its evaluation transform). */
  dataset: FolderDataset;
  /** Input side in pixels. */
  imageSize: number;
  /** The frozen backbone. */
  loaded: LoadedBackbone;
  /** Feature cache directory. */
  cacheDir: string;
  /** Map or mean features. */
  reduce?: FeatureReduction;
  /** The backbone's input encoding. */
  encoding: InputEncoding;
  /** Decoder workers (owned by the caller). */
  pool: DecodePool;
  /** The samples to embed. */
  samples: readonly Sample[];
  /** Number of classes. */
  numClasses: number;
  /** Multi-hot labels. */
  multiLabel: boolean;
  /** Cache key data of the samples (dataset, split, size, encoding, a hash of the list). */
  dataKey: Record<string, unknown>;
}

/**
 * The cached evaluation-transform features of some samples as an {@link ImageSet}, with the samples of
 * its rows (unreadable files are skipped with a warning).
 *
 * @example
 * ```ts ignore
 * const val = await folderFeatureSet({ dataset: "imagenet", imageSize: 224, loaded, cacheDir, encoding, pool,
 *   samples: heldOut, numClasses: 1000, multiLabel: false, dataKey: { ...trainKey, samples: await samplesHash(heldOut) } });
 * ```
 */
export async function folderFeatureSet(
  o: FolderFeatureSetOptions,
): Promise<{ set: ImageSet; kept: Sample[]; hit: boolean; path: string; shape: number[] }> {
  const f = await cachedFolderFeatures({
    samples: o.samples,
    numClasses: o.numClasses,
    transform: folderTransform(o.dataset, o.imageSize, o.encoding, true),
    channels: o.encoding.channels,
    pool: o.pool,
    cacheDir: o.cacheDir,
    backbone: o.loaded.backbone,
    backboneHash: o.loaded.hash,
    dataKey: o.dataKey,
    reduce: o.reduce,
  });
  const set = folderImageSet(f, o.samples, o.numClasses, o.multiLabel);
  return { set, kept: f.indices.map((i) => o.samples[i]), hit: f.hit, path: f.path, shape: f.features.shape };
}

/**
 * The hash of a sample list that feature cache keys hold (paths and labels, in order).
 *
 * @example
 * ```ts ignore
 * const key = { ...trainKey, samples: await samplesHash(heldOut) };
 * ```
 */
export async function samplesHash(samples: readonly Sample[]): Promise<string> {
  return await sha256Hex(JSON.stringify(samples.map((s) => [s.path, s.labels])));
}

/**
 * Lists, decodes, encodes and embeds both splits (features cached under `cacheDir`; with `streamTrain`
 * the training split is listed only).
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
  const pool = o.pool ?? new DecodePool();
  try {
    const split = async (which: "train" | "test", limit: number, embed: boolean) => {
      const list = await listFolderSplit(o.dataset, o.root, which, limit);
      for (const w of list.warnings) log(`probe: ${w}`);
      const dataKey = {
        dataset: o.dataset,
        root: o.root,
        split: which,
        limit,
        imageSize: o.imageSize,
        encoding: encoding.name,
        samples: await samplesHash(list.samples),
      };
      if (!embed) return { list, set: null, dataKey, kept: list.samples };
      const f = await folderFeatureSet({
        ...o,
        encoding,
        pool,
        samples: list.samples,
        numClasses: list.classes.length,
        multiLabel: list.multiLabel,
        dataKey,
      });
      log(`probe: ${which} features ${f.hit ? "from cache" : "computed"} ${f.path} [${f.shape}]`);
      return { list, set: f.set, dataKey, kept: f.kept };
    };
    const train = await split("train", o.limit, !o.streamTrain);
    const test = await split("test", o.testLimit, true);
    if (train.list.classes.join() !== test.list.classes.join()) {
      throw new Error(`${o.root}: the train and test splits of ${o.dataset} name different classes`);
    }
    return {
      train: train.set,
      trainSamples: train.list.samples,
      test: test.set!,
      trainKey: train.dataKey,
      testSamples: test.kept,
      classes: train.list.classes,
      multiLabel: train.list.multiLabel,
      encoding,
    };
  } finally {
    if (!o.pool) pool.close();
  }
}
