/**
 * Lookups over the runs of a results file: the distinct values of a key field (in first-seen order,
 * with the paper's canonical orders for pre-trainings, probes, losses and explainers), and a metric's
 * values by seed for a partial key (`explainer` omitted = any record of that probe, as for accuracy).
 *
 * @module
 */
import type { RunKey, RunMetrics, RunRecord } from "./results.ts";
import { type Stat, statOf } from "./stat.ts";

/** A key without the seed; absent fields match anything. */
export type KeyFilter = Partial<Omit<RunKey, "seed">>;

const CANONICAL: Record<string, readonly string[]> = {
  pretraining: ["supervised", "mocov2", "byol", "dino", "mocov3", "clip"],
  probe: ["linear", "mlp2", "mlp3", "bcos_mlp2", "bcos_mlp3"],
  loss: ["ce", "bce"],
  explainer: [
    "bcos",
    "lrp",
    "intgrad",
    "ixg",
    "gbp",
    "gradcam",
    "scorecam",
    "lime",
    "rollout",
    "cgw1",
    "causalx",
  ],
};

/** Runs indexed for the report's lookups. */
export class RunIndex {
  /** All runs. */
  readonly runs: readonly RunRecord[];
  readonly #confidence: number;

  /**
   * Indexes `runs`.
   *
   * @param runs the runs of a results file
   * @param confidence confidence level of the intervals (default 0.95)
   */
  constructor(runs: readonly RunRecord[], confidence = 0.95) {
    this.runs = runs;
    this.#confidence = confidence;
  }

  /**
   * Runs matching `filter` (and `pred`).
   *
   * @example
   * ```ts
   * import { RunIndex } from "./run_index.ts";
   * const idx = new RunIndex([{ dataset: "d", arch: "a", pretraining: "dino", probe: "linear", loss: "ce", explainer: null, seed: 0, metrics: {} }]);
   * console.log(idx.find({ loss: "ce" }).length, idx.find({ loss: "bce" }).length); // 1 0
   * ```
   */
  find(filter: KeyFilter, pred?: (r: RunRecord) => boolean): RunRecord[] {
    return this.runs.filter((r) => {
      for (const [k, v] of Object.entries(filter)) {
        if (v !== undefined && r[k as keyof RunKey] !== v) return false;
      }
      return pred ? pred(r) : true;
    });
  }

  /**
   * Distinct values of `field` among runs matching `filter`, canonical order first.
   *
   * @example
   * ```ts
   * import { RunIndex } from "./run_index.ts";
   * const base = { dataset: "d", arch: "a", probe: "linear", loss: "ce" as const, explainer: null, seed: 0, metrics: {} };
   * const idx = new RunIndex([{ ...base, pretraining: "dino" }, { ...base, pretraining: "mocov2" }]);
   * console.log(idx.values("pretraining")); // ["mocov2", "dino"]
   * ```
   */
  values<K extends keyof Omit<RunKey, "seed">>(
    field: K,
    filter: KeyFilter = {},
    pred?: (r: RunRecord) => boolean,
  ): RunKey[K][] {
    const seen: RunKey[K][] = [];
    for (const r of this.find(filter, pred)) if (!seen.includes(r[field])) seen.push(r[field]);
    const order = CANONICAL[field];
    if (!order) return seen;
    const rank = (v: unknown) => {
      const i = order.indexOf(String(v));
      return i < 0 ? order.length : i;
    };
    return seen.map((v, i) => [v, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map((
      p,
    ) => p[0]);
  }

  /**
   * Distinct combinations of `fields` among runs matching `filter` (and `pred`), sorted field by field
   * (canonical orders where defined, first-seen order otherwise).
   *
   * @example
   * ```ts
   * import { RunIndex } from "./run_index.ts";
   * const base = { dataset: "d", probe: "linear", loss: "ce" as const, explainer: null, seed: 0, metrics: {} };
   * const idx = new RunIndex([
   *   { ...base, arch: "b", pretraining: "dino" },
   *   { ...base, arch: "a", pretraining: "dino" },
   *   { ...base, arch: "b", pretraining: "mocov2" },
   * ]);
   * console.log(idx.combos(["arch", "pretraining"]).map((c) => `${c.arch}/${c.pretraining}`)); // ["b/mocov2", "b/dino", "a/dino"]
   * ```
   */
  combos<K extends keyof Omit<RunKey, "seed">>(
    fields: readonly K[],
    filter: KeyFilter = {},
    pred?: (r: RunRecord) => boolean,
  ): Pick<RunKey, K>[] {
    const runs = this.find(filter, pred);
    const rankOf = new Map<K, (v: unknown) => number>();
    for (const f of fields) {
      const order = this.values(f, filter, pred).map(String);
      rankOf.set(f, (v) => order.indexOf(String(v)));
    }
    const seen = new Map<string, Pick<RunKey, K>>();
    for (const r of runs) {
      const c = Object.fromEntries(fields.map((f) => [f, r[f]])) as Pick<RunKey, K>;
      const k = JSON.stringify(fields.map((f) => r[f]));
      if (!seen.has(k)) seen.set(k, c);
    }
    return [...seen.values()].sort((a, b) => {
      for (const f of fields) {
        const d = rankOf.get(f)!(a[f]) - rankOf.get(f)!(b[f]);
        if (d !== 0) return d;
      }
      return 0;
    });
  }

  /**
   * A metric summarised over seeds for the runs matching `filter`: one value per seed (the first
   * non-null one), then mean and CI. Null when no run has it.
   *
   * @example
   * ```ts
   * import { RunIndex } from "./run_index.ts";
   * const base = { dataset: "d", arch: "a", pretraining: "dino", probe: "linear", loss: "ce" as const };
   * const idx = new RunIndex([
   *   { ...base, explainer: "bcos", seed: 0, metrics: { accuracy: 70 } },
   *   { ...base, explainer: "lrp", seed: 0, metrics: { accuracy: 70 } },
   *   { ...base, explainer: "bcos", seed: 1, metrics: { accuracy: 72 } },
   * ]);
   * console.log(idx.stat(base, (m) => m.accuracy)?.mean); // 71
   * ```
   */
  stat(filter: KeyFilter, get: (m: RunMetrics, r: RunRecord) => number | null | undefined): Stat | null {
    const bySeed = new Map<number, number>();
    for (const r of this.find(filter)) {
      if (bySeed.has(r.seed)) continue;
      const v = get(r.metrics, r);
      if (v !== null && v !== undefined && Number.isFinite(v)) bySeed.set(r.seed, v);
    }
    return statOf(bySeed, this.#confidence);
  }

  /** The confidence level of the intervals. */
  get confidence(): number {
    return this.#confidence;
  }
}
