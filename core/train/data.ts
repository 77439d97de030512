/**
 * In-memory image sets (Fashion-MNIST, generated scenes, cached features) and deterministic batching:
 * the order of epoch `e` is a permutation drawn from `(seed, e)` and the augmentation of view `v` of
 * sample `i` in epoch `e` uses an RNG derived from `(seed, e, i, v)`, so any batch can be rebuilt
 * exactly after a resume, in any process.
 *
 * @module
 */
import type { FashionMnist } from "../data/fashion_mnist.ts";
import type { HostTensor } from "../host_tensor.ts";
import { Rng } from "../data/rng.ts";
import type { Scenes } from "../data/scenes.ts";
import type { Transform } from "../data/transforms.ts";
import type { BatchSource } from "./loop.ts";
import type { HostImages, TrainBatch } from "./method.ts";

/** Images (or feature maps) with labels, all in host memory. */
export interface ImageSet {
  /** `n * C * H * W` values. */
  images: Float32Array;
  /** `[C, H, W]` of one item. */
  itemShape: [number, number, number];
  /** Number of items. */
  n: number;
  /** `[n]` class indices, or `[n * numClasses]` 0/1 targets when `multiLabel`. */
  labels: Float32Array;
  /** Number of classes. */
  numClasses: number;
  /** Multi-hot targets instead of class indices. */
  multiLabel: boolean;
}

/**
 * A Fashion-MNIST split as an {@link ImageSet} of `[1, 28, 28]` images with class indices.
 *
 * @example
 * ```ts ignore
 * const train = fashionImageSet(await loadFashionMnist({ split: "train", limit: 5000 }));
 * ```
 */
export function fashionImageSet(fm: FashionMnist): ImageSet {
  return {
    images: fm.images,
    itemShape: [1, fm.height, fm.width],
    n: fm.n,
    labels: Float32Array.from(fm.labels),
    numClasses: fm.classes.length,
    multiLabel: false,
  };
}

/**
 * Multi-object scenes as a multi-label {@link ImageSet} (0/1 targets).
 *
 * @example
 * ```ts ignore
 * const set = sceneImageSet(makeScenes(fm, { count: 2000, size: 56 }));
 * ```
 */
export function sceneImageSet(scenes: Scenes): ImageSet {
  const [n, c, h, w] = scenes.shape;
  return {
    images: scenes.images,
    itemShape: [c, h, w],
    n,
    labels: scenes.labels,
    numClasses: scenes.classes.length,
    multiLabel: true,
  };
}

/**
 * The items `indices` of a set as one `[B, C, H, W]` array, each passed through `transform` (if any)
 * with an RNG derived from `(seed, epoch, index, view)`.
 *
 * @example
 * ```ts ignore
 * const x = gatherItems(set, [0, 1, 2], bcos6());
 * ```
 */
export function gatherItems(
  set: ImageSet,
  indices: readonly number[],
  transform?: Transform,
  rngKey: readonly number[] = [0, 0],
): HostImages {
  const [c, h, w] = set.itemShape;
  const size = c * h * w;
  let out: Float32Array | null = null;
  let shape: [number, number, number] = [c, h, w];
  indices.forEach((idx, j) => {
    const data = set.images.subarray(idx * size, (idx + 1) * size);
    let image: HostTensor = { shape: [c, h, w], data };
    if (transform) {
      const rng = Rng.derive(rngKey[0], rngKey[1], idx, rngKey[2] ?? 0);
      image = transform({ image, boxes: [] }, rng).image;
    }
    if (!out) {
      shape = [image.shape[0], image.shape[1], image.shape[2]];
      out = new Float32Array(indices.length * image.data.length);
    }
    if (image.data.length !== shape[0] * shape[1] * shape[2]) {
      throw new Error(`gatherItems: transform output [${image.shape}] differs from [${shape}] in one batch`);
    }
    out.set(image.data, j * image.data.length);
  });
  return { data: out ?? new Float32Array(0), shape: [indices.length, ...shape] };
}

/**
 * The labels of `indices`: `[B]` class indices, or `[B * C]` targets for multi-label sets.
 *
 * @example
 * ```ts ignore
 * const y = gatherLabels(set, [4, 2]);
 * ```
 */
