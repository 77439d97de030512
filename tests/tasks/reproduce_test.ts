import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import "../../core/ops/mod.ts";
import { readPng } from "../../core/io/png.ts";
import { readSafetensors, writeSafetensors } from "../../core/io/safetensors.ts";
import { buildBackbone } from "../../core/train/arch.ts";
import { readStateDict } from "../../core/train/readback.ts";

await initGpu();

const TASK = new URL("../../tasks/reproduce.ts", import.meta.url).pathname;
const REPORT_TASK = new URL("../../tasks/report/cli.ts", import.meta.url).pathname;

async function run(args: string[], env: Record<string, string> = {}, task = TASK) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", task, ...args],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A micro version of the smoke preset: one backbone, CE and BCE linear probes, one explainer. */
const MICRO = [
  "--preset",
  "smoke",
  "--set",
  'backbones=[{"arch":"resnet_tiny","pretraining":"supervised","checkpoint":null}]',
  "--set",
  "data.trainLimit=128",
  "--set",
  "data.testLimit=64",
  "--set",
  "pretrain.epochs=1",
  "--set",
  "probe.probes=linear",
  "--set",
  "probe.epochs=2",
  "--set",
  "explain.explainers=ixg",
  "--set",
  "evaluate.gridpg.grids=2",
  "--set",
  "evaluate.gridpg.minConfidence=0",
  "--set",
  "evaluate.epg.images=4",
  "--set",
  "evaluate.deletion.images=4",
  "--set",
  "evaluate.complexity.images=4",
];

/**
 * MICRO with probes trained just enough that four classes have correctly classified test images, so
 * GridPG grids exist (the explain stage and Figure 4's equivalent probes score them).
 */
const MICRO_TRAINED = [
  ...MICRO,
  "--set",
  "data.trainLimit=256",
  "--set",
  "probe.epochs=6",
  "--set",
  "probe.lr=0.05",
];

Deno.test("reproduce: a micro matrix runs end to end, writes results.json and the report, and a rerun skips every stage", async () => {
  const out = await Deno.makeTempDir();
  const first = await run([...MICRO_TRAINED, "--out", out]);
  assert.equal(first.code, 0, first.stderr);
  const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  assert.equal(results.runs.length, 2); // linear-CE and linear-BCE, explainer ixg
  for (const r of results.runs) {
    assert.equal(r.explainer, "ixg");
    assert.ok(r.metrics.accuracy > 0 && r.metrics.accuracy <= 100, `accuracy ${r.metrics.accuracy}`);
    assert.ok(
      r.metrics.gridpg["2x2"] >= 0 && r.metrics.gridpg["2x2"] <= 100,
      JSON.stringify(r.metrics.gridpg),
    );
    assert.ok(r.metrics.deletion.curve.length === 11 && Number.isFinite(r.metrics.deletion.auc));
    assert.ok(Number.isFinite(r.metrics.gini) && Number.isFinite(r.metrics.entropy));
    assert.ok(r.metrics.epg.overall === null || (r.metrics.epg.overall >= 0 && r.metrics.epg.overall <= 100));
  }
  const report = await Deno.readTextFile(`${out}/report.md`);
  assert.match(report, /BCE/);
  assert.match(report, /llvmpipe|adapter/i);
  await checkReportExtras(out, results, report);
  const second = await run([...MICRO_TRAINED, "--out", out]);
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /: start \(/, "every stage is cached on the rerun");
  await Deno.remove(out, { recursive: true });
});

