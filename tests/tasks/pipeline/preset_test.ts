import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import {
  applicableExplainers,
  applyOverride,
  ConfigError,
  configFieldTable,
  loadConfig,
  parseFieldPath,
  parsePipelineArgs,
  PRESET_NAMES,
  readPresetJson,
  schemaFields,
  validateConfig,
} from "../../../tasks/pipeline/mod.ts";
import { CONFIG_SCHEMA } from "../../../tasks/pipeline/config.ts";

const smoke = () => readPresetJson("smoke") as Promise<Record<string, Record<string, unknown>>>;

Deno.test("every shipped preset validates, with the contents the issue asks for", async () => {
  for (const name of PRESET_NAMES) assertEquals((await loadConfig({ preset: name })).name, name);
  const f = await loadConfig({ preset: "fmnist" });
  assertEquals(
    new Set(f.backbones.map((b) => b.pretraining)),
    new Set(["supervised", "mocov2", "byol", "dino"]),
  );
  assert(
    f.backbones.some((b) => b.arch.startsWith("bcos_")) &&
      f.backbones.some((b) => !b.arch.startsWith("bcos_")),
  );
  assertEquals(f.probe.probes, ["linear", "mlp2", "mlp3", "bcos_mlp2", "bcos_mlp3"]);
  assertEquals(f.evaluate.gridpg.sizes, [2, 3]);
  assert(f.seeds.length >= 3 && f.data.multiLabel.some((m) => m.dataset === "fashion-scenes"));
  const p = await loadConfig({ preset: "paper" });
  assertEquals(p.data.imageSize, 224);
  assertEquals(new Set(p.data.multiLabel.map((m) => m.dataset)), new Set(["voc2007", "coco2014"]));
  assert(p.backbones.every((b) => b.checkpoint !== null));
  assertEquals((await loadConfig()).name, "fmnist", "fmnist is the default");
});

Deno.test("validation names the bad field", async () => {
  const cases: [(c: Record<string, Record<string, unknown>>) => void, string][] = [
    [(c) => (c.probe.losses = ["ce", "mse"]), "'probe.losses[1]': expected one of ce, bce, got \"mse\""],
    [(c) => (c.probe.epoch = 3), "'probe.epoch': unknown field (did you mean 'epochs'?)"],
    [(c) => delete c.probe.lr, "'probe.lr': missing field"],
    [
      (c) => ((c.evaluate.gridpg as Record<string, unknown>).smoothing = 4),
      "'evaluate.gridpg.smoothing': expected an odd kernel size",
    ],
    [
      (c) => ((c.evaluate.epg as Record<string, unknown>).sizeBins = [0.5, 0.25]),
      "'evaluate.epg.sizeBins[1]': edges must increase",
    ],
    [(c) => (c.seeds as unknown as number[]).push(0), "'seeds[1]': duplicate entry 0"],
    [
      (c) => ((c.backbones as unknown as Record<string, unknown>[])[0].arch = "resnet_huge"),
      "'backbones[0].arch': expected one of",
    ],
    [(c) => (c.data.dataset = "imagenet"), "'data.root': ImageNet needs its directory"],
    [
      (c) => ((c.pretrain as Record<string, unknown>).epochs = 1.5),
      "'pretrain.epochs': expected integer >= 1, got 1.5",
    ],
    [
      (c) => ((c.backbones as unknown as Record<string, unknown>[])[0].pretraining = "clip"),
      "'backbones[0].checkpoint': clip backbones are only loaded from released checkpoints",
    ],
  ];
  for (const [edit, message] of cases) {
    const raw = await smoke();
    edit(raw);
    const e = assertThrows(() => validateConfig(raw), ConfigError);
    assert(e.message.includes(message), `'${e.message}' should include '${message}'`);
  }
  // MoCo v3 backbones are pre-trained like the other methods (no checkpoint needed)
  const raw = await smoke();
  const b0 = (raw.backbones as unknown as Record<string, unknown>[])[0];
  Object.assign(b0, { pretraining: "mocov3", checkpoint: null });
  assertEquals(validateConfig(raw).backbones[0].pretraining, "mocov3");
});

