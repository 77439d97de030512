/**
 * The report's table model and its two renderings: Markdown (formatted `mean ± CI`, `—` for missing
 * cells, a note counting them) and CSV (one column per number: mean, CI ends and seed count of every
 * metric column, empty where missing, full precision).
 *
 * @module
 */
import { formatStat, MISSING, type Stat } from "./stat.ts";

/** A metric column. */
export interface Column {
  /** Markdown header. */
  header: string;
  /** CSV column stem (default: the header slugged). */
  csv?: string;
  /** Decimals in Markdown. */
  digits: number;
  /** Prefix `+` to non-negative values (deltas). */
  signed?: boolean;
  /** Show in Markdown (default true; CSV always has every column). */
  markdown?: boolean;
}

/** A cell: a value and, optionally, a delta shown in parentheses after it. */
export interface Cell {
  /** The value (null: missing). */
  stat: Stat | null;
  /** A difference to a reference row (BCE - CE, MLP - linear), shown as `(+1.8)`. */
  delta?: Stat | null;
  /** Not applicable (e.g. a Δ on the reference row itself): blank, not counted as missing. */
  na?: boolean;
}

/** A row: key texts and cells. */
export interface Row {
  /** One text per key column. */
  keys: string[];
  /** One cell per metric column. */
  cells: Cell[];
}

/** A table of the report. */
export interface Table {
  /** File stem of its CSV (`tables/<id>.csv`). */
  id: string;
  /** Title. */
  title: string;
  /** What it re-makes (e.g. `Figure 5, Table E2`). */
  source: string;
  /** One paragraph on what it shows and how it is computed. */
  description: string;
  /** Key column headers. */
  keyHeaders: string[];
  /** Metric columns. */
  columns: Column[];
  /** Rows. */
  rows: Row[];
  /** Notes under the table. */
  notes: string[];
}

/**
 * A CSV column stem from a header: lower case, `Δ` -> `delta_`, other non-alphanumerics -> `_`.
 *
 * @example
 * ```ts
 * import { slug } from "./table.ts";
 * console.log(slug("Δ GridPG 2x2 (%)")); // "delta_gridpg_2x2"
 * ```
 */
export function slug(header: string): string {
  return header.replace(/Δ\s*/g, "delta_").toLowerCase().replace(/%/g, "").replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

function cellText(c: Cell, col: Column): string {
  if (c.na) return "";
  const v = formatStat(c.stat, col.digits, col.signed);
  if (c.delta === undefined || c.stat === null) return v;
  return `${v} (${c.delta ? formatStat({ ...c.delta, n: 1 }, col.digits, true) : MISSING})`;
}

/**
 * Counts missing cells (value null, not marked `na`) in the Markdown columns.
 *
 * @example
 * ```ts
 * import { missingCells } from "./table.ts";
 * console.log(missingCells({ id: "t", title: "", source: "", description: "", keyHeaders: ["k"],
 *   columns: [{ header: "a", digits: 1 }], rows: [{ keys: ["x"], cells: [{ stat: null }] }], notes: [] })); // 1
 * ```
 */
export function missingCells(t: Table): number {
  let n = 0;
  for (const r of t.rows) {
    r.cells.forEach((c, i) => {
      if (t.columns[i].markdown !== false && c.stat === null && !c.na) n++;
    });
  }
  return n;
}

const esc = (s: string) => s.replace(/\|/g, "\\|");

/**
 * The table as Markdown (header, rows, then its notes and a note on missing cells).
 *
 * @example
 * ```ts
 * import { renderMarkdownTable } from "./table.ts";
 * import { statOf } from "./stat.ts";
 * const md = renderMarkdownTable({ id: "t", title: "T", source: "", description: "", keyHeaders: ["probe"],
 *   columns: [{ header: "Acc. (%)", digits: 1 }], rows: [{ keys: ["linear"], cells: [{ stat: statOf(new Map([[0, 71.25]])) }] }], notes: [] });
 * console.log(md.split("\n")[2]); // "| linear | 71.3 |"
 * ```
 */
export function renderMarkdownTable(t: Table): string {
  const cols = t.columns.map((c, i) => [c, i] as const).filter(([c]) => c.markdown !== false);
  const lines = [
    `| ${[...t.keyHeaders, ...cols.map(([c]) => c.header)].map(esc).join(" | ")} |`,
    `| ${[...t.keyHeaders.map(() => "---"), ...cols.map(() => "---:")].join(" | ")} |`,
  ];
  for (const r of t.rows) {
    lines.push(`| ${[...r.keys, ...cols.map(([c, i]) => cellText(r.cells[i], c))].map(esc).join(" | ")} |`);
  }
  if (t.rows.length === 0) {
    lines.push(
      `| ${[...t.keyHeaders, ...cols.map(() => "")].map((_, i) => (i === 0 ? MISSING : "")).join(" | ")} |`,
    );
  }
  const notes = [...t.notes];
  const missing = missingCells(t);
  if (t.rows.length === 0) notes.push(`${MISSING}: results.json has no runs for this table.`);
  else if (missing > 0) {
    notes.push(
      `${MISSING}: ${missing} cell${
        missing > 1 ? "s have" : " has"
      } no value in results.json (not run, or not measured); nothing is filled in.`,
    );
  }
  return [...lines, ...(notes.length ? ["", ...notes.map((n) => `- ${n}`)] : [])].join("\n");
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function num(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "" : String(v);
}

/**
 * The table as CSV: key columns, then `<stem>_mean, <stem>_ci_low, <stem>_ci_high, <stem>_n` per metric
 * column (plus the same four for `<stem>_delta` where the column has deltas). Empty fields are missing.
 *
 * @example
 * ```ts
 * import { renderCsv } from "./table.ts";
 * import { statOf } from "./stat.ts";
 * const csv = renderCsv({ id: "t", title: "T", source: "", description: "", keyHeaders: ["probe"],
 *   columns: [{ header: "Acc. (%)", digits: 1 }], rows: [{ keys: ["linear"], cells: [{ stat: statOf(new Map([[0, 71.25]])) }] }], notes: [] });
 * console.log(csv.split("\n")[1]); // "linear,71.25,,,1"
 * ```
 */
export function renderCsv(t: Table): string {
  const hasDelta = t.columns.map((_, i) => t.rows.some((r) => r.cells[i].delta !== undefined));
  const header = [...t.keyHeaders.map(slug)];
  t.columns.forEach((c, i) => {
    const stem = c.csv ?? slug(c.header);
    header.push(`${stem}_mean`, `${stem}_ci_low`, `${stem}_ci_high`, `${stem}_n`);
    if (hasDelta[i]) {
      header.push(`${stem}_delta_mean`, `${stem}_delta_ci_low`, `${stem}_delta_ci_high`, `${stem}_delta_n`);
    }
  });
  const lines = [header.join(",")];
  for (const r of t.rows) {
    const f = r.keys.map(csvField);
    r.cells.forEach((c, i) => {
      const s = c.stat;
      f.push(num(s?.mean), num(s?.ciLow), num(s?.ciHigh), s ? String(s.n) : "");
      if (hasDelta[i]) {
        const d = c.delta ?? null;
        f.push(num(d?.mean), num(d?.ciLow), num(d?.ciHigh), d ? String(d.n) : "");
      }
    });
    lines.push(f.join(","));
  }
  return lines.join("\n") + "\n";
}
