/**
 * The GridPG inputs of a trained probe: the pool of test images a grid may use (correctly classified,
 * with the probe's confidence in the true class) and, for one grid size, the grid images with one
 * copy per cell, the class each copy explains and the cell's box. The selection depends only on the
 * labels, the confidences and the seed, so two probes with the same predictions (e.g. Figure 4's
 * shift-equivalent probes) share the grids when they share the pool.
 *
 * @module
 */
import { buildGrids } from "../../core/data/grid.ts";
import type { Box } from "../../metrics/regions.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import { probabilities, type ProbedRun } from "./explain_run.ts";

/** The images a grid may use, with what the probe thinks of them. */
export interface GridCandidates {
  /** Class of each test image. */
  labels: ArrayLike<number>;
  /** The probe's probability of the true class. */
  confidence: number[];
  /** Whether the probe's top class is the true class. */
  correct: boolean[];
}

/** Grid images, one copy per (grid, cell), with their targets and cell boxes. */
export interface GridBatch {
  /** `[N, C, H, W]` of `images`. */
  shape: [number, number, number, number];
  /** The grid images in [0, 1] pixel space. */
  images: Float32Array;
  /** The class explained on each copy (the class of its cell). */
  targets: number[];
  /** The cell of each copy. */
  boxes: Box[];
}

const range = (k: number) => Array.from({ length: k }, (_, i) => i);

/**
 * The probe's probabilities `[n * classes]` on the test set and the grid candidates they make.
 *
 * @example
 * ```ts ignore
 * const { probs, pool } = await gridCandidates(run);
 * ```
 */
export async function gridCandidates(run: ProbedRun): Promise<{ probs: Float32Array; pool: GridCandidates }> {
  const d = run.data;
  const [C, H, W] = d.shape, K = d.numClasses, n = d.n;
  const probs = d.probs ?? await probabilities(run, (await d.load(range(n))).images, [n, C, H, W]);
  const pred = range(n).map((i) => {
    let best = 0;
    for (let c = 1; c < K; c++) if (probs[i * K + c] > probs[i * K + best]) best = c;
    return best;
  });
  const pool = {
    labels: d.labels,
    confidence: range(n).map((i) => probs[i * K + d.labels[i]]),
    correct: pred.map((p, i) => p === d.labels[i]),
  };
  return { probs, pool };
}

/**
 * The `size x size` GridPG grids of the preset (`evaluate.gridpg`) from the candidates, as a batch of
 * one copy per cell; null when too few classes have confident, correct images.
 *
 * @example
 * ```ts ignore
 * const batch = await gridBatch(run, config, 2, pool, 0);
 * ```
 */
export async function gridBatch(
  run: ProbedRun,
  config: PipelineConfig,
  size: number,
  pool: GridCandidates,
  seed: number,
): Promise<GridBatch | null> {
  const d = run.data;
  const [C, H, W] = d.shape;
  const ev = config.evaluate.gridpg;
  let grids;
  try {
    // The selection depends on labels, confidences and the seed only: pick with 1-pixel stand-ins,
    // then load just the chosen images.
    grids = buildGrids(
      { images: new Float32Array(d.n), shape: [d.n, 1, 1, 1], ...pool },
      { count: ev.grids, n: size, threshold: ev.minConfidence, seed },
    );
  } catch {
    return null; // too few confident classes for this grid size
  }
  const sources = [...new Set(grids.flatMap((g) => g.sources))];
  const loaded = (await d.load(sources)).images;
  const at = new Map(sources.map((s, j) => [s, j]));
  const cells = size * size, gh = H * size, gw = W * size, per = H * W;
  const grid = new Float32Array(C * gh * gw);
  const images = new Float32Array(grids.length * cells * C * gh * gw);
  const targets: number[] = [];
  const boxes: Box[] = [];
  grids.forEach((g, gi) => {
    g.sources.forEach((src, k) => {
      const row = Math.floor(k / size), col = k % size, j = at.get(src)!;
      for (let ch = 0; ch < C; ch++) {
        for (let y = 0; y < H; y++) {
          const from = (j * C + ch) * per + y * W;
          grid.set(loaded.subarray(from, from + W), (ch * gh + row * H + y) * gw + col * W);
        }
      }
    });
    for (let c = 0; c < cells; c++) {
      images.set(grid, (gi * cells + c) * C * gh * gw);
      targets.push(g.classes[c]);
      const row = Math.floor(c / size), col = c % size;
      boxes.push({ x0: col * W, y0: row * H, x1: (col + 1) * W, y1: (row + 1) * H });
    }
  });
  return { shape: [targets.length, C, gh, gw], images, targets, boxes };
}
