import assert from "node:assert/strict";
import { readPng } from "../../../core/io/png.ts";
import { ConfigError } from "../../../tasks/pipeline/schema.ts";
import { main as reportMain } from "../../../tasks/report/cli.ts";
import { runPipeline } from "../../../tasks/pipeline/runner.ts";
import {
  buildReport,
  readResults,
  stageTimings,
  validateResults,
  writeReport,
  writeResults,
} from "../../../tasks/report/mod.ts";
import { toyPipeline } from "../pipeline/toy_pipeline.ts";
import { fixtureResults } from "./fixture.ts";

/** The Markdown row whose leading cells are `keys`. */
function mdRow(md: string, ...keys: string[]): string[] {
  const line = md.split("\n").find((l) => l.startsWith(`| ${keys.join(" | ")} |`));
  assert.ok(line, `no row starting with ${keys.join(" | ")}`);
  return line.split(" | ").map((c) => c.replace(/^\| |\s*\|$/g, "").trim());
}

/** CSV rows as objects. */
function csv(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trim().split("\n");
  const cols = head.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [cols[i], v])));
}

Deno.test("report: table cells in Markdown and CSV match hand-computed values", async () => {
  const out = await Deno.makeTempDir();
  const files = await writeReport(validateResults(fixtureResults()), out, { resultsDir: out });
  const md = await Deno.readTextFile(`${out}/report.md`);

  // BCE vs CE (Figure 5 / Table E2): t(0.975, 2) = 4.3027; values 70/72/74 -> 72.0 ± 5.0.
  const r = mdRow(md, "Fashion-MNIST", "ResNet-small", "DINO", "LRP");
  assert.deepEqual(r.slice(4), [
    "72.0 ± 5.0",
    "73.0 ± 5.0",
    "+1.0 ± 0.0",
    "42.0 ± 5.0",
    "83.0 ± 7.5",
    "+41.0 ± 2.5",
    "30.0 ± 0.0",
    "—",
    "—",
  ]);
  const b = mdRow(md, "Fashion-MNIST", "B-cos ResNet-small", "DINO", "B-cos");
  assert.deepEqual(b.slice(4), ["68.0", "—", "—", "50.0", "—", "—", "—", "—", "—"]);
  assert.ok(md.includes("—: 9 cells have no value in results.json"));
  const t1 = csv(await Deno.readTextFile(`${out}/tables/bce_vs_ce_gridpg.csv`));
  const row = t1.find((x) => x.backbone === "ResNet-small")!;
  assert.equal(row.acc_ce_mean, "72");
  assert.equal(Number(row.acc_ce_ci_low).toFixed(4), (72 - 4.302652729749464 * 2 / Math.sqrt(3)).toFixed(4));
  assert.equal(row.gridpg_2x2_delta_mean, "41");
  assert.equal(row.gridpg_2x2_delta_n, "3");
  assert.equal(row.gridpg_3x3_bce_mean, "");
  assert.equal(t1.find((x) => x.backbone === "B-cos ResNet-small")!.acc_ce_n, "1");

  // EPG by box size (Figure 2a / Table C2): BCE rows carry BCE - CE in parentheses.
  assert.deepEqual(mdRow(md, "FMNIST scenes", "ResNet-small", "LRP", "DINO", "CE").slice(5), [
    "60.0",
    "30.0",
    "20.0",
    "25.0",
    "—",
    "40.0",
  ]);
  assert.deepEqual(
    mdRow(md, "FMNIST scenes", "ResNet-small", "LRP", "DINO", "BCE").slice(5),
    ["61.0", "36.0 (+6.0)", "26.0 (+6.0)", "30.0 (+5.0)", "—", "45.0 (+5.0)"],
  );
  assert.ok(md.includes("| EPG <25% | EPG 25-50% | EPG 50-75% | EPG 75-100% |"));
  const epg = csv(await Deno.readTextFile(`${out}/tables/epg_by_box_size.csv`));
  assert.equal(epg.find((x) => x.loss === "BCE")!.epg_0_25_delta_mean, "6");

  // Deletion AUC (Figure 2b): CE 0.4/0.5/0.6, BCE 0.7.
  assert.deepEqual(mdRow(md, "Fashion-MNIST", "ResNet-small", "DINO", "Linear", "LRP").slice(5), [
    "0.500 ± 0.248",
    "0.700 ± 0.000",
    "+0.200 ± 0.248",
  ]);

  // Gini / entropy deltas (Table E1).
  const e1 = csv(await Deno.readTextFile(`${out}/tables/complexity_compactness.csv`));
  assert.equal(Number(e1[0].entropy_delta_mean), -2);
  assert.equal(Number(e1[0].gini_delta_mean).toFixed(6), "0.200000");
  assert.equal(e1[0].gini_ce_mean, "0.3");
  assert.ok(md.includes("| 72.0 ± 5.0 | 73.0 ± 5.0 | -2.00 ± 0.00 | +0.20 ± 0.00 |"));

  // MLP probes (Figure 8 / Table C3): B-cos MLP-3 vs linear, BCE.
  const mlp = mdRow(md, "Fashion-MNIST", "ResNet-small", "DINO", "LRP", "BCE", "B-cos MLP-3");
  assert.deepEqual(mlp.slice(6), ["GridPG 2x2", "77.0 ± 2.5", "+4.0 ± 2.5", "91.0 ± 2.5", "+8.0 ± 5.0"]);
  assert.deepEqual(mdRow(md, "Fashion-MNIST", "ResNet-small", "DINO", "LRP", "BCE", "Linear").slice(7), [
    "73.0 ± 5.0",
    "",
    "83.0 ± 7.5",
    "",
  ]);

  // Figure 4 demonstration.
  assert.deepEqual(mdRow(md, "Fashion-MNIST", "ResNet-small", "DINO", "LRP", "Trouser", "probe 2").slice(6), [
    "0.4321",
    "1.9000",
    "80.0",
    "11.9",
  ]);
  assert.ok(md.includes("shift norm |dw| = 2.50"));

  // Environment, figures, qualitative problems.
  assert.ok(md.includes("- Adapter: llvmpipe (software adapter), vendor mesa"));
  assert.ok(md.includes("| probe:linear | ran | 2m05s |  |"));
  assert.ok(md.includes("| total | | 2m35s | |"));
  assert.ok(md.includes("'LRP, CE vs BCE' row 2, column 2"), "the unreadable qualitative cell is reported");
  for (const f of files.filter((f) => f.endsWith(".png"))) {
    assert.ok(md.includes(`](${f})`), `${f} is embedded`);
    const img = await readPng(`${out}/${f}`);
    assert.ok(img.width > 100 && img.height > 100);
  }
  for (
    const prefix of [
      "figures/fig5_",
      "figures/gridpg_",
      "figures/fig2a_",
      "figures/fig2b_",
      "figures/fig8_",
      "figures/qualitative_1",
      "figures/loss_probe",
    ]
  ) {
    assert.ok(files.some((f) => f.startsWith(prefix)), `a ${prefix} figure`);
  }
  assert.equal(csv(await Deno.readTextFile(`${out}/tables/stage_timings.csv`))[1].items, "12");
});

