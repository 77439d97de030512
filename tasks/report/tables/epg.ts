/**
 * EPG by box size for linear probes, CE and BCE (the paper's Figure 2a and Table C2): one row per
 * (dataset, backbone, explainer, pre-training, loss) with the task score (F1 on multi-label data,
 * otherwise accuracy), EPG over all pairs and per disjoint box-area bin; BCE rows also show BCE - CE in
 * parentheses.
 *
 * @module
 */
import { displayName } from "../names.ts";
import type { RunMetrics } from "../results.ts";
import type { RunIndex } from "../run_index.ts";
import { pairedDelta } from "../stat.ts";
import type { Cell, Column, Row, Table } from "../table.ts";
import { taskScore } from "./common.ts";

/**
 * The header of a size bin: `<25%`, `25-50%`, ..., from its edges.
 *
 * @example
 * ```ts
 * import { binHeader } from "./epg.ts";
 * console.log(binHeader(0, 0.25), binHeader(0.75, 1)); // "<25%" "75-100%"
 * ```
 */
export function binHeader(lo: number, hi: number): string {
  const p = (v: number) => `${Math.round(v * 1000) / 10}`;
  return lo === 0 ? `<${p(hi)}%` : `${p(lo)}-${p(hi)}%`;
}

function binsOf(idx: RunIndex): { lo: number; hi: number }[] {
  const seen = new Map<string, { lo: number; hi: number }>();
  for (const r of idx.runs) {
    for (const b of r.metrics.epg?.bins ?? []) seen.set(`${b.lo}-${b.hi}`, { lo: b.lo, hi: b.hi });
  }
  return [...seen.values()].sort((a, b) => a.lo - b.lo || a.hi - b.hi);
}

/**
 * Builds the EPG-by-box-size table.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { epgTable } from "./epg.ts";
 * const base = { dataset: "voc", arch: "a", pretraining: "dino", probe: "linear", explainer: "lrp", seed: 0 };
 * const bins = (p: number) => [{ lo: 0, hi: 0.5, percent: p, count: 3 }, { lo: 0.5, hi: 1, percent: p + 20, count: 2 }];
 * const t = epgTable(new RunIndex([
 *   { ...base, loss: "ce", metrics: { f1: 60, epg: { overall: 30, bins: bins(20) } } },
 *   { ...base, loss: "bce", metrics: { f1: 61, epg: { overall: 35, bins: bins(26) } } },
 * ]));
 * console.log(t.rows[1].cells[2].stat?.mean, t.rows[1].cells[2].delta?.mean); // 26 6
 * ```
 */
export function epgTable(idx: RunIndex): Table {
  const bins = binsOf(idx);
  const columns: Column[] = [
    { header: "F1 / Acc. (%)", csv: "score", digits: 1 },
    { header: "EPG all (%)", csv: "epg_all", digits: 1 },
    ...bins.map((b) => ({
      header: `EPG ${binHeader(b.lo, b.hi)}`,
      csv: `epg_${Math.round(b.lo * 100)}_${Math.round(b.hi * 100)}`,
      digits: 1,
    })),
  ];
  const getters: ((m: RunMetrics) => number | null | undefined)[] = [
    (m) => m.epg?.overall,
    ...bins.map((b) => (m: RunMetrics) => m.epg?.bins.find((x) => x.lo === b.lo && x.hi === b.hi)?.percent),
  ];
  const rows: Row[] = [];
  const hasEpg = (r: { metrics: RunMetrics; explainer: string | null }) =>
    r.explainer !== null && r.metrics.epg != null;
  for (const dataset of idx.values("dataset", {}, hasEpg)) {
    for (const c of idx.combos(["arch", "explainer", "pretraining"], { dataset, probe: "linear" }, hasEpg)) {
      const key = { dataset, arch: c.arch, pretraining: c.pretraining, probe: "linear" };
      const losses = idx.values("loss", key);
      for (const loss of losses) {
        const score = idx.stat({ ...key, loss }, taskScore);
        const cells: Cell[] = [{ stat: score }];
        getters.forEach((get) => {
          const v = idx.stat({ ...key, loss, explainer: c.explainer }, get);
          if (loss === "bce") {
            const ref = idx.stat({ ...key, loss: "ce", explainer: c.explainer }, get);
            cells.push({ stat: v, delta: pairedDelta(ref, v, idx.confidence) });
          } else cells.push({ stat: v });
        });
        rows.push({
          keys: [
            displayName("dataset", dataset),
            displayName("arch", c.arch),
            displayName("explainer", c.explainer),
            displayName("pretraining", c.pretraining),
            displayName("loss", loss),
          ],
          cells,
        });
      }
    }
  }
  return {
    id: "epg_by_box_size",
    title: "EPG by box size, BCE vs CE (linear probes)",
    source: "Figure 2a, Table C2",
    description:
      "Energy pointing game: the share of positive attribution inside the union of the explained class's " +
      "boxes, per (image, present class), on the raw map. Bins are disjoint ranges of the boxes' area as a " +
      "fraction of the image. BCE rows show BCE - CE in parentheses (paired over seeds).",
    keyHeaders: ["Dataset", "Backbone", "Explainer", "Pre-training", "Loss"],
    columns,
    rows,
    notes: [
      "The paper's columns '<25%, <50%, <75%, <100%' are read as the disjoint size classes shown here.",
    ],
  };
}
