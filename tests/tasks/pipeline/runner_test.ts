import { assert, assertEquals, assertRejects } from "./assert.ts";
import {
  artifactDir,
  createProgress,
  PipelineError,
  type PipelineOptions,
  readDone,
  runPipeline,
  StageFailedError,
  stageKeys,
} from "../../../tasks/pipeline/mod.ts";
import { type ToyLog, toyPipeline } from "./toy_pipeline.ts";

const quiet = (out: string, extra: Partial<PipelineOptions> = {}): PipelineOptions => ({
  out,
  quiet: true,
  progress: null,
  ...extra,
});

async function artifacts(out: string, stages = toyPipeline({ calls: [] })) {
  const keys = await stageKeys(stages);
  const read = (name: string, file: string) =>
    Deno.readTextFile(`${artifactDir(out, name, keys.get(name)!)}/${file}`);
  return { results: await read("explain:sq", "results.json"), sum: await read("report", "sum.json"), keys };
}

Deno.test("stage keys: stable, and a config change moves the stage and everything downstream", async () => {
  const a = await stageKeys(toyPipeline({ calls: [] }));
  const b = await stageKeys(toyPipeline({ calls: [] }));
  assertEquals([...a.entries()], [...b.entries()]);
  const c = await stageKeys(toyPipeline({ calls: [] }, { power: 3 }));
  assertEquals(c.get("data"), a.get("data"));
  assert(c.get("explain:sq") !== a.get("explain:sq"));
  assert(c.get("report") !== a.get("report"), "a downstream key must change with its dependency");
  const d = await stageKeys(toyPipeline({ calls: [] }, { n: 8 }));
  assert([...d.keys()].every((k) => d.get(k) !== a.get(k)));
  assert(/^[0-9a-f]{64}$/.test(a.get("data")!));
});

Deno.test("a rerun skips finished stages; done.json records config, deps, seed, timings, versions", async () => {
  const out = await Deno.makeTempDir();
  const log: ToyLog = { calls: [] };
  const first = await runPipeline(toyPipeline(log), quiet(out));
  assertEquals(first.stages.map((s) => s.status), ["ran", "ran", "ran"]);
  assert(first.complete);
  assertEquals(log.calls.length, 1 + 7 + 3);
  const second = await runPipeline(toyPipeline(log), quiet(out));
  assertEquals(second.stages.map((s) => s.status), ["cached", "cached", "cached"]);
  assertEquals(log.calls.length, 11, "nothing recomputed");
  const keys = await stageKeys(toyPipeline(log));
  const done = (await readDone(artifactDir(out, "explain:sq", keys.get("explain:sq")!)))!;
  assertEquals(done.config, { power: 2 });
  assertEquals(done.deps, { data: keys.get("data")! });
  assertEquals(done.items, 7);
  assertEquals(done.versions.deno, Deno.version.deno);
  assert(done.timings.seconds >= 0 && typeof done.timings.startedAt === "string");
  const dataDone = (await readDone(artifactDir(out, "data", keys.get("data")!)))!;
  assertEquals(dataDone.seed, 3);
  assertEquals(dataDone.meta, { count: 7 });
  const runLog = await Deno.readTextFile(`${out}/run.log`);
  assert(runLog.includes("stage explain:sq: done") && runLog.includes("stage report: done (cached"));
  const pipeline = JSON.parse(await Deno.readTextFile(`${out}/pipeline.json`));
  assertEquals(pipeline.stages.map((s: { name: string }) => s.name), ["data", "explain:sq", "report"]);
});

Deno.test("an interrupted map stage resumes at the failed item and ends with the same result", async () => {
  const clean = await Deno.makeTempDir();
  await runPipeline(toyPipeline({ calls: [] }), quiet(clean));
  const out = await Deno.makeTempDir();
  const log: ToyLog = { calls: [] };
  const stages = toyPipeline(log, { failItem: 4 });
  const err = await assertRejects(() => runPipeline(stages, quiet(out)), StageFailedError);
  assertEquals((err as StageFailedError).stage, "explain:sq");
  assertEquals(log.calls, ["data", "item-0", "item-1", "item-2", "item-3"]);
  const keys = await stageKeys(stages);
  assertEquals(await readDone(artifactDir(out, "explain:sq", keys.get("explain:sq")!)), null);
  log.calls.length = 0;
  const r = await runPipeline(stages, quiet(out));
  assertEquals(r.stages.map((s) => s.status), ["cached", "ran", "ran"]);
  assertEquals(log.calls, ["item-4", "item-5", "item-6", "report:0", "report:1", "report:2"]);
  const a = await artifacts(clean), b = await artifacts(out);
  assertEquals(b.results, a.results);
  assertEquals(b.sum, a.sum);
  assert((await Deno.readTextFile(`${out}/run.log`)).includes("failed"));
});

