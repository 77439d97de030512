/**
 * GridPG grids: n x n mosaics of images from distinct classes, each chosen among the images the model
 * classifies confidently (probability of the true class >= threshold, and correct when `correct` is
 * given). The caller computes the confidences. Grids can be saved as PNGs plus `manifest.json` and loaded
 * back (pixel values are then quantised to 8 bits).
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import { decodeImage } from "./decode.ts";
import { encodePng } from "./encode.ts";
import { joinPath, readFileNamed, readTextNamed, writeFileAtomic } from "./fs_util.ts";
import { Rng } from "./rng.ts";

/** Candidate images with the model's confidence on each. */
export interface GridPool {
  /** `N*C*H*W` values in [0, 1]. */
  images: Float32Array;
  /** `[N, C, H, W]`. */
  shape: [number, number, number, number];
  /** True class of each image. */
  labels: ArrayLike<number>;
  /** Model probability of the true class for each image. */
  confidence: ArrayLike<number>;
  /** Whether the model's prediction was correct (optional; when given, incorrect images are excluded). */
  correct?: ArrayLike<boolean | number>;
}

/** Options of {@link buildGrids}. */
export interface GridOptions {
  /** Number of grids. */
  count: number;
  /** Grid side in cells (default 2). */
  n?: number;
  /** Minimum confidence (default 0.95). */
  threshold?: number;
  /** Seed (default 0). */
  seed?: number;
}

/** A cell rectangle in grid pixels, `[x0, x1) x [y0, y1)`. */
export interface CellRect {
  /** Left. */
  x0: number;
  /** Top. */
  y0: number;
  /** Right (exclusive). */
  x1: number;
  /** Bottom (exclusive). */
  y1: number;
}

/** One grid. */
export interface Grid {
  /** `[C, n*H, n*W]` image. */
  image: HostTensor;
  /** Class per cell, row-major. */
  classes: number[];
  /** Rectangle per cell, row-major. */
  cells: CellRect[];
  /** Pool index of the image in each cell. */
  sources: number[];
}

/**
 * Pool indices per class of the images eligible for grids.
 *
 * @example
 * ```ts
 * import { eligibleByClass } from "./grid.ts";
 * const e = eligibleByClass({ labels: [0, 1, 1], confidence: [0.99, 0.5, 0.97] }, 2, 0.95);
 * console.log(e); // [[0], [2]]
 * ```
 */
export function eligibleByClass(
  pool: Pick<GridPool, "labels" | "confidence" | "correct">,
  numClasses: number,
  threshold = 0.95,
): number[][] {
  const out: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < pool.labels.length; i++) {
    const ok = pool.confidence[i] >= threshold && (pool.correct === undefined || Boolean(pool.correct[i]));
    if (ok) out[pool.labels[i]].push(i);
  }
  return out;
}

/** {@link buildGrids} found fewer confidently classified classes than a grid has cells. */
export class TooFewClassesError extends Error {
  /**
   * @param message what was missing
   * @example
   * ```ts
   * import { TooFewClassesError } from "./grid.ts";
   * console.log(new TooFewClassesError("x").name); // TooFewClassesError
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "TooFewClassesError";
  }
}

/**
 * Builds `count` n x n grids with distinct classes per grid. Within a run an image is reused only when its
 * class has no unused eligible image left. Throws when fewer than n*n classes have an eligible image.
 *
 * @example
 * ```ts
 * import { buildGrids } from "./grid.ts";
 * const N = 4, data = new Float32Array(N * 1 * 2 * 2).fill(0.5);
 * const grids = buildGrids(
 *   { images: data, shape: [N, 1, 2, 2], labels: [0, 1, 2, 3], confidence: [1, 1, 1, 1] },
 *   { count: 1, n: 2 },
 * );
 * console.log(grids[0].image.shape, grids[0].classes.length); // [1, 4, 4] 4
 * ```
 */
export function buildGrids(pool: GridPool, opts: GridOptions): Grid[] {
  const n = opts.n ?? 2;
  const threshold = opts.threshold ?? 0.95;
  const [num, c, h, w] = pool.shape;
  if (pool.images.length !== num * c * h * w) {
    throw new RangeError(
      `buildGrids: images has ${pool.images.length} values, shape [${pool.shape}] needs ${num * c * h * w}`,
    );
  }
  if (pool.labels.length !== num || pool.confidence.length !== num) {
    throw new RangeError(
      `buildGrids: ${num} images but ${pool.labels.length} labels, ${pool.confidence.length} confidences`,
    );
  }
  let numClasses = 0;
  for (let i = 0; i < num; i++) numClasses = Math.max(numClasses, pool.labels[i] + 1);
  const eligible = eligibleByClass(pool, numClasses, threshold);
  const classes = eligible.map((l, k) => (l.length ? k : -1)).filter((k) => k >= 0);
  if (classes.length < n * n) {
    throw new TooFewClassesError(
      `buildGrids: only ${classes.length} classes have images with confidence >= ${threshold}; ` +
        `a ${n}x${n} grid needs ${n * n}`,
    );
  }
  const rng = new Rng(opts.seed ?? 0);
  const unused = eligible.map((l) => rng.shuffle([...l]));
  const size = c * h * w;
  const grids: Grid[] = [];
  for (let g = 0; g < opts.count; g++) {
    const picked = rng.sample(classes, n * n);
    const H = n * h, W = n * w;
    const data = new Float32Array(c * H * W);
    const cells: CellRect[] = [];
    const sources: number[] = [];
    picked.forEach((cls, k) => {
      const src = unused[cls].length ? unused[cls].pop()! : rng.choice(eligible[cls]);
      const row = Math.floor(k / n), col = k % n;
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          const from = src * size + (ch * h + y) * w;
          data.set(pool.images.subarray(from, from + w), (ch * H + row * h + y) * W + col * w);
        }
      }
      cells.push({ x0: col * w, y0: row * h, x1: (col + 1) * w, y1: (row + 1) * h });
      sources.push(src);
    });
    grids.push({ image: { shape: [c, H, W], data }, classes: picked, cells, sources });
  }
  return grids;
}

