/**
 * The sample-list representation shared by the dataset readers (ImageNet, VOC, COCO): each sample names
 * its image file and carries its labels and boxes; pixels are decoded lazily by the loader.
 *
 * @module
 */
import type { Box } from "./boxes.ts";

/** One image of a dataset. */
export interface Sample {
  /** Path of the image file. */
  path: string;
  /** Class indices present in the image (one entry for single-label datasets), ascending, distinct. */
  labels: number[];
  /** Boxes in the original image's pixel coordinates (empty when the dataset has none). */
  boxes: Box[];
  /** Classes to ignore when scoring (VOC: classes present only as difficult objects that were dropped). */
  ignore?: number[];
  /** Image width from the annotation, when known. */
  width?: number;
  /** Image height from the annotation, when known. */
  height?: number;
}

/** A listed dataset split. */
export interface SampleList {
  /** Samples in a stable order (sorted by path or by the split file's order). */
  samples: Sample[];
  /** Class names by index. */
  classes: string[];
  /** True for multi-label datasets (VOC, COCO). */
  multiLabel: boolean;
  /** Number of annotation files / entries skipped because they were malformed. */
  skipped: number;
  /** One message per skipped item, each naming the file. */
  warnings: string[];
}

/** What to do with a malformed annotation or image file. */
export type OnError = "skip" | "stop";

/** Collects skip warnings and applies the skip/stop policy. */
export interface ErrorPolicy {
  /** "skip" or "stop" (the readers default to "stop"). */
  onError?: OnError;
  /** Receives each warning (default `console.warn`). */
  onWarning?: (message: string) => void;
}

/**
 * Applies the policy to a caught error: rethrows it under "stop", records and reports a warning under
 * "skip".
 *
 * @example
 * ```ts
 * import { skipOrThrow } from "./dataset.ts";
 * const warnings: string[] = [];
 * skipOrThrow(new Error("a.xml: bad"), { onError: "skip", onWarning: () => {} }, warnings);
 * console.log(warnings); // ["skipping a.xml: bad"]
 * ```
 */
export function skipOrThrow(error: unknown, policy: ErrorPolicy, warnings: string[]): void {
  if ((policy.onError ?? "stop") === "stop") throw error;
  const msg = `skipping ${error instanceof Error ? error.message : String(error)}`;
  warnings.push(msg);
  (policy.onWarning ?? ((m: string) => console.warn(m)))(msg);
}

/**
 * Runs `fn`; on failure rethrows under "stop", or records a warning and returns undefined under "skip".
 *
 * @example
 * ```ts
 * import { trySync } from "./dataset.ts";
 * const warnings: string[] = [];
 * const v = trySync(() => JSON.parse("{"), { onError: "skip", onWarning: () => {} }, warnings);
 * console.log(v, warnings.length); // undefined 1
 * ```
 */
export function trySync<T>(fn: () => T, policy: ErrorPolicy, warnings: string[]): T | undefined {
  try {
    return fn();
  } catch (e) {
    skipOrThrow(e, policy, warnings);
    return undefined;
  }
}

/**
 * Async {@link trySync}: awaits `fn`, applying the skip/stop policy to a failure.
 *
 * @example
 * ```ts
 * import { tryOrSkip } from "./dataset.ts";
 * const warnings: string[] = [];
 * const v = await tryOrSkip(() => Promise.reject(new Error("a.xml: bad")), { onError: "skip", onWarning: () => {} }, warnings);
 * console.log(v, warnings); // undefined ["skipping a.xml: bad"]
 * ```
 */
export async function tryOrSkip<T>(
  fn: () => Promise<T>,
  policy: ErrorPolicy,
  warnings: string[],
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    skipOrThrow(e, policy, warnings);
    return undefined;
  }
}

/**
 * Distinct ascending class indices of a set of boxes.
 *
 * @example
 * ```ts
 * import { labelsOfBoxes } from "./dataset.ts";
 * console.log(labelsOfBoxes([{ cls: 3, x0: 0, y0: 0, x1: 1, y1: 1 }, { cls: 1, x0: 0, y0: 0, x1: 1, y1: 1 }])); // [1, 3]
 * ```
 */
export function labelsOfBoxes(boxes: readonly Box[]): number[] {
  return [...new Set(boxes.map((b) => b.cls))].sort((a, b) => a - b);
}

/**
 * Multi-hot encoding of class indices.
 *
 * @example
 * ```ts
 * import { multiHot } from "./dataset.ts";
 * console.log(multiHot([0, 2], 4)); // Float32Array [1, 0, 1, 0]
 * ```
 */
export function multiHot(labels: readonly number[], numClasses: number): Float32Array {
  const out = new Float32Array(numClasses);
  for (const l of labels) {
    if (l < 0 || l >= numClasses) throw new RangeError(`multiHot: class ${l} outside 0..${numClasses - 1}`);
    out[l] = 1;
  }
  return out;
}