Deno.test("a run stage interrupted midway resumes through ctx.item with the same result", async () => {
  const clean = await Deno.makeTempDir();
  await runPipeline(toyPipeline({ calls: [] }), quiet(clean));
  const out = await Deno.makeTempDir();
  const log: ToyLog = { calls: [] };
  const stages = toyPipeline(log, { failChunk: 1 });
  await assertRejects(() => runPipeline(stages, quiet(out)), StageFailedError, "boom at chunk 1");
  assertEquals(log.calls.filter((c) => c.startsWith("report")), ["report:0"]);
  log.calls.length = 0;
  await runPipeline(stages, quiet(out));
  assertEquals(log.calls, ["report:1", "report:2"]);
  assertEquals((await artifacts(out)).sum, (await artifacts(clean)).sum);
});

Deno.test("--only and --from select stages; unfinished deps outside the selection are an error", async () => {
  const out = await Deno.makeTempDir();
  const log: ToyLog = { calls: [] };
  await assertRejects(
    () => runPipeline(toyPipeline(log), quiet(out, { only: ["explain"] })),
    PipelineError,
    "needs data",
  );
  const r1 = await runPipeline(toyPipeline(log), quiet(out, { only: ["data", "explain"] }));
  assertEquals(r1.stages.map((s) => s.status), ["ran", "ran", "unselected"]);
  assert(
    !(await runPipeline(toyPipeline(log), quiet(out, { only: ["data"] }))).stages.some((s) =>
      s.status === "ran"
    ),
  );
  const r2 = await runPipeline(toyPipeline(log), quiet(out, { from: ["explain:sq"] }));
  assertEquals(r2.stages.map((s) => s.status), ["unselected", "cached", "ran"]);
  log.calls.length = 0;
  const r3 = await runPipeline(toyPipeline(log), quiet(out, { from: ["explain"], force: true }));
  assertEquals(r3.stages.map((s) => s.status), ["unselected", "ran", "ran"]);
  assertEquals(log.calls.length, 7 + 3, "--force recomputes the selected stages from scratch");
  await assertRejects(
    () => runPipeline(toyPipeline(log), quiet(out, { only: ["nope"] })),
    RangeError,
    "no stage matches 'nope'",
  );
});

Deno.test("sharded 1/2 + 2/2 + merge gives the same artifacts as an unsharded run", async () => {
  const plain = await Deno.makeTempDir();
  await runPipeline(toyPipeline({ calls: [] }), quiet(plain));
  const out = await Deno.makeTempDir();
  const log: ToyLog = { calls: [] };
  const s1 = await runPipeline(toyPipeline(log), quiet(out, { shard: { index: 0, count: 2 } }));
  assertEquals(s1.stages.map((s) => s.status), ["ran", "part", "waiting"]);
  assertEquals(log.calls, ["data", "item-0", "item-2", "item-4", "item-6"]);
  await assertRejects(
    () => runPipeline(toyPipeline(log), quiet(out, { merge: true })),
    PipelineError,
    "missing 2/2",
  );
  log.calls.length = 0;
  const s2 = await runPipeline(toyPipeline(log), quiet(out, { shard: { index: 1, count: 2 } }));
  assertEquals(s2.stages.map((s) => s.status), ["cached", "part", "waiting"]);
  assertEquals(log.calls, ["item-1", "item-3", "item-5"]);
  log.calls.length = 0;
  const m = await runPipeline(toyPipeline(log), quiet(out, { merge: true }));
  assertEquals(m.stages.map((s) => s.status), ["cached", "merged", "ran"]);
  assertEquals(log.calls, ["report:0", "report:1", "report:2"], "the merge computes no items");
  const a = await artifacts(plain), b = await artifacts(out);
  assertEquals(b.results, a.results);
  assertEquals(b.sum, a.sum);
  const done = (await readDone(artifactDir(out, "explain:sq", b.keys.get("explain:sq")!)))!;
  assertEquals([done.shards, done.items], [2, 7]);
  assert(done.timings.itemSeconds! >= 0);
  await assertRejects(
    () => runPipeline(toyPipeline(log), quiet(out, { shard: { index: 0, count: 2 }, force: true })),
    PipelineError,
  );
});

Deno.test("progress: plain lines with counts and ETA, a redrawn bar on a terminal", () => {
  const lines: string[] = [];
  let t = 0;
  const bar = createProgress({
    total: 10,
    start: 2,
    label: "explain:sq",
    sink: { write: (s) => lines.push(s), isTerminal: false },
    minIntervalMs: 0,
    now: () => t,
  });
  t = 2000;
  bar.tick(4);
  bar.done();
  assertEquals(lines[0], "explain:sq 2/10 20% -/s elapsed 0s ETA ?\n");
  assertEquals(lines[1], "explain:sq 6/10 60% 2.0/s elapsed 2s ETA 2s\n");
  const tty: string[] = [];
  const bar2 = createProgress({
    total: 4,
    label: "s",
    sink: { write: (s) => tty.push(s), isTerminal: true },
    now: () => 0,
  });
  bar2.tick(2);
  bar2.done();
  assert(tty[1].startsWith("\rs [############............] 2/4 50%"));
  assert(tty.at(-1)!.endsWith("\n"));
});
