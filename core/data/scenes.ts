/**
 * Multi-object scenes: K Fashion-MNIST items (28x28) placed on a larger black canvas, seeded, with a tight
 * box around each item's nonzero pixels, the class of each box and multi-hot image labels. Where items
 * overlap (only when `maxOverlap` > 0) pixels take the maximum. Train/test scenes are drawn from the
 * respective Fashion-MNIST split.
 *
 * @module
 */
import { type Box, boxIou } from "./boxes.ts";
import { type FashionMnist, loadFashionMnist, type LoadFashionOptions } from "./fashion_mnist.ts";
import { FASHION_MNIST_CLASSES } from "./fashion_mnist_files.ts";
import { Rng } from "./rng.ts";

/** Source items: `n` images of `height` x `width` (one channel, row-major) with labels. */
export type SceneSource = Pick<FashionMnist, "images" | "labels" | "n" | "height" | "width">;

/** Options of {@link makeScenes}. */
export interface SceneOptions {
  /** Number of scenes. */
  count: number;
  /** Canvas side in pixels (default 84). */
  size?: number;
  /** Items per scene: a number or an inclusive `[min, max]` range (default [2, 4]). */
  items?: number | [number, number];
  /** Largest IoU allowed between the 28x28 tiles of two items (default 0: no overlap). */
  maxOverlap?: number;
  /** Every item of a scene has a different class (default true). */
  distinctClasses?: boolean;
  /** Seed (default 0). */
  seed?: number;
  /** Placement attempts per item before the scene is redrawn (default 200). */
  maxTries?: number;
}

/** Generated scenes. */
export interface Scenes {
  /** `count*size*size` values in [0, 1]. */
  images: Float32Array;
  /** `[count, 1, size, size]`. */
  shape: [number, number, number, number];
  /** Per scene, one box per item (tight around its nonzero pixels), `cls` = item class. */
  boxes: Box[][];
  /** `count*numClasses` multi-hot labels. */
  labels: Float32Array;
  /** Per scene, the source index of each item (same order as `boxes`). */
  sources: number[][];
  /** Class names. */
  classes: string[];
}

/** Tight nonzero extent of a source item, or the full tile when it is blank. */
function extent(src: SceneSource, idx: number): [number, number, number, number] {
  const { height: h, width: w } = src;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (src.images[idx * h * w + y * w + x] > 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? [0, 0, w, h] : [x0, y0, x1 + 1, y1 + 1];
}

/**
 * Builds `count` scenes from a source split.
 *
 * @example
 * ```ts
 * import { loadFashionMnist } from "./fashion_mnist.ts";
 * import { makeScenes } from "./scenes.ts";
 * const src = await loadFashionMnist({ split: "test", limit: 1000 });
 * const scenes = makeScenes(src, { count: 10, size: 84, items: 3, seed: 1 });
 * console.log(scenes.shape, scenes.boxes[0].length); // [10, 1, 84, 84] 3
 * ```
 */
export function makeScenes(src: SceneSource, opts: SceneOptions): Scenes {
  const size = opts.size ?? 84;
  const [kMin, kMax] = typeof opts.items === "number" ? [opts.items, opts.items] : opts.items ?? [2, 4];
  const maxOverlap = opts.maxOverlap ?? 0;
  const distinct = opts.distinctClasses ?? true;
  const maxTries = opts.maxTries ?? 200;
  const { height: th, width: tw } = src;
  const numClasses = FASHION_MNIST_CLASSES.length;
  if (size < Math.max(th, tw)) {
    throw new RangeError(`makeScenes: canvas ${size} smaller than items ${th}x${tw}`);
  }
  if (!(kMin >= 1 && kMax >= kMin)) throw new RangeError(`makeScenes: bad items range [${kMin}, ${kMax}]`);
  if (distinct && kMax > numClasses) {
    throw new RangeError(`makeScenes: ${kMax} distinct classes > ${numClasses}`);
  }
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < src.n; i++) byClass[src.labels[i]].push(i);
  const present = byClass.map((l, c) => (l.length ? c : -1)).filter((c) => c >= 0);
  if (distinct && present.length < kMax) {
    throw new RangeError(`makeScenes: source has ${present.length} classes, need ${kMax} distinct`);
  }
  const rng = new Rng(opts.seed ?? 0);
  const images = new Float32Array(opts.count * size * size);
  const labels = new Float32Array(opts.count * numClasses);
  const boxes: Box[][] = [];
  const sources: number[][] = [];
  for (let s = 0; s < opts.count; s++) {
    const k = rng.intRange(kMin, kMax);
    let tiles: { x: number; y: number }[] | undefined;
    for (let attempt = 0; attempt < 50 && !tiles; attempt++) {
      tiles = placeTiles(rng, k, size, tw, th, maxOverlap, maxTries);
    }
    if (!tiles) {
      throw new Error(
        `makeScenes: could not place ${k} items of ${tw}x${th} on ${size}x${size} with maxOverlap ${maxOverlap}`,
      );
    }
    const classes = distinct ? rng.sample(present, k) : Array.from({ length: k }, () => rng.choice(present));
    const canvas = images.subarray(s * size * size, (s + 1) * size * size);
    const sceneBoxes: Box[] = [];
    const sceneSources: number[] = [];
    tiles.forEach(({ x, y }, j) => {
      const cls = classes[j];
      const idx = rng.choice(byClass[cls]);
      for (let r = 0; r < th; r++) {
        for (let c = 0; c < tw; c++) {
          const v = src.images[idx * th * tw + r * tw + c];
          const o = (y + r) * size + x + c;
          if (v > canvas[o]) canvas[o] = v;
        }
      }
      const [x0, y0, x1, y1] = extent(src, idx);
      sceneBoxes.push({ cls, x0: x + x0, y0: y + y0, x1: x + x1, y1: y + y1 });
      sceneSources.push(idx);
      labels[s * numClasses + cls] = 1;
    });
    boxes.push(sceneBoxes);
    sources.push(sceneSources);
  }
  return {
    images,
    shape: [opts.count, 1, size, size],
    boxes,
    labels,
    sources,
    classes: [...FASHION_MNIST_CLASSES],
  };
}

function placeTiles(
  rng: Rng,
  k: number,
  size: number,
  tw: number,
  th: number,
  maxOverlap: number,
  maxTries: number,
): { x: number; y: number }[] | undefined {
  const placed: { x: number; y: number }[] = [];
  for (let j = 0; j < k; j++) {
    let ok = false;
    for (let t = 0; t < maxTries && !ok; t++) {
      const x = rng.intRange(0, size - tw), y = rng.intRange(0, size - th);
      const tile = { x0: x, y0: y, x1: x + tw, y1: y + th };
      ok = placed.every((p) => boxIou(tile, { x0: p.x, y0: p.y, x1: p.x + tw, y1: p.y + th }) <= maxOverlap);
      if (ok) placed.push({ x, y });
    }
    if (!ok) return undefined;
  }
  return placed;
}

/**
 * Loads a Fashion-MNIST split and builds scenes from it (train scenes from the train split, test scenes
 * from the test split).
 *
 * @example
 * ```ts
 * import { loadFashionScenes } from "./scenes.ts";
 * const test = await loadFashionScenes({ split: "test" }, { count: 100, seed: 2 });
 * console.log(test.shape); // [100, 1, 84, 84]
 * ```
 */
export async function loadFashionScenes(data: LoadFashionOptions, opts: SceneOptions): Promise<Scenes> {
  return makeScenes(await loadFashionMnist(data), opts);
}
