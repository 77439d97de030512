/**
 * Image datasets read from files (ImageNet in ImageFolder layout, VOC 2007, COCO 2014) for probing and
 * evaluating a frozen backbone: which split plays "train" and "test", a deterministic subset of a split
 * (`limit`), the backbone's input encoding and the evaluation transform.
 *
 * | dataset | train split | test split | transform |
 * | --- | --- | --- | --- |
 * | `imagenet` | `train/` | `val/` | shorter side to `round(S * 256 / 224)`, centre crop `S` |
 * | `voc2007` | `trainval` | `test` | resize to `S x S` (every box stays in the image) |
 * | `coco2014` | `train2014` | `val2014` | resize to `S x S` |
 *
 * Training images streamed for augmented probes (`--augment light`) take {@link folderTrainTransform}
 * instead: a torchvision-style random resized crop to `S x S` (8-100% of the area, aspect ratio 3/4 to
 * 4/3, the ImageNet recipe the paper trains its probes with) and a horizontal flip, on every dataset.
 *
 * Input encodings (see {@link inputEncoding}): conventional backbones with 3 input channels read RGB
 * normalised by the ImageNet mean and std; B-cos backbones read `[r, g, b, 1-r, 1-g, 1-b]` of the
 * un-normalised RGB image; conventional backbones with 1 input channel (the small Fashion-MNIST archs)
 * read the ITU-R 601 luma of the image in [0, 1], un-normalised, as they read Fashion-MNIST.
 *
 * @module
 */
import { listCoco } from "../data/coco.ts";
import type { Sample, SampleList } from "../data/dataset.ts";
import { listImageNet } from "../data/imagenet.ts";
import { Rng } from "../data/rng.ts";
import {
  bcos6,
  compose,
  IMAGENET_MEAN,
  IMAGENET_STD,
  normalize,
  randomHorizontalFlip,
  randomResizedCrop,
  resize,
  resizeCenterCrop,
  type Transform,
} from "../data/transforms.ts";
import { listVoc } from "../data/voc.ts";

/** Datasets read from image files. */
export const FOLDER_DATASETS = ["imagenet", "voc2007", "coco2014"] as const;

/** A dataset read from image files. */
export type FolderDataset = typeof FOLDER_DATASETS[number];

/** How a backbone's inputs are made from decoded [0, 1] images. */
export interface InputEncoding {
  /** Name recorded in cache keys: `gray`, `imagenet-norm` or `bcos6`. */
  name: "gray" | "imagenet-norm" | "bcos6";
  /** Channels decoded from the files. */
  channels: 1 | 3;
}

/** A listed split with the subset kept. */
export interface FolderSplit {
  /** Kept samples, in listing order. */
  samples: Sample[];
  /** Class names. */
  classes: string[];
  /** True for VOC and COCO. */
  multiLabel: boolean;
  /** Listing warnings (skipped annotation files). */
  warnings: string[];
}

/**
 * The backbone's input encoding (see the module docs).
 *
 * @example
 * ```ts
 * import { inputEncoding } from "./folder_data.ts";
 * console.log(inputEncoding({ bcos: true, inChannels: 6 }).name); // "bcos6"
 * console.log(inputEncoding({ bcos: false, inChannels: 1 }).channels); // 1
 * ```
 */
export function inputEncoding(backbone: { bcos: boolean; inChannels: number }): InputEncoding {
  if (backbone.bcos) return { name: "bcos6", channels: 3 };
  if (backbone.inChannels === 1) return { name: "gray", channels: 1 };
  if (backbone.inChannels === 3) return { name: "imagenet-norm", channels: 3 };
  throw new RangeError(`inputEncoding: a conventional backbone with ${backbone.inChannels} input channels`);
}

/**
 * The steps that turn a decoded [0, 1] image into the backbone's input: ImageNet mean / std
 * normalisation, the B-cos `[x, 1 - x]` encoding, or none (gray images are decoded as luma already).
 *
 * @example
 * ```ts
 * import { encodingSteps } from "./folder_data.ts";
 * console.log(encodingSteps({ name: "gray", channels: 1 }).length); // 0
 * console.log(encodingSteps({ name: "bcos6", channels: 3 }).length); // 1
 * ```
 */