/** Copies a directory tree. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** The qualitative grid, loss curves and Figure 4 probes of the micro run, and the report built from them. */
async function checkReportExtras(
  out: string,
  // deno-lint-ignore no-explicit-any
  results: any,
  report: string,
): Promise<void> {
  // Qualitative: one grid (one backbone), 4 rows (smoke's qualitativeImages), input + CE IxG + BCE IxG.
  assert.equal(results.qualitative?.length, 1, "one qualitative grid");
  const grid = results.qualitative[0];
  assert.equal(grid.rowLabels.length, 4);
  assert.deepEqual(grid.colLabels, ["Input", "CE IxG", "BCE IxG"]);
  for (const row of grid.cells) {
    assert.equal(row.length, 3);
    assert.deepEqual(row.map((c: { kind: string }) => c.kind), ["image", "signed", "signed"]);
    for (const cell of row) {
      assert.ok(!cell.file.startsWith("/"), `relative path ${cell.file}`);
      const png = await readPng(`${out}/${cell.file}`);
      assert.deepEqual([png.width, png.height], [28, 28], cell.file);
    }
  }
  // The CE and BCE maps of the same image differ (different probes), and so do the rows.
  const bytes = async (f: string) => (await readPng(`${out}/${f}`)).data.join(",");
  assert.notEqual(await bytes(grid.cells[0][1].file), await bytes(grid.cells[0][2].file));
  assert.notEqual(await bytes(grid.cells[0][0].file), await bytes(grid.cells[1][0].file));
  // Loss curves: the pretrain run and both probes, as long as their histories.
  const pipeline = JSON.parse(await Deno.readTextFile(`${out}/pipeline.json`));
  const dirOf = (name: string) => pipeline.stages.find((s: { name: string }) => s.name === name).dir;
  const curves = results.lossCurves;
  for (
    const [group, stage] of [
      ["pretrain", "pretrain:resnet_tiny.supervised"],
      ["probe", "probe:resnet_tiny.supervised.linear.ce.s0"],
      ["probe", "probe:resnet_tiny.supervised.linear.bce.s0"],
    ]
  ) {
    const history = JSON.parse(await Deno.readTextFile(`${dirOf(stage)}/run/history.json`));
    const found = curves.filter((c: { group: string; loss: unknown[] }) =>
      c.group === group && c.loss.length === history.losses.length
    );
    assert.ok(
      history.losses.length > 0 && found.length >= 1,
      `${stage}: a curve of ${history.losses.length} steps`,
    );
  }
  assert.equal(curves.length, 3);
  // Figure 4: same CE loss and accuracy, different maps.
  assert.equal(results.equivalentProbes?.length, 1);
  const eq = results.equivalentProbes[0];
  assert.equal(eq.explainer, "ixg");
  const [a, b] = eq.probes;
  assert.ok(Math.abs(a.ceLoss - b.ceLoss) <= 1e-4, `CE ${a.ceLoss} vs ${b.ceLoss}`);
  assert.equal(a.accuracy, b.accuracy);
  assert.ok(Math.abs(a.bceLoss - b.bceLoss) > 1e-3, `BCE ${a.bceLoss} vs ${b.bceLoss}`);
  const art = JSON.parse(
    await Deno.readTextFile(`${dirOf("equivalent:resnet_tiny.supervised.linear.ce.s0")}/equivalent.json`),
  );
  assert.ok(art.items[0].maxAbsDiff > 0.1 * art.items[0].maxAbs, JSON.stringify(art.items[0]));
  assert.ok(a.gridpg !== null && b.gridpg !== null, `GridPG ${a.gridpg} vs ${b.gridpg}`);
  // The report shows them, also when built from a copy of results.json and qualitative/ elsewhere.
  assert.doesNotMatch(report, /has no qualitative grids|has no loss curves/);
  assert.match(report, /probe 2 \(shifted\)/);
  const copy = await Deno.makeTempDir();
  await Deno.copyFile(`${out}/results.json`, `${copy}/results.json`);
  await copyTree(`${out}/qualitative`, `${copy}/qualitative`);
  const rep = await run(["--results", `${copy}/results.json`], {}, REPORT_TASK);
  assert.equal(rep.code, 0, rep.stderr);
  const copied = await Deno.readTextFile(`${copy}/report.md`);
  assert.doesNotMatch(copied, /Cells not drawn|has no qualitative grids/);
  assert.ok((await Deno.stat(`${copy}/figures/qualitative_1.png`)).isFile);
  await Deno.remove(copy, { recursive: true });
}

Deno.test("reproduce: a backbone given by a checkpoint is imported by its pretrain stage (no training); a missing one names the path", async () => {
  const out = await Deno.makeTempDir();
  const src = `${out}/released.safetensors`;
  const bb = buildBackbone({ name: "resnet_tiny", seed: 5 });
  const weights = await readStateDict(bb.module.stateDict());
  bb.module.dispose();
  await writeSafetensors(src, new Map([...weights].map(([k, t]) => [`module.${k}`, t])));
  const backbones = (path: string) =>
    `backbones=[{"arch":"resnet_tiny","pretraining":"byol","checkpoint":"${path}"}]`;
  const r = await run([...MICRO, "--set", backbones(src), "--only", "pretrain", "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  const runs: string[] = [];
  for await (const kind of Deno.readDir(`${out}/artifacts`)) {
    for await (const h of Deno.readDir(`${out}/artifacts/${kind.name}`)) {
      const dir = `${out}/artifacts/${kind.name}/${h.name}/run`;
      if (await Deno.stat(`${dir}/backbone.json`).catch(() => null)) runs.push(dir);
    }
  }
  assert.equal(runs.length, 1);
  const record = JSON.parse(await Deno.readTextFile(`${runs[0]}/backbone.json`));
  assert.equal(record.method, "byol");
  assert.equal(record.run.importedFrom, src);
  const imported = await readSafetensors(`${runs[0]}/backbone.safetensors`);
  for (const [k, t] of weights) assert.deepEqual(imported.get(k)!.data, t.data, k);
  const missing = await run([...MICRO, "--set", backbones(`${out}/nope.pth`), "--out", out]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nope\.pth does not exist/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("reproduce: without a WebGPU adapter it prints one actionable line and exits 1, no stack trace", async () => {
  const r = await run([...MICRO, "--out", await Deno.makeTempDir()], { DENO_WEBGPU_BACKEND: "metal" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no WebGPU adapter is available/);
  assert.match(r.stderr, /mesa-vulkan-drivers/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

Deno.test("reproduce: --help exits 0; a bad field exits 2 naming it; --print-config shows the preset", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--preset/);
  const bad = await run(["--set", "probe.losses=ce,mse"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /probe\.losses/);
  const cfg = await run(["--preset", "smoke", "--print-config"]);
  assert.equal(cfg.code, 0);
  assert.equal(JSON.parse(cfg.stdout).name, "smoke");
});
