/**
 * The report: from a validated `results.json`, `report.md` re-making the paper's tables and figures
 * (BCE vs CE accuracy and GridPG, EPG by box size, deletion, Gini/entropy deltas, MLP probes, the
 * equivalent-probe demonstration, qualitative grids, loss curves, environment), one CSV per table under
 * `tables/` and the figures as PNG under `figures/`, embedded by relative path. Every number comes from
 * results.json; a cell without data is `—` and counted in a note under its table.
 *
 * @module
 */
import { writePng } from "../../core/io/png.ts";
import { joinPath, writeTextAtomic } from "../pipeline/fs.ts";
import { environmentMarkdown, stageTimingsCsv } from "./environment.ts";
import { accuracyScatterFigures } from "./figures/accuracy_scatter.ts";
import { deletionFigures } from "./figures/deletion_curves.ts";
import { epgBarFigures } from "./figures/epg_bars.ts";
import type { Figure } from "./figures/figure.ts";
import { gridpgBarFigures } from "./figures/gridpg_bars.ts";
import { lossCurveFigures } from "./figures/loss_curves.ts";
import { mlpFigures } from "./figures/mlp_scatter.ts";
import { qualitativeFigures } from "./figures/qualitative.ts";
import type { ResultsFile } from "./results.ts";
import { RunIndex } from "./run_index.ts";
import { renderCsv, renderMarkdownTable, type Table } from "./table.ts";
import { bceVsCeTable } from "./tables/bce_ce.ts";
import { complexityTable } from "./tables/complexity.ts";
import { deletionTable } from "./tables/deletion.ts";
import { epgTable } from "./tables/epg.ts";
import { equivalentProbesTable } from "./tables/equivalent.ts";
import { mlpTable } from "./tables/mlp.ts";

/** Options of {@link buildReport} / {@link writeReport}. */
export interface ReportOptions {
  /** Directory that relative qualitative files are resolved against (default `.`). */
  resultsDir?: string;
  /** Confidence level of the intervals (default 0.95). */
  confidence?: number;
  /** Figures shown directly per section; the rest go into a collapsed block (default 4). */
  inlineFigures?: number;
}

/** A built (not yet written) report. */
export interface Report {
  /** `report.md` text. */
  markdown: string;
  /** Tables (each written as `tables/<id>.csv`). */
  tables: Table[];
  /** Figures (each written at its `file`). */
  figures: Figure[];
  /** Problems met while building (unreadable qualitative cells). */
  problems: string[];
}

interface Section {
  anchor: string;
  heading: string;
  table?: Table;
  figures: Figure[];
  body?: string;
}

function figureMarkdown(figs: readonly Figure[], inline: number): string[] {
  if (figs.length === 0) return [];
  const md = (f: Figure) => `![${f.caption.replace(/[[\]]/g, "")}](${f.file})`;
  const out = ["", ...figs.slice(0, inline).map((f) => `${md(f)}\n`)];
  if (figs.length > inline) {
    out.push(
      `<details><summary>${figs.length - inline} more figure${figs.length - inline > 1 ? "s" : ""}</summary>`,
      "",
      ...figs.slice(inline).map((f) => `${md(f)}\n`),
      "</details>",
    );
  }
  return out;
}

/**
 * Builds the report in memory (tables, figures, Markdown).
 *
 * @example
 * ```ts ignore
 * const report = await buildReport(await readResults("runs/fmnist/results.json"), { resultsDir: "runs/fmnist" });
 * console.log(report.markdown.split("\n")[0]);
 * ```
 */
