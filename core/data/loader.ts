/**
 * Batched loading of a sample list: seeded shuffling per epoch, parallel decoding on a {@link DecodePool}
 * with the next batch prefetched while the current one is consumed, seeded per-sample transforms, and
 * stacking into `[B, C, H, W]` float32 batches.
 *
 * Determinism: the epoch order depends only on (`seed`, epoch) and each sample's transform randomness only
 * on (`seed`, epoch, sample index), so results do not depend on worker timing, and an epoch can be resumed
 * at any batch (`epoch(e, startBatch)`).
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import type { Box } from "./boxes.ts";
import type { OnError, Sample } from "./dataset.ts";
import type { DecodePool } from "./decode_pool.ts";
import { Rng } from "./rng.ts";
import type { Transform } from "./transforms.ts";

/** Options of {@link BatchLoader}. */
export interface LoaderOptions {
  /** The samples (see the dataset readers). */
  samples: readonly Sample[];
  /** Number of classes (size of the multi-hot rows). */
  numClasses: number;
  /** Samples per batch. */
  batchSize: number;
  /** Decoder workers (owned by the caller, who closes it). */
  pool: DecodePool;
  /** Per-sample transform; all outputs of a batch must have the same shape. */
  transform?: Transform;
  /** Seed for shuffling and transforms (default 0). */
  seed?: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Corrupt or unreadable image: "skip" (counted, warned, batch gets smaller) or "stop" (default). */
  onError?: OnError;
  /** Receives each skip warning (default `console.warn`). */
  onWarning?: (message: string) => void;
  /** Force the decoded channel count. */
  channels?: 1 | 3;
  /** Decode the next batch while the current one is used (default true). */
  prefetch?: boolean;
}

/** One batch. */
export interface Batch {
  /** `B*C*H*W` values. */
  images: Float32Array;
  /** `[B, C, H, W]`. */
  shape: [number, number, number, number];
  /** First (for single-label datasets: the) class of each sample, -1 when it has none. */
  labels: Int32Array;
  /** `B*numClasses` multi-hot labels. */
  multiHot: Float32Array;
  /** Boxes of each sample, in the transformed image's coordinates. */
  boxes: Box[][];
  /** Image paths. */
  paths: string[];
  /** Indices of the samples in the sample list. */
  indices: number[];
  /** Number of files of this batch that were skipped. */
  skipped: number;
}

/**
 * Iterates over a sample list in batches.
 *
 * @example
 * ```ts
 * import { BatchLoader } from "./loader.ts";
 * import { DecodePool } from "./decode_pool.ts";
 * import { listVoc } from "./voc.ts";
 * import { compose, randomHorizontalFlip, randomResizedCrop } from "./transforms.ts";
 * const voc = await listVoc("/data/VOCdevkit", { split: "trainval" });
 * const pool = new DecodePool();
 * const loader = new BatchLoader({
 *   samples: voc.samples, numClasses: 20, batchSize: 32, pool, seed: 1,
 *   transform: compose(randomResizedCrop(224), randomHorizontalFlip()),
 * });
 * for await (const batch of loader.epoch(0)) console.log(batch.shape);
 * pool.close();
 * ```
 */
export class BatchLoader {
  readonly #o: LoaderOptions;
  #skipped = 0;

  /** Checks the options; decoding starts when an epoch is iterated. */
  constructor(opts: LoaderOptions) {
    if (!(opts.batchSize >= 1)) {
      throw new RangeError(`BatchLoader: batchSize must be >= 1, got ${opts.batchSize}`);
    }
    this.#o = opts;
  }

  /** Batches per epoch. */
  get numBatches(): number {
    const n = this.#o.samples.length, b = this.#o.batchSize;
    return this.#o.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** Files skipped so far (all epochs). */
  get skipped(): number {
    return this.#skipped;
  }

  /** The sample order of an epoch. */
  order(epoch: number): number[] {
    const n = this.#o.samples.length;
    if (this.#o.shuffle === false) return Array.from({ length: n }, (_, i) => i);
    return Rng.derive(this.#o.seed ?? 0, 0x5eed, epoch).permutation(n);
  }

  /** Yields the batches of one epoch, starting at batch `startBatch` (to resume from a checkpoint). */
  async *epoch(epoch: number, startBatch = 0): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const b = this.#o.batchSize;
    const prefetch = this.#o.prefetch ?? true;
    const indicesOf = (k: number) => order.slice(k * b, (k + 1) * b);
    const start = (k: number): Promise<Batch | null> | undefined => {
      if (k >= this.numBatches) return undefined;
      const p = this.#load(epoch, indicesOf(k));
      p.catch(() => {}); // rejection is observed when awaited; avoid an unhandled rejection meanwhile
      return p;
    };
    let pending = start(startBatch);
    try {
      for (let k = startBatch; pending !== undefined; k++) {
        const batch = await pending;
        pending = prefetch ? start(k + 1) : undefined;
        if (batch) yield batch;
        if (!prefetch) pending = start(k + 1);
      }
    } finally {
      if (pending) await pending.catch(() => {});
    }
  }

  async #load(epoch: number, indices: number[]): Promise<Batch | null> {
    const o = this.#o;
    const samples = indices.map((i) => o.samples[i]);
    const decoded = await o.pool.decodeFiles(samples.map((s) => s.path), {
      onError: o.onError ?? "stop",
      onWarning: o.onWarning,
      channels: o.channels,
    });
    this.#skipped += decoded.skipped;
    const kept: { index: number; sample: Sample; image: HostTensor; boxes: Box[] }[] = [];
    decoded.images.forEach((img, j) => {
      if (!img) return;
      const sample = samples[j];
      const rng = Rng.derive(o.seed ?? 0, epoch, indices[j]);
      const item = o.transform
        ? o.transform({ image: img, boxes: sample.boxes }, rng)
        : { image: img, boxes: sample.boxes };
      kept.push({ index: indices[j], sample, image: item.image, boxes: item.boxes });
    });
    if (kept.length === 0) return null;
    const shape = kept[0].image.shape;
    if (shape.length !== 3) {
      throw new Error(`${kept[0].sample.path}: expected a [C, H, W] image, got [${shape}]`);
    }
    const size = shape[0] * shape[1] * shape[2];
    const images = new Float32Array(kept.length * size);
    const labels = new Int32Array(kept.length);
    const multiHot = new Float32Array(kept.length * o.numClasses);
    kept.forEach((k, j) => {
      if (k.image.shape.join() !== shape.join()) {
        throw new Error(
          `${k.sample.path}: image shape [${k.image.shape}] differs from [${shape}] of ${
            kept[0].sample.path
          } ` +
            `in the same batch; add a resize/crop transform`,
        );
      }
      images.set(k.image.data, j * size);
      labels[j] = k.sample.labels.length ? k.sample.labels[0] : -1;
      for (const c of k.sample.labels) {
        if (c < 0 || c >= o.numClasses) {
          throw new Error(`${k.sample.path}: class ${c} outside 0..${o.numClasses - 1}`);
        }
        multiHot[j * o.numClasses + c] = 1;
      }
    });
    return {
      images,
      shape: [kept.length, shape[0], shape[1], shape[2]],
      labels,
      multiHot,
      boxes: kept.map((k) => k.boxes),
      paths: kept.map((k) => k.sample.path),
      indices: kept.map((k) => k.index),
      skipped: decoded.skipped,
    };
  }
}
