/**
 * Learning-rate search on held-out training items: for each candidate, train on the training set
 * minus a seeded held-out part and score on that part; the best candidate wins. Each candidate runs in
 * `<dir>/lr<X>` and leaves its score in `score.json` there (written atomically), so a rerun after an
 * interruption skips the finished candidates and resumes the interrupted one.
 *
 * @module
 */
import { atomicWriteTextFile } from "../io/atomic_write.ts";
import { holdoutSplit, type ImageSet, subsetOf } from "./data.ts";

/** One scored candidate. */
export interface LrCandidate {
  /** The learning rate. */
  lr: number;
  /** Its score on the held-out items (higher is better). */
  validation: number;
}

/** Options of {@link searchLearningRate}. */
export interface LrSearchOptions {
  /** Candidates, in the order they run. */
  lrs: readonly number[];
  /** The training set the held-out part is taken from. */
  set: ImageSet;
  /** Held-out share in (0, 1). */
  valFraction: number;
  /** Seed of the split. */
  seed: number;
  /** Directory of the candidates' runs. */
  dir: string;
  /**
   * Trains on `fit` at `lr` in `dir` (resuming a run there when `resume`) and returns its score on
   * `val`, or null when the run was interrupted.
   */
  trainAndScore(
    fit: ImageSet,
    val: ImageSet,
    lr: number,
    dir: string,
    resume: boolean,
  ): Promise<number | null>;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** The outcome of {@link searchLearningRate}. */
export interface LrSearchResult {
  /** The candidate with the best validation score (the first of equals). */
  lr: number;
  /** Every candidate with its score. */
  candidates: LrCandidate[];
  /** Held-out items. */
  validationItems: number;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * Runs the search; null when a candidate's run was interrupted (rerun to resume).
 *
 * @example
 * ```ts ignore
 * const r = await searchLearningRate({ lrs: [0.01, 0.1, 1], set, valFraction: 0.1, seed: 0, dir: "run/lr_search",
 *   trainAndScore: async (fit, val, lr, dir, resume) => await trainProbeAndScore(fit, val, lr, dir, resume) });
 * console.log(r?.lr);
 * ```
 */
export async function searchLearningRate(o: LrSearchOptions): Promise<LrSearchResult | null> {
  const log = o.log ?? ((line: string) => console.error(line));
  const split = holdoutSplit(o.set.n, o.valFraction, o.seed);
  const fit = subsetOf(o.set, split.fit), val = subsetOf(o.set, split.val);
  const candidates: LrCandidate[] = [];
  for (const lr of o.lrs) {
    const dir = `${o.dir}/lr${lr}`;
    const scorePath = `${dir}/score.json`;
    let validation: number | null;
    if (await exists(scorePath)) {
      try {
        validation = JSON.parse(await Deno.readTextFile(scorePath)).validation;
      } catch (e) {
        throw new Error(`${scorePath}: ${(e as Error).message}`);
      }
      if (typeof validation !== "number") throw new Error(`${scorePath}: no numeric 'validation'`);
    } else {
      validation = await o.trainAndScore(fit, val, lr, dir, await exists(`${dir}/checkpoints`));
      if (validation === null) return null;
      await Deno.mkdir(dir, { recursive: true });
      await atomicWriteTextFile(scorePath, JSON.stringify({ lr, validation }) + "\n");
    }
    log(`lr ${lr}: validation ${(validation * 100).toFixed(2)}% on ${val.n} held-out items`);
    candidates.push({ lr, validation });
  }
  const best = candidates.reduce((a, b) => b.validation > a.validation ? b : a);
  return { lr: best.lr, candidates, validationItems: val.n };
}
