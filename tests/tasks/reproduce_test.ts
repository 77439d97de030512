import assert from "node:assert/strict";
import { initGpu } from "../../core/gpu/device.ts";
import "../../core/ops/mod.ts";
import { readSafetensors, writeSafetensors } from "../../core/io/safetensors.ts";
import { buildBackbone } from "../../core/train/arch.ts";
import { readStateDict } from "../../core/train/readback.ts";

await initGpu();

const TASK = new URL("../../tasks/reproduce.ts", import.meta.url).pathname;

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, ...args],
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

Deno.test("reproduce: a micro matrix runs end to end, writes results.json and the report, and a rerun skips every stage", async () => {
  const out = await Deno.makeTempDir();
  const first = await run([...MICRO, "--out", out]);
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
  const second = await run([...MICRO, "--out", out]);
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /: start \(/, "every stage is cached on the rerun");
  await Deno.remove(out, { recursive: true });
});

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