export async function buildReport(results: ResultsFile, opts: ReportOptions = {}): Promise<Report> {
  const idx = new RunIndex(results.runs, opts.confidence ?? 0.95);
  const inline = opts.inlineFigures ?? 4;
  const qual = await qualitativeFigures(results.qualitative ?? [], opts.resultsDir ?? ".");
  const sections: Section[] = [
    {
      anchor: "bce-vs-ce",
      heading: "BCE vs CE: accuracy and GridPG",
      table: bceVsCeTable(idx),
      figures: [...accuracyScatterFigures(idx), ...gridpgBarFigures(idx)],
    },
    { anchor: "epg", heading: "EPG by box size", table: epgTable(idx), figures: epgBarFigures(idx) },
    {
      anchor: "deletion",
      heading: "Pixel deletion",
      table: deletionTable(idx),
      figures: deletionFigures(idx),
    },
    { anchor: "complexity", heading: "Compactness and complexity", table: complexityTable(idx), figures: [] },
    { anchor: "mlp", heading: "MLP probes", table: mlpTable(idx), figures: mlpFigures(idx) },
    {
      anchor: "equivalent",
      heading: "Equivalent probes",
      table: equivalentProbesTable(results.equivalentProbes ?? []),
      figures: [],
    },
    {
      anchor: "qualitative",
      heading: "Qualitative examples",
      figures: qual.figures,
      body: (results.qualitative ?? []).length === 0
        ? "— : results.json has no qualitative grids."
        : "Signed maps: blue negative, white zero, red positive, scaled to the 99.5th percentile of |map|; B-cos " +
          "renderings are RGBA over white." + (qual.problems.length
            ? `\n\nCells not drawn (n/a):\n${qual.problems.map((p) => `- ${p}`).join("\n")}`
            : ""),
    },
    {
      anchor: "loss-curves",
      heading: "Training curves",
      figures: lossCurveFigures(results.lossCurves ?? []),
      body: (results.lossCurves ?? []).length === 0 ? "— : results.json has no loss curves." : undefined,
    },
    {
      anchor: "environment",
      heading: "Environment",
      figures: [],
      body: environmentMarkdown(results.environment),
    },
  ];
  const seeds = results.environment.seeds;
  const conf = Math.round((opts.confidence ?? 0.95) * 100);
  const md: string[] = [
    "# How to Probe: reproduction report",
    "",
    results.description ? `${results.description}.` : "",
    "",
    `Preset: ${results.preset ?? "—"}. Runs: ${results.runs.length}. Seeds: ${
      seeds.length ? seeds.join(", ") : "—"
    }.` +
    (results.createdAt ? ` Created: ${results.createdAt}.` : ""),
    "",
    `Cells are the mean over seeds ± the half-width of the ${conf}% Student-t confidence interval (a single ` +
    "seed shows the value alone); Δ columns are paired differences over the seeds both sides share. " +
    "`—` marks a value that results.json does not hold: nothing is estimated or filled in. Each table is also " +
    "a CSV under `tables/` (means, interval ends and seed counts).",
    "",
    ...(results.notes ?? []).map((n) => `> ${n}\n`),
    "## Contents",
    "",
    ...sections.map((s, i) =>
      `${i + 1}. [${s.heading}](#${i + 1}-${s.anchor})` + (s.table ? ` (${s.table.source})` : "")
    ),
    "",
  ];
  sections.forEach((s, i) => {
    md.push(`<a id="${i + 1}-${s.anchor}"></a>`, "", `## ${i + 1}. ${s.heading}`, "");
    if (s.table) {
      md.push(
        `*Re-makes: ${s.table.source}.* ${s.table.description}`,
        "",
        renderMarkdownTable(s.table),
        "",
        `CSV: [tables/${s.table.id}.csv](tables/${s.table.id}.csv)`,
      );
    }
    if (s.body) md.push("", s.body);
    md.push(...figureMarkdown(s.figures, inline), "");
  });
  const tables = sections.flatMap((s) => (s.table ? [s.table] : []));
  return {
    markdown: md.join("\n").replace(/\n{3,}/g, "\n\n"),
    tables,
    figures: sections.flatMap((s) => s.figures),
    problems: qual.problems,
  };
}

/**
 * Builds the report and writes `report.md`, `tables/*.csv` (plus `tables/stage_timings.csv`) and
 * `figures/*.png` under `outDir`, each atomically. Returns the written paths relative to `outDir`.
 *
 * @example
 * ```ts ignore
 * const files = await writeReport(results, "runs/fmnist", { resultsDir: "runs/fmnist" });
 * ```
 */
export async function writeReport(
  results: ResultsFile,
  outDir: string,
  opts: ReportOptions = {},
): Promise<string[]> {
  const report = await buildReport(results, opts);
  const written: string[] = [];
  await Deno.mkdir(joinPath(outDir, "figures"), { recursive: true });
  for (const t of report.tables) {
    await writeTextAtomic(joinPath(outDir, "tables", `${t.id}.csv`), renderCsv(t));
    written.push(`tables/${t.id}.csv`);
  }
  await writeTextAtomic(
    joinPath(outDir, "tables", "stage_timings.csv"),
    stageTimingsCsv(results.environment),
  );
  written.push("tables/stage_timings.csv");
  for (const f of report.figures) {
    await writePng(joinPath(outDir, f.file), f.canvas.toImage());
    written.push(f.file);
  }
  await writeTextAtomic(joinPath(outDir, "report.md"), report.markdown + "\n");
  written.push("report.md");
  return written;
}
