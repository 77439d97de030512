/**
 * BCE vs CE for linear probes: accuracy and GridPG per pre-training and explainer (the paper's
 * Figure 5, Table 1 / C1 and Table E2). One row per (dataset, backbone, pre-training, explainer);
 * deltas are BCE - CE paired over the seeds both losses have.
 *
 * @module
 */
import { displayName } from "../names.ts";
import type { RunIndex } from "../run_index.ts";
import { pairedDelta } from "../stat.ts";
import type { Cell, Column, Table } from "../table.ts";
import { gridpgOf, gridSizes, singleLabelDatasets } from "./common.ts";

/**
 * Builds the BCE-vs-CE accuracy and GridPG table.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { bceVsCeTable } from "./bce_ce.ts";
 * const base = { dataset: "d", arch: "a", pretraining: "dino", probe: "linear", explainer: "bcos", seed: 0 };
 * const t = bceVsCeTable(new RunIndex([
 *   { ...base, loss: "ce", metrics: { accuracy: 70, gridpg: { "2x2": 40 } } },
 *   { ...base, loss: "bce", metrics: { accuracy: 71, gridpg: { "2x2": 80 } } },
 * ]));
 * console.log(t.rows[0].cells.map((c) => c.stat?.mean)); // [70, 71, 1, 40, 80, 40]
 * ```
 */
export function bceVsCeTable(idx: RunIndex): Table {
  const sizes = gridSizes(idx);
  const columns: Column[] = [
    { header: "Acc. CE (%)", csv: "acc_ce", digits: 1 },
    { header: "Acc. BCE (%)", csv: "acc_bce", digits: 1 },
    { header: "Δ Acc.", csv: "acc_delta", digits: 1, signed: true },
  ];
  for (const g of sizes) {
    columns.push(
      { header: `GridPG ${g} CE (%)`, csv: `gridpg_${g}_ce`, digits: 1 },
      { header: `GridPG ${g} BCE (%)`, csv: `gridpg_${g}_bce`, digits: 1 },
      { header: `Δ GridPG ${g}`, csv: `gridpg_${g}_delta`, digits: 1, signed: true },
    );
  }
  const rows = [];
  for (const dataset of singleLabelDatasets(idx)) {
    const combos = idx.combos(
      ["arch", "pretraining", "explainer"],
      { dataset, probe: "linear" },
      (r) => r.explainer !== null,
    );
    for (const c of combos) {
      const key = { dataset, arch: c.arch, pretraining: c.pretraining, probe: "linear" };
      const accCe = idx.stat({ ...key, loss: "ce" }, (m) => m.accuracy);
      const accBce = idx.stat({ ...key, loss: "bce" }, (m) => m.accuracy);
      const cells: Cell[] = [{ stat: accCe }, { stat: accBce }, {
        stat: pairedDelta(accCe, accBce, idx.confidence),
      }];
      for (const g of sizes) {
        const ce = idx.stat({ ...key, loss: "ce", explainer: c.explainer }, gridpgOf(g));
        const bce = idx.stat({ ...key, loss: "bce", explainer: c.explainer }, gridpgOf(g));
        cells.push({ stat: ce }, { stat: bce }, { stat: pairedDelta(ce, bce, idx.confidence) });
      }
      rows.push({
        keys: [
          displayName("dataset", dataset),
          displayName("arch", c.arch),
          displayName("pretraining", c.pretraining),
          displayName("explainer", c.explainer),
        ],
        cells,
      });
    }
  }
  return {
    id: "bce_vs_ce_gridpg",
    title: "BCE vs CE: accuracy and GridPG (linear probes)",
    source: "Figure 5, Tables 1, C1 and E2",
    description:
      "Linear probes on the same frozen backbone, trained with CE or BCE. Accuracy is the probe's top-1 " +
      "accuracy; GridPG is the share of positive attribution inside the explained cell of an n x n grid " +
      "(maps smoothed 5x5 before scoring). Δ = BCE - CE, paired over seeds.",
    keyHeaders: ["Dataset", "Backbone", "Pre-training", "Explainer"],
    columns,
    rows,
    notes: [],
  };
}