export function encodingSteps(encoding: InputEncoding): Transform[] {
  if (encoding.name === "imagenet-norm") return [normalize(IMAGENET_MEAN, IMAGENET_STD)];
  if (encoding.name === "bcos6") return [bcos6()];
  return [];
}

/**
 * The deterministic transform of a dataset at side `size`: resize (and centre crop for ImageNet), then
 * the encoding when `encode` is true (normalisation or `[x, 1 - x]`), else raw [0, 1] pixels.
 *
 * @example
 * ```ts
 * import { folderTransform } from "./folder_data.ts";
 * const t = folderTransform("imagenet", 32, { name: "imagenet-norm", channels: 3 }, true);
 * console.log(typeof t); // "function"
 * ```
 */
export function folderTransform(
  dataset: FolderDataset,
  size: number,
  encoding: InputEncoding,
  encode: boolean,
): Transform {
  return compose(
    dataset === "imagenet" ? resizeCenterCrop(Math.round(size * 256 / 224), size) : resize([size, size]),
    ...(encode ? encodingSteps(encoding) : []),
  );
}

/** Area range of the training crops of {@link folderTrainTransform} (torchvision's ImageNet default). */
export const FOLDER_CROP_SCALE: readonly [number, number] = [0.08, 1];

/**
 * The random training transform of streamed image files (every dataset): a random resized crop to
 * `size x size` of 8-100% of the area with aspect ratio in [3/4, 4/3] (torchvision's
 * `RandomResizedCrop`), a horizontal flip with probability 1/2, then the backbone's encoding.
 *
 * @example
 * ```ts
 * import { folderTrainTransform } from "./folder_data.ts";
 * import { Rng } from "../data/rng.ts";
 * const t = folderTrainTransform(16, { name: "bcos6", channels: 3 });
 * const out = t({ image: { shape: [3, 30, 40], data: new Float32Array(3600) }, boxes: [] }, new Rng(0));
 * console.log(out.image.shape); // [6, 16, 16]
 * ```
 */
export function folderTrainTransform(size: number, encoding: InputEncoding): Transform {
  return compose(
    randomResizedCrop(size, { scale: [...FOLDER_CROP_SCALE], ratio: [3 / 4, 4 / 3] }),
    randomHorizontalFlip(),
    ...encodingSteps(encoding),
  );
}

/**
 * Indices of a deterministic subset of `n` items: all when `limit` is 0 or at least `n`, else `limit`
 * indices drawn by a fixed-seed permutation (so every class tends to be represented), ascending.
 *
 * @example
 * ```ts
 * import { subsetIndices } from "./folder_data.ts";
 * console.log(subsetIndices(5, 0)); // [0, 1, 2, 3, 4]
 * console.log(subsetIndices(100, 3).length); // 3
 * ```
 */
export function subsetIndices(n: number, limit: number): number[] {
  if (limit <= 0 || limit >= n) return Array.from({ length: n }, (_, i) => i);
  return new Rng(0x5ab5e7).permutation(n).slice(0, limit).sort((a, b) => a - b);
}

async function listAll(dataset: FolderDataset, root: string, split: "train" | "test"): Promise<SampleList> {
  const policy = { onError: "skip" as const };
  switch (dataset) {
    case "imagenet":
      return await listImageNet(root, { split: split === "train" ? "train" : "val", ...policy });
    case "voc2007":
      return await listVoc(root, { split: split === "train" ? "trainval" : "test", ...policy });
    case "coco2014":
      return await listCoco(root, { split: split === "train" ? "train" : "val", ...policy });
  }
}

/**
 * Lists the train or test split of a dataset and keeps the subset of {@link subsetIndices}. Malformed
 * annotation files are skipped and returned as warnings; a split without images is an error naming
 * the root.
 *
 * @example
 * ```ts ignore
 * const val = await listFolderSplit("imagenet", "data/imagenet", "test", 5000);
 * console.log(val.samples.length, val.classes.length);
 * ```
 */
export async function listFolderSplit(
  dataset: FolderDataset,
  root: string,
  split: "train" | "test",
  limit: number,
): Promise<FolderSplit> {
  const list = await listAll(dataset, root, split);
  if (list.samples.length === 0) throw new Error(`${root}: the ${dataset} ${split} split holds no images`);
  const samples = subsetIndices(list.samples.length, limit).map((i) => list.samples[i]);
  return { samples, classes: list.classes, multiLabel: list.multiLabel, warnings: list.warnings };
}