Deno.test("--set overrides are typed by the schema", async () => {
  assertEquals(parseFieldPath("backbones[1].checkpoint"), ["backbones", 1, "checkpoint"]);
  assertEquals(parseFieldPath("backbones.1.checkpoint"), ["backbones", 1, "checkpoint"]);
  const c = await loadConfig({
    preset: "smoke",
    set: [
      "probe.epochs=9",
      "probe.losses=bce",
      "evaluate.gridpg.sizes=[2,3]",
      "probe.bias=false",
      "backbones[0].checkpoint=weights/x.pth",
      "data.root=/data/fm",
      "description=123",
    ],
    seeds: [4, 5],
    out: "/tmp/elsewhere",
  });
  assertEquals([c.probe.epochs, c.probe.losses, c.evaluate.gridpg.sizes, c.probe.bias], [
    9,
    ["bce"],
    [2, 3],
    false,
  ]);
  assertEquals([c.backbones[0].checkpoint, c.data.root, c.description], ["weights/x.pth", "/data/fm", "123"]);
  assertEquals([c.seeds, c.out], [[4, 5], "/tmp/elsewhere"]);
  const back = await loadConfig({
    preset: "smoke",
    set: ["backbones[0].checkpoint=weights/x.pth", "backbones[0].checkpoint=null"],
  });
  assertEquals(back.backbones[0].checkpoint, null);
  await assertRejects(
    () => loadConfig({ preset: "smoke", set: ["probe.epochs=many"] }),
    ConfigError,
    "'probe.epochs': expected integer",
  );
  await assertRejects(
    () => loadConfig({ preset: "smoke", set: ["probe.nope=1"] }),
    ConfigError,
    "'probe.nope': unknown field",
  );
  await assertRejects(
    () => loadConfig({ preset: "smoke", set: ["nope.deeper=1"] }),
    ConfigError,
    "'nope' is not an object",
  );
  await assertRejects(
    () => loadConfig({ preset: "no/such/file.json" }),
    ConfigError,
    "cannot read preset file",
  );
  const raw = { a: [1] };
  applyOverride(raw, "a[1]=2", CONFIG_SCHEMA as never);
  assertEquals(raw.a, [1, 2]);
});

Deno.test("pipeline flags: preset, seeds, selection, shard from flags or Slurm", async () => {
  const a = await parsePipelineArgs([
    "--preset",
    "smoke",
    "--seeds",
    "1,2",
    "--only",
    "probe, explain",
    "--shard",
    "2/3",
  ], {
    env: () => undefined,
  });
  assertEquals([a.config.seeds, a.options.only, a.options.shard, a.options.out], [
    [1, 2],
    ["probe", "explain"],
    { index: 1, count: 3 },
    "runs/smoke",
  ]);
  const env: Record<string, string> = { SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_COUNT: "8" };
  const b = await parsePipelineArgs(["--preset", "smoke", "--from", "explain"], { env: (k) => env[k] });
  assertEquals([b.options.shard, b.options.from], [{ index: 5, count: 8 }, ["explain"]]);
  const c = await parsePipelineArgs(["--preset", "smoke", "--no-slurm"], { env: (k) => env[k] });
  assertEquals(c.options.shard, null);
  const d = await parsePipelineArgs(["--preset", "smoke", "--merge"], { env: (k) => env[k] });
  assertEquals([d.options.shard, d.options.merge], [null, true]);
  const e = await parsePipelineArgs(["--preset", "smoke", "--steps", "3"], {
    env: () => undefined,
    extra: { steps: { type: "string" } },
  });
  assertEquals(e.rest.steps, "3");
  await assertRejects(
    () => parsePipelineArgs(["--shard", "3/2"], { env: () => undefined }),
    RangeError,
    "1 <= i <= n",
  );
  await assertRejects(
    () => parsePipelineArgs(["--seeds", "x"], { env: () => undefined }),
    RangeError,
    "--seeds",
  );
  await assertRejects(
    () =>
      parsePipelineArgs([], {
        env: (k) => ({ SLURM_ARRAY_TASK_ID: "9", SLURM_ARRAY_TASK_COUNT: "4" } as Record<string, string>)[k],
      }),
    RangeError,
    "Slurm",
  );
});

Deno.test("explainers apply per backbone kind", () => {
  const all = [
    "bcos",
    "ixg",
    "intgrad",
    "gbp",
    "gradcam",
    "scorecam",
    "lrp",
    "lime",
    "rollout",
    "cgw1",
    "causalx",
  ] as const;
  assertEquals(applicableExplainers("resnet50", all), [
    "ixg",
    "intgrad",
    "gbp",
    "gradcam",
    "scorecam",
    "lrp",
    "lime",
  ]);
  assertEquals(applicableExplainers("bcos_resnet_small", all), [
    "bcos",
    "ixg",
    "intgrad",
    "gbp",
    "gradcam",
    "scorecam",
    "lime",
  ]);
  assertEquals(applicableExplainers("vit_b_16", all), [
    "ixg",
    "intgrad",
    "gbp",
    "lime",
    "rollout",
    "cgw1",
    "causalx",
  ]);
  assertEquals(applicableExplainers("bcos_vitc_b_16", all), [
    "bcos",
    "ixg",
    "intgrad",
    "gbp",
    "lime",
    "rollout",
    "cgw1",
    "causalx",
  ]);
});

Deno.test("presets/README.md documents every field (its table is configFieldTable())", async () => {
  const readme = await Deno.readTextFile(new URL("../../../presets/README.md", import.meta.url));
  const start = readme.indexOf("<!-- fields:start"), end = readme.indexOf("<!-- fields:end -->");
  assert(start >= 0 && end > start, "README needs the fields:start / fields:end markers");
  const cells = (md: string) =>
    md.split("\n").filter((l) => l.startsWith("|")).map((l) =>
      l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim())
    );
  const inReadme = cells(readme.slice(start, end));
  const expected = cells(configFieldTable());
  assertEquals(
    inReadme.filter((r) => !/^-+$/.test(r[0])),
    expected.filter((r) => !/^-+$/.test(r[0])),
    "regenerate the README table with configFieldTable()",
  );
  assertEquals(expected.length - 2, schemaFields(CONFIG_SCHEMA as never).length);
});
