/**
 * Training batches streamed from image files: a {@link BatchSource} over a sample list that decodes each
 * batch on a {@link DecodePool} through a {@link BatchLoader} (the next batch decoding while the current
 * one trains), applies a seeded per-sample transform (random resized crop, flip, input encoding) and
 * yields `[B, C, H, W]` images with class indices or multi-hot targets.
 *
 * Determinism: the order of epoch `e` and every sample's augmentation depend only on (seed, e, sample),
 * as {@link BatchLoader} draws them, so batch `k` of epoch `e` is the same in a resumed run as in an
 * uninterrupted one; asking for a batch out of sequence (a resume) restarts the loader at that batch.
 * Within an epoch the batches are read in order with one prefetched; the first batch of an epoch is not.
 *
 * Unreadable files follow `onError`: `skip` (default, as the cached training features do) leaves them
 * out of their batch with one warning per file; `stop` throws the decode error naming the file. A batch
 * none of whose files decode is an error naming them (a step needs at least one image).
 *
 * @module
 */
import type { OnError, Sample } from "../data/dataset.ts";
import type { DecodePool } from "../data/decode_pool.ts";
import { type Batch, BatchLoader } from "../data/loader.ts";
import type { Transform } from "../data/transforms.ts";
import type { BatchSource } from "./loop.ts";
import type { TrainBatch } from "./method.ts";

/** Options of {@link FolderBatches}. */
export interface FolderBatchesOptions {
  /** The training samples. */
  samples: readonly Sample[];
  /** Number of classes. */
  numClasses: number;
  /** Multi-hot targets (VOC, COCO) instead of class indices. */
  multiLabel: boolean;
  /** Samples per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Decoder workers (owned by the caller, who closes them after {@link FolderBatches.close}). */
  pool: DecodePool;
  /** Seeded per-sample transform; its outputs must share one shape. */
  transform: Transform;
  /** Channels decoded from the files. */
  channels: 1 | 3;
  /** Seed of order and augmentation (default 0). */
  seed?: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Unreadable image file: `skip` (default) or `stop`. */
  onError?: OnError;
  /** Receives the warning of each skipped file, once per file (default `console.warn`). */
  onWarning?: (message: string) => void;
}

/** The loader's iteration over one epoch and the batch index it yields next. */
interface EpochRun {
  epoch: number;
  next: number;
  batches: AsyncGenerator<Batch>;
}

/** Batches of decoded, transformed image files, deterministic in (seed, epoch, index). */
export class FolderBatches implements BatchSource {
  readonly #o: FolderBatchesOptions;
  readonly #loader: BatchLoader;
  readonly #skipped = new Set<string>();
  #run: EpochRun | null = null;
  #order: { epoch: number; order: number[] } | null = null;

  /**
   * Creates the instance; decoding starts with the first batch asked for.
   *
   * @param o samples, numClasses, multiLabel, batchSize, pool, transform, channels, seed, onError
   * @example
   * ```ts ignore
   * const pool = new DecodePool();
   * const data = new FolderBatches({ samples, numClasses: 1000, multiLabel: false, batchSize: 256, pool,
   *   transform: folderTrainTransform(224, encoding), channels: 3, seed: 0 });
   * try {
   *   await trainLoop({ method, data, epochs: 100, outDir: "runs/probe" });
   * } finally {
   *   await data.close();
   *   pool.close();
   * }
   * ```
   */
  constructor(o: FolderBatchesOptions) {
    if (o.samples.length === 0) throw new RangeError("FolderBatches: no samples");
    this.#o = o;
    const warn = o.onWarning ?? ((m: string) => console.warn(m));
    this.#loader = new BatchLoader({
      samples: o.samples,
      numClasses: o.numClasses,
      batchSize: o.batchSize,
      pool: o.pool,
      transform: o.transform,
      seed: o.seed ?? 0,
      shuffle: o.shuffle ?? true,
      onError: o.onError ?? "skip",
      onWarning: (m) => {
        if (this.#skipped.has(m)) return;
        this.#skipped.add(m);
        warn(m);
      },
      channels: o.channels,
    });
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    return this.#loader.numBatches;
  }

  /** The warnings of the files skipped so far, one per file. */
  get skipped(): string[] {
    return [...this.#skipped];
  }

  /** Sample-list indices of batch `index` of epoch `epoch` before any file is skipped. */
  indicesOf(epoch: number, index: number): number[] {
    if (this.#order?.epoch !== epoch) this.#order = { epoch, order: this.#loader.order(epoch) };
    const b = this.#o.batchSize;
    return this.#order.order.slice(index * b, (index + 1) * b);
  }

  /** Batch `index` of epoch `epoch`. */
  async batch(epoch: number, index: number): Promise<TrainBatch> {
    if (!(index >= 0 && index < this.batchesPerEpoch)) {
      throw new RangeError(`FolderBatches: batch ${index} outside 0..${this.batchesPerEpoch - 1}`);
    }
    if (this.#run?.epoch !== epoch || this.#run.next !== index) {
      await this.#stop();
      this.#run = { epoch, next: index, batches: this.#loader.epoch(epoch, index) };
    }
    const run = this.#run!;
    run.next++;
    let got: IteratorResult<Batch>;
    try {
      got = await run.batches.next();
    } catch (e) {
      this.#run = null;
      throw e;
    }
    const wanted = this.indicesOf(epoch, index);
    if (got.done || !wanted.includes(got.value.indices[0])) {
      await this.#stop();
      const paths = wanted.map((i) => this.#o.samples[i].path);
      throw new Error(
        `batch ${index} of epoch ${epoch}: none of its image files decoded (${paths.join(", ")}); ` +
          `remove or replace them`,
      );
    }
    const b = got.value;
    const labels = this.#o.multiLabel ? b.multiHot : Float32Array.from(b.labels);
    return { views: [{ data: b.images, shape: b.shape }], labels, size: b.shape[0], indices: b.indices };
  }

  async #stop(): Promise<void> {
    const run = this.#run;
    this.#run = null;
    if (run) await run.batches.return(undefined); // waits for the prefetched batch
  }

  /** Stops the current epoch's iteration and waits for its prefetched batch (call before closing the pool). */
  async close(): Promise<void> {
    await this.#stop();
  }
}
