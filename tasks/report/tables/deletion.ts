/**
 * Pixel-deletion AUC, CE vs BCE (the paper's Figure 2b and Figures E5/E6 as numbers): one row per
 * (dataset, backbone, pre-training, probe, explainer) with the area under the deletion curve of each
 * loss and their paired difference.
 *
 * @module
 */
import { displayName } from "../names.ts";
import type { RunIndex } from "../run_index.ts";
import { pairedDelta } from "../stat.ts";
import type { Row, Table } from "../table.ts";

/**
 * Builds the deletion-AUC table.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { deletionTable } from "./deletion.ts";
 * const base = { dataset: "d", arch: "a", pretraining: "dino", probe: "linear", explainer: "bcos", seed: 0 };
 * const del = (auc: number) => ({ order: "lerf" as const, fractions: [0, 1], curve: [1, 0], auc });
 * const t = deletionTable(new RunIndex([
 *   { ...base, loss: "ce", metrics: { deletion: del(0.4) } },
 *   { ...base, loss: "bce", metrics: { deletion: del(0.7) } },
 * ]));
 * console.log(t.rows[0].cells[2].stat?.mean.toFixed(2)); // "0.30"
 * ```
 */
export function deletionTable(idx: RunIndex): Table {
  const has = (r: { explainer: string | null; metrics: { deletion?: unknown } }) =>
    r.explainer !== null && r.metrics.deletion != null;
  const rows: Row[] = [];
  const orders = new Set(idx.find({}, has).map((r) => r.metrics.deletion!.order));
  for (const dataset of idx.values("dataset", {}, has)) {
    for (const c of idx.combos(["arch", "pretraining", "probe", "explainer"], { dataset }, has)) {
      const key = { dataset, ...c };
      const ce = idx.stat({ ...key, loss: "ce" }, (m) => m.deletion?.auc);
      const bce = idx.stat({ ...key, loss: "bce" }, (m) => m.deletion?.auc);
      rows.push({
        keys: [
          displayName("dataset", dataset),
          displayName("arch", c.arch),
          displayName("pretraining", c.pretraining),
          displayName("probe", c.probe),
          displayName("explainer", c.explainer),
        ],
        cells: [{ stat: ce }, { stat: bce }, { stat: pairedDelta(ce, bce, idx.confidence) }],
      });
    }
  }
  const orderNote = orders.size === 0 ? [] : [
    `Deletion order: ${
      [...orders].join(", ")
    } (lerf: least relevant pixels first, a higher AUC is better; morf: lower is better).`,
  ];
  return {
    id: "deletion_auc",
    title: "Pixel deletion: area under the curve, CE vs BCE",
    source: "Figure 2b, Figures E5, E6, E13-E15",
    description:
      "Pixels are deleted in order of their attribution (set to the replacement value) in steps of the " +
      "deleted fraction; the curve is the mean target-class probability per step and its area is the " +
      "trapezoidal rule over the fraction axis.",
    keyHeaders: ["Dataset", "Backbone", "Pre-training", "Probe", "Explainer"],
    columns: [
      { header: "AUC CE", csv: "auc_ce", digits: 3 },
      { header: "AUC BCE", csv: "auc_bce", digits: 3 },
      { header: "Δ AUC", csv: "auc_delta", digits: 3, signed: true },
    ],
    rows,
    notes: orderNote,
  };
}
