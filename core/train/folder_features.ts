/**
 * Frozen-backbone features of image files, streamed: files are decoded on a {@link DecodePool} a batch
 * at a time (the next batch decoding while the backbone runs on the current one), so only the features
 * are held in memory, never the whole image set. Cached like {@link cachedFeatures} as
 * `features-<key>.safetensors` with the indices of the samples that decoded (unreadable files are
 * skipped with a warning, so features and labels stay aligned on a cache hit too).
 *
 * Memory: the features of every kept image are held on the host (ResNet-50 at 224 px: 2048 x 7 x 7
 * floats, 400 KB per image; 8 KB with the `mean` reduction linear probes use), so `limit` the training
 * split of large datasets for MLP probes.
 *
 * @module
 */
import { noGrad } from "../autograd.ts";
import type { Box } from "../data/boxes.ts";
import type { Sample } from "../data/dataset.ts";
import type { DecodePool } from "../data/decode_pool.ts";
import { BatchLoader } from "../data/loader.ts";
import type { Transform } from "../data/transforms.ts";
import type { HostTensor } from "../host_tensor.ts";
import { readSafetensorsWithMetadata, writeSafetensors } from "../io/safetensors.ts";
import { fromArray, tidy } from "../tensor.ts";
import type { Backbone } from "./arch.ts";
import type { ImageSet } from "./data.ts";
import { featureCacheKey, type FeatureReduction, reducedDataKey, reduceFeatures } from "./features.ts";
import type { HostImages } from "./method.ts";

/** How to decode a list of samples. */
export interface DecodeSpec {
  /** The samples. */
  samples: readonly Sample[];
  /** Number of classes of the dataset. */
  numClasses: number;
  /** Deterministic per-image transform (resize, crop, encoding); all outputs must share a shape. */
  transform: Transform;
  /** Channels decoded from the files. */
  channels: 1 | 3;
  /** Decoder workers (owned by the caller). */
  pool: DecodePool;
  /** Images per batch (default 64). */
  batchSize?: number;
}

/** A decoded batch. */
export interface DecodedBatch {
  /** `[B, C, H, W]` transformed images. */
  images: HostImages;
  /** Indices into the sample list of the images. */
  indices: number[];
  /** Boxes of each image in the transformed image's coordinates. */
  boxes: Box[][];
}

/**
 * Decodes the samples in order, batch by batch; `onError: "skip"` leaves unreadable files out (with a
 * warning naming them), `"stop"` (default) throws.
 *
 * @example
 * ```ts ignore
 * for await (const b of decodeBatches({ samples, numClasses: 3, transform, channels: 3, pool })) {
 *   console.log(b.images.shape, b.indices);
 * }
 * ```
 */
export async function* decodeBatches(
  spec: DecodeSpec,
  onError: "skip" | "stop" = "stop",
): AsyncGenerator<DecodedBatch> {
  const loader = new BatchLoader({
    samples: spec.samples,
    numClasses: spec.numClasses,
    batchSize: spec.batchSize ?? 64,
    pool: spec.pool,
    transform: spec.transform,
    shuffle: false,
    onError,
    channels: spec.channels,
  });
  for await (const b of loader.epoch(0)) {
    yield { images: { data: b.images, shape: b.shape }, indices: b.indices, boxes: b.boxes };
  }
}

/**
 * Decodes the samples at `indices` (every one must decode) as one batch with their boxes.
 *
 * @example
 * ```ts ignore
 * const { images, boxes } = await loadSamples({ samples, numClasses: 20, transform, channels: 3, pool }, [4, 9]);
 * ```
 */
export async function loadSamples(
  spec: DecodeSpec,
  indices: readonly number[],
): Promise<{ images: HostImages; boxes: Box[][] }> {
  const sub = { ...spec, samples: indices.map((i) => spec.samples[i]), batchSize: indices.length || 1 };
  for await (const b of decodeBatches(sub)) return { images: b.images, boxes: b.boxes };
  return { images: { data: new Float32Array(0), shape: [0, spec.channels, 0, 0] }, boxes: [] };
}