const MANIFEST = "manifest.json";

/** The manifest entry of one grid. */
interface ManifestEntry {
  file: string;
  shape: number[];
  classes: number[];
  cells: CellRect[];
  sources: number[];
}

/**
 * Writes grids as `grid_00000.png`, ... plus `manifest.json`, each atomically (temporary file, then
 * rename); the manifest is written last. Images must have 1 or 3 channels.
 *
 * @example
 * ```ts
 * import { buildGrids, saveGrids } from "./grid.ts";
 * const grids = buildGrids(
 *   { images: new Float32Array(16), shape: [4, 1, 2, 2], labels: [0, 1, 2, 3], confidence: [1, 1, 1, 1] },
 *   { count: 2 },
 * );
 * await saveGrids(await Deno.makeTempDir(), grids);
 * ```
 */
export async function saveGrids(dir: string, grids: readonly Grid[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const entries: ManifestEntry[] = [];
  for (let i = 0; i < grids.length; i++) {
    const g = grids[i];
    const file = `grid_${String(i).padStart(5, "0")}.png`;
    await writeFileAtomic(joinPath(dir, file), encodePng(g.image));
    entries.push({ file, shape: [...g.image.shape], classes: g.classes, cells: g.cells, sources: g.sources });
  }
  const manifest = { format: "howtoprobe-gridpg", version: 1, count: grids.length, grids: entries };
  await writeFileAtomic(joinPath(dir, MANIFEST), JSON.stringify(manifest, null, 1) + "\n");
}

/**
 * Reads grids written by {@link saveGrids}; errors name the manifest or PNG at fault.
 *
 * @example
 * ```ts
 * import { loadGrids } from "./grid.ts";
 * const grids = await loadGrids("out/gridpg");
 * console.log(grids.length);
 * ```
 */
export async function loadGrids(dir: string): Promise<Grid[]> {
  const path = joinPath(dir, MANIFEST);
  let manifest: { format?: string; grids?: ManifestEntry[] };
  try {
    manifest = JSON.parse(await readTextNamed(path));
  } catch (e) {
    throw new Error(`${path}: cannot load grid manifest (${(e as Error).message})`, { cause: e });
  }
  if (manifest.format !== "howtoprobe-gridpg" || !Array.isArray(manifest.grids)) {
    throw new Error(`${path}: not a GridPG manifest (format "${manifest.format}")`);
  }
  const out: Grid[] = [];
  for (const e of manifest.grids) {
    const file = joinPath(dir, e.file);
    const channels = e.shape[0] === 1 ? 1 : 3;
    const image = decodeImage(await readFileNamed(file), file, { channels });
    if (image.shape.join() !== e.shape.join()) {
      throw new Error(`${file}: image is [${image.shape}] but ${path} says [${e.shape}]`);
    }
    out.push({ image, classes: e.classes, cells: e.cells, sources: e.sources });
  }
  return out;
}
