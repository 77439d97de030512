/**
 * Compactness and complexity, BCE - CE (the paper's Table E1): per (dataset, backbone, pre-training,
 * explainer) of linear probes, the accuracy of both probes and the paired differences of the entropy
 * (complexity, lower is better) and of the Gini index (compactness, higher is better). The raw values
 * are in the CSV.
 *
 * @module
 */
import { displayName } from "../names.ts";
import type { RunIndex } from "../run_index.ts";
import { pairedDelta } from "../stat.ts";
import type { Row, Table } from "../table.ts";

/**
 * Builds the Gini / entropy delta table.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { complexityTable } from "./complexity.ts";
 * const base = { dataset: "d", arch: "a", pretraining: "dino", probe: "linear", explainer: "bcos", seed: 0 };
 * const t = complexityTable(new RunIndex([
 *   { ...base, loss: "ce", metrics: { accuracy: 70, gini: 0.4, entropy: 9 } },
 *   { ...base, loss: "bce", metrics: { accuracy: 69, gini: 0.55, entropy: 7 } },
 * ]));
 * console.log(t.rows[0].cells[2].stat?.mean, t.rows[0].cells[3].stat?.mean.toFixed(2)); // -2 "0.15"
 * ```
 */
export function complexityTable(idx: RunIndex): Table {
  const has = (r: { explainer: string | null; metrics: { gini?: number | null; entropy?: number | null } }) =>
    r.explainer !== null && (r.metrics.gini != null || r.metrics.entropy != null);
  const rows: Row[] = [];
  for (const dataset of idx.values("dataset", {}, has)) {
    for (const c of idx.combos(["arch", "pretraining", "explainer"], { dataset, probe: "linear" }, has)) {
      const key = { dataset, arch: c.arch, pretraining: c.pretraining, probe: "linear" };
      const acc = (loss: "ce" | "bce") => idx.stat({ ...key, loss }, (m) => m.accuracy);
      const ent = (loss: "ce" | "bce") =>
        idx.stat({ ...key, loss, explainer: c.explainer }, (m) => m.entropy);
      const gini = (loss: "ce" | "bce") => idx.stat({ ...key, loss, explainer: c.explainer }, (m) => m.gini);
      rows.push({
        keys: [
          displayName("dataset", dataset),
          displayName("arch", c.arch),
          displayName("pretraining", c.pretraining),
          displayName("explainer", c.explainer),
        ],
        cells: [
          { stat: acc("ce") },
          { stat: acc("bce") },
          { stat: pairedDelta(ent("ce"), ent("bce"), idx.confidence) },
          { stat: pairedDelta(gini("ce"), gini("bce"), idx.confidence) },
          { stat: ent("ce") },
          { stat: ent("bce") },
          { stat: gini("ce") },
          { stat: gini("bce") },
        ],
      });
    }
  }
  return {
    id: "complexity_compactness",
    title: "Compactness (Gini) and complexity (entropy), BCE - CE (linear probes)",
    source: "Table E1",
    description:
      "Gini index of the positive part of the raw map (compactness, higher = more compact) and entropy in " +
      "bits of the smoothed positive map normalised to sum 1 (complexity, lower = simpler). Δ = BCE - CE, " +
      "paired over seeds.",
    keyHeaders: ["Dataset", "Backbone", "Pre-training", "Explainer"],
    columns: [
      { header: "Acc. CE (%)", csv: "acc_ce", digits: 1 },
      { header: "Acc. BCE (%)", csv: "acc_bce", digits: 1 },
      { header: "Δ Complexity (entropy)", csv: "entropy_delta", digits: 2, signed: true },
      { header: "Δ Compactness (Gini)", csv: "gini_delta", digits: 2, signed: true },
      { header: "Entropy CE", csv: "entropy_ce", digits: 2, markdown: false },
      { header: "Entropy BCE", csv: "entropy_bce", digits: 2, markdown: false },
      { header: "Gini CE", csv: "gini_ce", digits: 3, markdown: false },
      { header: "Gini BCE", csv: "gini_bce", digits: 3, markdown: false },
    ],
    rows,
    notes: [],
  };
}