/** Options of {@link cachedFolderFeatures}. */
export interface FolderFeatureOptions extends DecodeSpec {
  /** Directory of the cache files. */
  cacheDir: string;
  /** The frozen backbone. */
  backbone: Backbone;
  /** SHA-256 of its weights. */
  backboneHash: string;
  /** JSON-able description of the data (dataset, split, limit, size, encoding, sample list hash). */
  dataKey: Record<string, unknown>;
  /** Keep the whole map (default) or only its mean ({@link reduceFeatures}); part of the key. */
  reduce?: FeatureReduction;
}

/** Streamed features and the samples they belong to. */
export interface FolderFeatures {
  /** `[n, D, h, w]` (or `[n, T, D]`) features of the kept samples. */
  features: HostTensor;
  /** Sample-list index of each feature row. */
  indices: number[];
  /** True when read from the cache. */
  hit: boolean;
  /** The cache file. */
  path: string;
}

async function readCache(path: string, key: string): Promise<FolderFeatures | null> {
  try {
    if (!(await Deno.stat(path)).isFile) return null;
  } catch {
    return null;
  }
  try {
    const { tensors, metadata } = await readSafetensorsWithMetadata(path);
    const features = tensors.get("features"), indices = tensors.get("indices");
    if (!features || !indices || metadata.key !== key) return null;
    return { features, indices: Array.from(indices.data), hit: true, path };
  } catch (e) {
    console.error(`feature cache ${path} is unreadable (${(e as Error).message}); recomputing`);
    return null;
  }
}

/**
 * The backbone's features (eval mode) of the decodable samples, from the cache or streamed now and
 * cached.
 *
 * @example
 * ```ts ignore
 * const f = await cachedFolderFeatures({ ...spec, cacheDir, backbone, backboneHash, dataKey });
 * const train = folderImageSet(f, spec.samples, spec.numClasses, false);
 * ```
 */
export async function cachedFolderFeatures(o: FolderFeatureOptions): Promise<FolderFeatures> {
  const dataKey = reducedDataKey(o.dataKey, o.reduce);
  const key = await featureCacheKey(o.backboneHash, dataKey);
  const path = `${o.cacheDir}/features-${key.slice(0, 24)}.safetensors`;
  const cached = await readCache(path, key);
  if (cached) return cached;
  const module = o.backbone.module;
  const wasTraining = module.training;
  module.eval();
  const parts: Float32Array[] = [];
  const indices: number[] = [];
  let itemShape: number[] = [];
  try {
    for await (const b of decodeBatches(o, "skip")) {
      const x = () => fromArray(b.images.shape, b.images.data);
      const y = tidy(() => noGrad(() => reduceFeatures(o.backbone.featureMap(x()), o.reduce ?? "map")));
      try {
        parts.push(await y.read());
      } finally {
        y.dispose();
      }
      itemShape = y.shape.slice(1);
      indices.push(...b.indices);
    }
  } finally {
    module.train(wasTraining);
  }
  if (indices.length === 0) {
    throw new Error(`${o.cacheDir}: no image of ${JSON.stringify(dataKey)} decoded`);
  }
  const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  const features = { shape: [indices.length, ...itemShape], data };
  await Deno.mkdir(o.cacheDir, { recursive: true });
  await writeSafetensors(
    path,
    { features, indices: { shape: [indices.length], data: Float32Array.from(indices) } },
    { key, data: JSON.stringify(dataKey) },
  );
  return { features, indices, hit: false, path };
}

/**
 * The features as an {@link ImageSet} with the labels of their samples: class indices (the first label),
 * or multi-hot rows when `multiLabel`.
 *
 * @example
 * ```ts ignore
 * const set = folderImageSet(await cachedFolderFeatures(opts), samples, 20, true);
 * ```
 */
export function folderImageSet(
  f: Pick<FolderFeatures, "features" | "indices">,
  samples: readonly Sample[],
  numClasses: number,
  multiLabel: boolean,
): ImageSet {
  const [n, ...rest] = f.features.shape;
  const per = multiLabel ? numClasses : 1;
  const labels = new Float32Array(n * per);
  f.indices.forEach((idx, j) => {
    const s = samples[idx];
    if (multiLabel) { for (const c of s.labels) labels[j * per + c] = 1; }
    else labels[j] = s.labels[0];
  });
  const itemShape = (rest.length === 3 ? rest : [...rest, 1].slice(0, 3)) as [number, number, number];
  return { images: f.features.data, itemShape, n, labels, numClasses, multiLabel };
}
