/**
 * The effect of MLP probes (the paper's Figure 8, Figures E7/E8/E16-E19 and Table C3): per (dataset,
 * backbone, pre-training, explainer, loss), the linear probe and each MLP probe with the task score
 * (accuracy, or F1 on multi-label data) and the localisation score (GridPG on the smallest grid for
 * single-label data, EPG overall for multi-label data), and both differences to the linear probe,
 * paired over seeds.
 *
 * @module
 */
import { displayName } from "../names.ts";
import type { RunMetrics } from "../results.ts";
import type { RunIndex } from "../run_index.ts";
import { pairedDelta } from "../stat.ts";
import type { Row, Table } from "../table.ts";
import { gridpgOf, gridSizes, taskScore } from "./common.ts";

/** How localisation is measured on a dataset. */
export interface LocMetric {
  /** Display name (`GridPG 2x2`, `EPG`). */
  name: string;
  /** Getter. */
  get: (m: RunMetrics) => number | null | undefined;
}

/**
 * The localisation metric of a dataset: GridPG on the smallest grid when any run has GridPG, else EPG.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { locMetric } from "./mlp.ts";
 * const idx = new RunIndex([{ dataset: "d", arch: "a", pretraining: "p", probe: "linear", loss: "bce", explainer: "bcos", seed: 0, metrics: { gridpg: { "3x3": 50, "2x2": 70 } } }]);
 * console.log(locMetric(idx, "d").name); // "GridPG 2x2"
 * ```
 */
export function locMetric(idx: RunIndex, dataset: string): LocMetric {
  const sizes = gridSizes(idx, dataset);
  if (sizes.length > 0) return { name: `GridPG ${sizes[0]}`, get: gridpgOf(sizes[0]) };
  return { name: "EPG", get: (m) => m.epg?.overall };
}

/**
 * Builds the MLP-probe table.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { mlpTable } from "./mlp.ts";
 * const base = { dataset: "d", arch: "a", pretraining: "dino", loss: "bce" as const, explainer: "bcos", seed: 0 };
 * const t = mlpTable(new RunIndex([
 *   { ...base, probe: "linear", metrics: { accuracy: 70, gridpg: { "2x2": 70 } } },
 *   { ...base, probe: "bcos_mlp3", metrics: { accuracy: 73, gridpg: { "2x2": 89 } } },
 * ]));
 * console.log(t.rows[1].cells.map((c) => c.stat?.mean)); // [73, 3, 89, 19]
 * ```
 */
export function mlpTable(idx: RunIndex): Table {
  const rows: Row[] = [];
  const withExpl = (r: { explainer: string | null }) => r.explainer !== null;
  const locNotes: string[] = [];
  for (const dataset of idx.values("dataset", {}, withExpl)) {
    const loc = locMetric(idx, dataset);
    let used = false;
    for (const c of idx.combos(["arch", "pretraining", "explainer", "loss"], { dataset }, withExpl)) {
      const key = { dataset, arch: c.arch, pretraining: c.pretraining, loss: c.loss };
      const probes = idx.values("probe", { ...key, explainer: c.explainer });
      if (!probes.some((p) => p !== "linear")) continue;
      used = true;
      const score = (probe: string) => idx.stat({ ...key, probe }, taskScore);
      const locOf = (probe: string) => idx.stat({ ...key, probe, explainer: c.explainer }, loc.get);
      const linScore = score("linear"), linLoc = locOf("linear");
      for (const probe of probes.includes("linear") ? probes : ["linear", ...probes]) {
        const s = score(probe), l = locOf(probe);
        const isLin = probe === "linear";
        rows.push({
          keys: [
            displayName("dataset", dataset),
            displayName("arch", c.arch),
            displayName("pretraining", c.pretraining),
            displayName("explainer", c.explainer),
            displayName("loss", c.loss),
            displayName("probe", probe),
            loc.name,
          ],
          cells: [
            { stat: s },
            isLin ? { stat: null, na: true } : { stat: pairedDelta(linScore, s, idx.confidence) },
            { stat: l },
            isLin ? { stat: null, na: true } : { stat: pairedDelta(linLoc, l, idx.confidence) },
          ],
        });
      }
    }
    if (used) locNotes.push(`${displayName("dataset", dataset)}: localisation = ${loc.name}.`);
  }
  return {
    id: "mlp_probes",
    title: "Effect of MLP probes: task score and localisation vs the linear probe",
    source: "Figure 8, Figures E7, E8, E16-E19, Table C3",
    description:
      "Linear probes against 2- and 3-layer MLP probes (conventional: conv-BN-ReLU; B-cos: B-cos layers) on " +
      "the same frozen backbone. Δ = MLP - linear with the same loss, paired over seeds (blank on the linear " +
      "rows).",
    keyHeaders: ["Dataset", "Backbone", "Pre-training", "Explainer", "Loss", "Probe", "Loc. metric"],
    columns: [
      { header: "Acc./F1 (%)", csv: "score", digits: 1 },
      { header: "Δ Acc./F1", csv: "score_delta", digits: 1, signed: true },
      { header: "Loc. (%)", csv: "loc", digits: 1 },
      { header: "Δ Loc.", csv: "loc_delta", digits: 1, signed: true },
    ],
    rows,
    notes: locNotes,
  };
}
