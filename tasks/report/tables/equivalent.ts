/**
 * The Figure 4 demonstration as a table: two (or more) linear probes with the same CE loss (one is the
 * other plus a shift added to every class weight, to which softmax CE is blind) and the GridPG of the
 * same class under each, with their BCE losses (which do differ).
 *
 * @module
 */
import { displayName } from "../names.ts";
import type { EquivalentProbesResult } from "../results.ts";
import { statOf } from "../stat.ts";
import type { Row, Table } from "../table.ts";

const one = (
  v: number | null | undefined,
) => (v === null || v === undefined ? null : statOf(new Map([[0, v]])));

/**
 * Builds the equivalent-probes table.
 *
 * @example
 * ```ts
 * import { equivalentProbesTable } from "./equivalent.ts";
 * const t = equivalentProbesTable([{ dataset: "imagenet", arch: "resnet50", pretraining: "dino", explainer: "lrp",
 *   target: "bighorn", probes: [{ label: "probe 1", ceLoss: 0.81, gridpg: 65.7 }, { label: "probe 2", ceLoss: 0.81, gridpg: 11.9 }] }]);
 * console.log(t.rows.map((r) => r.cells[3].stat?.mean)); // [65.7, 11.9]
 * ```
 */
export function equivalentProbesTable(results: readonly EquivalentProbesResult[]): Table {
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const e of results) {
    for (const p of e.probes) {
      rows.push({
        keys: [
          displayName("dataset", e.dataset),
          displayName("arch", e.arch),
          displayName("pretraining", e.pretraining),
          displayName("explainer", e.explainer),
          e.target,
          p.label,
        ],
        cells: [{ stat: one(p.ceLoss) }, { stat: one(p.bceLoss) }, { stat: one(p.accuracy) }, {
          stat: one(p.gridpg),
        }],
      });
    }
    if (e.shiftNorm !== undefined && e.shiftNorm !== null) {
      notes.push(
        `${displayName("arch", e.arch)} ${displayName("pretraining", e.pretraining)}: shift norm |dw| = ${
          e.shiftNorm.toPrecision(3)
        }.`,
      );
    }
    if (e.note) notes.push(e.note);
  }
  return {
    id: "equivalent_probes",
    title: "Equivalent probes: same CE loss, different explanations",
    source: "Figure 4",
    description:
      "Softmax CE is unchanged when the same vector is added to every class weight, but each logit moves " +
      "by that vector's product with the features, which changes attributions. The probes below differ only " +
      "by such a shift; the GridPG of the same class differs.",
    keyHeaders: ["Dataset", "Backbone", "Pre-training", "Explainer", "Class", "Probe"],
    columns: [
      { header: "CE loss", csv: "ce_loss", digits: 4 },
      { header: "BCE loss", csv: "bce_loss", digits: 4 },
      { header: "Acc. (%)", csv: "accuracy", digits: 1 },
      { header: "GridPG (%)", csv: "gridpg", digits: 1 },
    ],
    rows,
    notes,
  };
}
