/**
 * Frozen-backbone features for probe training, computed once (backbone in evaluation mode) and cached
 * on disk as `features-<key>.safetensors`, where the key hashes the backbone weights' SHA-256 with the
 * data configuration (split, limit, scene options, encoding). A second request with the same key reads
 * the file instead of running the backbone.
 *
 * @module
 */
import type { Transform } from "../data/transforms.ts";
import type { HostTensor } from "../host_tensor.ts";
import { mean } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";
import { readSafetensorsWithMetadata, writeSafetensors } from "../io/safetensors.ts";
import type { Backbone } from "./arch.ts";
import type { ImageSet } from "./data.ts";
import { predict } from "./evaluate.ts";
import { sha256Hex } from "./export.ts";

/** Options of {@link cachedFeatures}. */
export interface FeatureCacheOptions {
  /** Directory of the cache files. */
  cacheDir: string;
  /** The frozen backbone. */
  backbone: Backbone;
  /** SHA-256 of the backbone's weights (or another unique id of them). */
  backboneHash: string;
  /** The images. */
  set: ImageSet;
  /** JSON-able description of the data (split, limit, scenes...): part of the key. */
  dataKey: Record<string, unknown>;
  /** Deterministic per-image transform applied before the backbone (the B-cos encoding). */
  transform?: Transform;
  /** Images per forward pass (default 256). */
  batchSize?: number;
  /** Keep the whole map (default) or only its mean (see {@link reduceFeatures}); part of the key. */
  reduce?: FeatureReduction;
}

/**
 * What a probe needs of the backbone's features: the whole map, or only its mean over locations
 * (tokens), which is all a linear probe needs: a 1x1 convolution commutes with average pooling, so its
 * logits on the mean equal its logits on the map, at 1/(h*w) of the memory (ResNet-50 at 224 px: 8 KB
 * instead of 400 KB per image).
 */
export type FeatureReduction = "map" | "mean";

/**
 * Applies a {@link FeatureReduction}: `[N, D, h, w]` maps become `[N, D, 1, 1]`, `[N, T, D]` tokens
 * `[N, 1, D]`.
 *
 * @example
 * ```ts ignore
 * const pooled = reduceFeatures(backbone.featureMap(x), "mean");
 * ```
 */
export function reduceFeatures(features: Tensor, reduce: FeatureReduction): Tensor {
  if (reduce === "map") return features;
  return mean(features, features.rank === 4 ? [2, 3] : [1], true);
}

/** The cache key's data part: the caller's description, plus the reduction when it is not the map. */
export function reducedDataKey(dataKey: Record<string, unknown>, reduce?: FeatureReduction) {
  return reduce && reduce !== "map" ? { ...dataKey, reduce } : dataKey;
}

/** Features and whether they came from the cache. */
export interface CachedFeatures {
  /** `[n, D, h, w]` (or `[n, T, D]`) features. */
  features: HostTensor;
  /** True when read from the cache. */
  hit: boolean;
  /** The cache file. */
  path: string;
  /** The cache key. */
  key: string;
}

const VERSION = 1;

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * The cache key of a backbone and a data configuration.
 *
 * @example
 * ```ts ignore
 * const key = await featureCacheKey(hash, { split: "test", limit: 1000 });
 * ```
 */
export function featureCacheKey(backboneHash: string, dataKey: Record<string, unknown>): Promise<string> {
  return sha256Hex(JSON.stringify({ v: VERSION, backbone: backboneHash, data: dataKey }));
}

/**
 * Returns the backbone's features of `set`, from the cache or computed now (eval mode) and cached.
 *
 * @example
 * ```ts ignore
 * const { features, hit } = await cachedFeatures({ cacheDir, backbone, backboneHash: hash, set, dataKey });
 * ```
 */
export async function cachedFeatures(o: FeatureCacheOptions): Promise<CachedFeatures> {
  const dataKey = reducedDataKey(o.dataKey, o.reduce);
  const key = await featureCacheKey(o.backboneHash, dataKey);
  const path = `${o.cacheDir}/features-${key.slice(0, 24)}.safetensors`;
  if (await exists(path)) {
    try {
      const { tensors, metadata } = await readSafetensorsWithMetadata(path);
      const features = tensors.get("features");
      if (features && metadata.key === key) return { features, hit: true, path, key };
    } catch (e) {
      console.error(`feature cache ${path} is unreadable (${(e as Error).message}); recomputing`);
    }
  }
  const module = o.backbone.module;
  const wasTraining = module.training;
  module.eval();
  let features: HostTensor;
  try {
    features = await predict((x) => reduceFeatures(o.backbone.featureMap(x), o.reduce ?? "map"), o.set, {
      batchSize: o.batchSize,
      transform: o.transform,
    });
  } finally {
    module.train(wasTraining);
  }
  await Deno.mkdir(o.cacheDir, { recursive: true });
  await writeSafetensors(path, { features }, { key, data: JSON.stringify(dataKey) });
  return { features, hit: false, path, key };
}

/**
 * The features as an {@link ImageSet} with the labels of `set`, for probe training.
 *
 * @example
 * ```ts ignore
 * const train = featureSet(features, trainImages);
 * ```
 */
export function featureSet(features: HostTensor, like: ImageSet): ImageSet {
  const [n, ...rest] = features.shape;
  if (n !== like.n) throw new RangeError(`featureSet: ${n} feature rows for ${like.n} items`);
  const itemShape = (rest.length === 3 ? rest : [...rest, 1].slice(0, 3)) as [number, number, number];
  return { ...like, images: features.data, itemShape };
}