Deno.test("report: an empty results file renders every section with — and no invented numbers", async () => {
  const empty = validateResults({
    format: "howtoprobe.results/1",
    environment: { adapter: null, versions: {}, seeds: [], stages: [] },
    runs: [],
  });
  const { markdown, figures } = await buildReport(empty);
  assert.equal(figures.length, 0);
  assert.ok(markdown.includes("- —: results.json has no runs for this table."));
  assert.equal(markdown.match(/results\.json has no runs for this table/g)!.length, 6);
  assert.ok(!/\d+\.\d ± /.test(markdown));
  assert.ok(markdown.includes("- Adapter: — (not recorded)"));
});

Deno.test("results.json validation names the bad field", () => {
  const bad = (edit: (r: ReturnType<typeof fixtureResults>) => void, message: string) => {
    const r = structuredClone(fixtureResults());
    edit(r);
    assert.throws(
      () => validateResults(r),
      (e: Error) => e instanceof ConfigError && e.message.includes(message),
    );
  };
  bad(
    (r) => (r.runs[0].metrics.gridpg!["2x2"] = 120),
    "'runs[0].metrics.gridpg.2x2': expected number >= 0, <= 100 or null, got 120",
  );
  bad(
    (r) => ((r.runs[1] as unknown as Record<string, unknown>).loss = "mse"),
    "'runs[1].loss': expected one of ce, bce",
  );
  bad((r) => r.runs.push(structuredClone(r.runs[0])), "same key as runs[0]");
  bad(
    (r) => (r.runs[0].metrics.deletion!.curve = [1]),
    "'runs[0].metrics.deletion.curve': 1 values for 3 fractions",
  );
  bad((r) => ((r as unknown as Record<string, unknown>).format = "v0"), "'format'");
  bad(
    (r) => (r.qualitative![0].cells[0][0] = { kind: "signed", shape: [2, 2] }),
    "'qualitative[0].cells[0][0]': needs `data` or `file`",
  );
});

Deno.test("report CLI writes into the results file's directory", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/results.json`, JSON.stringify(fixtureResults()));
  const log = console.log;
  console.log = () => {};
  try {
    assert.equal(await reportMain(["--results", `${dir}/results.json`]), 0);
  } finally {
    console.log = log;
  }
  assert.ok((await Deno.readTextFile(`${dir}/report.md`)).startsWith("# How to Probe: reproduction report"));
});

Deno.test("writeResults stores NaN as null; stageTimings reads a pipeline run's markers", async () => {
  const dir = await Deno.makeTempDir();
  const r = fixtureResults();
  r.runs[0].metrics.gini = NaN;
  const written = await writeResults(`${dir}/results.json`, r);
  assert.equal(written.runs[0].metrics.gini, null);
  assert.equal((await readResults(`${dir}/results.json`)).runs[0].metrics.gini, null);
  const run = await runPipeline(toyPipeline({ calls: [] }), {
    out: `${dir}/run`,
    quiet: true,
    progress: null,
  });
  const timings = await stageTimings(run.stages);
  assert.deepEqual(timings.map((t) => [t.stage, t.status, t.items]), [["data", "ran", undefined], [
    "explain:sq",
    "ran",
    7,
  ], [
    "report",
    "ran",
    undefined,
  ]]);
  assert.ok(timings.every((t) => t.seconds >= 0 && t.key!.length === 64));
});