export function gatherLabels(set: ImageSet, indices: readonly number[]): Float32Array {
  const per = set.multiLabel ? set.numClasses : 1;
  const out = new Float32Array(indices.length * per);
  indices.forEach((idx, j) => out.set(set.labels.subarray(idx * per, (idx + 1) * per), j * per));
  return out;
}

/**
 * The items `indices` of a set, in that order, as a new set (copies; no transform).
 *
 * @example
 * ```ts ignore
 * const firstTen = subsetOf(set, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * ```
 */
export function subsetOf(set: ImageSet, indices: readonly number[]): ImageSet {
  const items = gatherItems(set, indices);
  return { ...set, images: items.data, n: indices.length, labels: gatherLabels(set, indices) };
}

/**
 * A seeded split of `n` items into a part to fit on and a held-out validation part of
 * `round(fraction * n)` items (at least 1, at most n - 1); both keep ascending order.
 *
 * @example
 * ```ts
 * import { holdoutSplit } from "./data.ts";
 * const { fit, val } = holdoutSplit(10, 0.2, 0);
 * console.log(fit.length, val.length); // 8 2
 * ```
 */
export function holdoutSplit(n: number, fraction: number, seed: number): { fit: number[]; val: number[] } {
  if (!(n >= 2)) throw new RangeError(`holdoutSplit: ${n} items cannot be split`);
  if (!(fraction > 0 && fraction < 1)) {
    throw new RangeError(`holdoutSplit: fraction ${fraction} not in (0, 1)`);
  }
  const k = Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
  const held = new Set(Rng.derive(seed, 0x7a1d).permutation(n).slice(0, k));
  const fit: number[] = [], val: number[] = [];
  for (let i = 0; i < n; i++) (held.has(i) ? val : fit).push(i);
  return { fit, val };
}

/** Options of {@link ViewBatcher}. */
export interface ViewBatcherOptions {
  /** The data. */
  set: ImageSet;
  /** Samples per batch. */
  batchSize: number;
  /** One transform per view (identity views: `undefined`); default one identity view. */
  views?: (Transform | undefined)[];
  /** Seed of order and augmentation. */
  seed?: number;
  /** Shuffle every epoch (default true). */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default true: batch norm and the MoCo queue want full batches). */
  dropLast?: boolean;
}

/** Batches of augmented views of an {@link ImageSet}, deterministic in (seed, epoch, index). */
export class ViewBatcher implements BatchSource {
  readonly #o: Required<ViewBatcherOptions>;
  #orderCache: { epoch: number; order: number[] } | null = null;

  /**
   * Creates the instance.
   *
   * @param opts set, batchSize, views, seed, shuffle, dropLast
   * @example
   * ```ts ignore
   * const data = new ViewBatcher({ set, batchSize: 64, views: [augA, augB], seed: 0 });
   * const b = data.batch(0, 0); // b.views[0], b.views[1]: [64, C, H, W]
   * ```
   */
  constructor(opts: ViewBatcherOptions) {
    if (!(opts.batchSize >= 1)) throw new RangeError(`ViewBatcher: batchSize must be >= 1`);
    this.#o = { views: [undefined], seed: 0, shuffle: true, dropLast: true, ...opts };
    if (this.batchesPerEpoch < 1) {
      throw new RangeError(
        `ViewBatcher: ${opts.set.n} samples make no full batch of ${opts.batchSize}; use fewer per batch`,
      );
    }
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    const { set, batchSize, dropLast } = this.#o;
    return dropLast ? Math.floor(set.n / batchSize) : Math.ceil(set.n / batchSize);
  }

  /** The sample order of an epoch. */
  order(epoch: number): number[] {
    if (this.#orderCache?.epoch === epoch) return this.#orderCache.order;
    const n = this.#o.set.n;
    const order = this.#o.shuffle
      ? Rng.derive(this.#o.seed, 0x5eed, epoch).permutation(n)
      : Array.from({ length: n }, (_, i) => i);
    this.#orderCache = { epoch, order };
    return order;
  }

  /** Batch `index` of epoch `epoch`. */
  batch(epoch: number, index: number): TrainBatch {
    const b = this.#o.batchSize;
    const indices = this.order(epoch).slice(index * b, (index + 1) * b);
    const views = this.#o.views.map((t, v) => gatherItems(this.#o.set, indices, t, [this.#o.seed, epoch, v]));
    return { views, labels: gatherLabels(this.#o.set, indices), size: indices.length, indices };
  }
}
