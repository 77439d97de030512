/**
 * Learning-rate search on held-out training items: for each candidate, train on the training set
 * minus a seeded held-out part and score on that part; the best candidate wins. Each candidate runs in
 * `<dir>/lr<X>` and leaves its score in `score.json` there (written atomically), so a rerun after an
 * interruption skips the finished candidates and resumes the interrupted one.
 *
 * {@link searchLearningRate} splits an in-memory {@link ImageSet}; {@link searchLearningRateOn} splits
 * any `n` items with the same seeded {@link holdoutSplit} and lets the caller build the two parts (a
 * streamed sample list to fit on, cached features of the held-out samples to score on).
 *
 * @module
 */
import { atomicWriteTextFile } from "../io/atomic_write.ts";
import { holdoutSplit, type ImageSet, subsetOf } from "./data.ts";
import { differingKeys } from "./loop.ts";

/** One scored candidate. */
export interface LrCandidate {
  /** The learning rate. */
  lr: number;
  /** Its score on the held-out items (higher is better). */
  validation: number;
}

/** What every search needs, whatever its items: candidates, split, runs. */
export interface LrSearchBase<F, V> {
  /** Candidates, in the order they run. */
  lrs: readonly number[];
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
    fit: F,
    val: V,
    lr: number,
    dir: string,
    resume: boolean,
  ): Promise<number | null>;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /**
   * What the scores depend on besides lr (loss, data, epochs...) as a JSON object, kept in each
   * `score.json`: a stored score with another key stops the search with an error naming the file and
   * the fields that differ, instead of being reused.
   */
  key?: string;
}

/** Options of {@link searchLearningRate}. */
export interface LrSearchOptions extends LrSearchBase<ImageSet, ImageSet> {
  /** The training set the held-out part is taken from. */
  set: ImageSet;
}

/** The parts of a split as the caller builds them. */
export interface HoldoutParts<F, V> {
  /** What the candidates train on. */
  fit: F;
  /** What they are scored on. */
  val: V;
  /** Held-out items actually scored (fewer than asked when some could not be read). */
  valItems: number;
}

/** Options of {@link searchLearningRateOn}. */
export interface LrSearchItemsOptions<F, V> extends LrSearchBase<F, V> {
  /** Number of training items. */
  n: number;
  /** Builds the parts from the item indices of the split (both ascending). */
  parts(fit: number[], val: number[]): Promise<HoldoutParts<F, V>>;
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
 * Runs the search on an in-memory set; null when a candidate's run was interrupted (rerun to resume).
 *
 * @example
 * ```ts ignore
 * const r = await searchLearningRate({ lrs: [0.01, 0.1, 1], set, valFraction: 0.1, seed: 0, dir: "run/lr_search",
 *   trainAndScore: async (fit, val, lr, dir, resume) => await trainProbeAndScore(fit, val, lr, dir, resume) });
 * console.log(r?.lr);
 * ```
 */
export async function searchLearningRate(o: LrSearchOptions): Promise<LrSearchResult | null> {
  const parts = (fit: number[], val: number[]) =>
    Promise.resolve({ fit: subsetOf(o.set, fit), val: subsetOf(o.set, val), valItems: val.length });
  return await searchLearningRateOn({ ...o, n: o.set.n, parts });
}

/**
 * Runs the search on `n` items whose parts the caller builds; null when a candidate's run was
 * interrupted (rerun to resume).
 *
 * @example
 * ```ts ignore
 * const r = await searchLearningRateOn({ lrs: [0.01, 0.1], n: samples.length, valFraction: 0.1, seed: 0,
 *   dir: "run/lr_search",
 *   parts: async (fit, val) => ({ fit: fit.map((i) => samples[i]), val: await featuresOf(val), valItems: val.length }),
 *   trainAndScore: async (fit, val, lr, dir, resume) => await trainStreamedAndScore(fit, val, lr, dir, resume) });
 * ```
 */
export async function searchLearningRateOn<F, V>(
  o: LrSearchItemsOptions<F, V>,
): Promise<LrSearchResult | null> {
  const log = o.log ?? ((line: string) => console.error(line));
  const split = holdoutSplit(o.n, o.valFraction, o.seed);
  const { fit, val, valItems } = await o.parts(split.fit, split.val);
  const candidates: LrCandidate[] = [];
  for (const lr of o.lrs) {
    const dir = `${o.dir}/lr${lr}`;
    const scorePath = `${dir}/score.json`;
    let validation: number | null;
    if (await exists(scorePath)) {
      let stored: { validation?: unknown; key?: string };
      try {
        stored = JSON.parse(await Deno.readTextFile(scorePath));
      } catch (e) {
        throw new Error(`${scorePath}: ${(e as Error).message}`);
      }
      validation = stored.validation as number;
      if (typeof validation !== "number") throw new Error(`${scorePath}: no numeric 'validation'`);
      if (o.key !== undefined && stored.key !== undefined && stored.key !== o.key) {
        const differ = differingKeys(JSON.parse(stored.key), JSON.parse(o.key));
        throw new Error(
          `${scorePath}: scored with a different ${differ.join(", ")}; use another output directory`,
        );
      }
    } else {
      validation = await o.trainAndScore(fit, val, lr, dir, await exists(`${dir}/checkpoints`));
      if (validation === null) return null;
      await Deno.mkdir(dir, { recursive: true });
      await atomicWriteTextFile(scorePath, JSON.stringify({ lr, validation, key: o.key }) + "\n");
    }
    log(`lr ${lr}: validation ${(validation * 100).toFixed(2)}% on ${valItems} held-out items`);
    candidates.push({ lr, validation });
  }
  const best = candidates.reduce((a, b) => b.validation > a.validation ? b : a);
  return { lr: best.lr, candidates, validationItems: valItems };
}
