import assert from "node:assert/strict";
import { loadConfig } from "../../tasks/pipeline/preset.ts";
import {
  buildStages,
  probeArgs,
  probeCells,
  probeKey,
  probeLrs,
  singleLabelProbeArgs,
} from "../../tasks/reproduce/stages.ts";

const path = (...parts: string[]) => ["/stage", ...parts].join("/");

Deno.test("reproduce stages: MLP probes train at probe.mlpLr when it is set, linear probes at probe.lr", async () => {
  const config = await loadConfig({ preset: "fmnist", set: ["probe.lr=0.3", "probe.mlpLr=0.01"] });
  const cells = probeCells(config);
  const linear = cells.find((c) => c.probe === "linear")!;
  const mlp = cells.find((c) => c.probe === "bcos_mlp2")!;
  assert.deepEqual(probeLrs(linear, config), [0.3]);
  assert.deepEqual(probeLrs(mlp, config), [0.01]);
  const lrFlag = (args: string[]) => args[args.indexOf("--lr") + 1];
  assert.equal(lrFlag(probeArgs(linear, "ce", config, "/bb", path)), "0.3");
  assert.equal(lrFlag(probeArgs(mlp, "bce", config, "/bb", path)), "0.01");
  const stages = new Map(buildStages(config).map((s) => [s.name, s]));
  const configOf = (stage: string) => stages.get(stage)!.config as Record<string, unknown>;
  assert.equal(configOf(linear.stage).lr, 0.3);
  assert.equal(configOf(mlp.stage).lr, 0.01);
  assert.equal("mlpLr" in configOf(mlp.stage), false);
});

Deno.test("reproduce stages: with probe.mlpLr null every probe uses probe.lr, and a linear cell's key ignores mlpLr", async () => {
  const plain = await loadConfig({ preset: "fmnist", set: ["probe.lr=0.2", "probe.mlpLr=null"] });
  const withMlp = await loadConfig({ preset: "fmnist", set: ["probe.lr=0.2", "probe.mlpLr=0.05"] });
  const cells = probeCells(plain);
  for (const cell of cells) assert.deepEqual(probeLrs(cell, plain), [0.2], cell.stage);
  const linear = cells.find((c) => c.probe === "linear")!;
  const mlp = cells.find((c) => c.probe === "mlp3")!;
  // the key of a linear cell is the probe section without mlpLr (one lr as a number): the same whatever mlpLr is
  const { mlpLr: _m, augment: _a, ...section } = plain.probe;
  assert.deepEqual(probeKey(linear, plain, false), { ...section, lr: 0.2 });
  assert.deepEqual(probeKey(linear, withMlp, false), probeKey(linear, plain, false));
  assert.notDeepEqual(probeKey(mlp, withMlp, false), probeKey(mlp, plain, false));
});

Deno.test("reproduce stages: probe.augment light passes --augment to the single-label probes and is part of their key; other datasets refuse it", async () => {
  const plain = await loadConfig({ preset: "fmnist" });
  const light = await loadConfig({ preset: "fmnist", set: ["probe.augment=light"] });
  const stagesOf = (c: typeof plain) => new Map(buildStages(c).map((s) => [s.name, s]));
  const cell = probeCells(light).find((c) => c.probe === "linear")!;
  assert.equal((stagesOf(light).get(cell.stage)!.config as Record<string, unknown>).augment, "light");
  const augmentFlag = (args: string[]) =>
    args.includes("--augment") ? args[args.indexOf("--augment") + 1] : null;
  assert.equal(augmentFlag(singleLabelProbeArgs(cell, light, "/bb", path)), "light");
  assert.equal(augmentFlag(singleLabelProbeArgs(cell, plain, "/bb", path)), null);
  // with augment none the key is what it was before the option existed
  assert.equal("augment" in (stagesOf(plain).get(cell.stage)!.config as Record<string, unknown>), false);
  const imagenet = await loadConfig({
    preset: "paper",
    set: ["probe.augment=light", "data.multiLabel=[]"],
  });
  assert.throws(() => buildStages(imagenet), /probe\.augment: 'light' .*data\.dataset 'imagenet'/);
});

Deno.test("reproduce stages: several learning rates are passed as one --lr list (the probe task searches them) and keyed as a list", async () => {
  const config = await loadConfig({
    preset: "fmnist",
    set: ["probe.lr=0.03,0.3,3", "probe.mlpLr=[0.01,0.1]"],
  });
  const cells = probeCells(config);
  const linear = cells.find((c) => c.probe === "linear")!;
  const mlp = cells.find((c) => c.probe === "mlp2")!;
  const lrFlag = (args: string[]) => args[args.indexOf("--lr") + 1];
  assert.equal(lrFlag(probeArgs(linear, "ce", config, "/bb", path)), "0.03,0.3,3");
  assert.equal(lrFlag(probeArgs(mlp, "bce", config, "/bb", path)), "0.01,0.1");
  assert.deepEqual((probeKey(linear, config, false) as Record<string, unknown>).lr, [0.03, 0.3, 3]);
  // one rate is keyed as the number it was before rates could be searched
  const single = await loadConfig({ preset: "fmnist", set: ["probe.lr=0.5"] });
  assert.equal((probeKey(linear, single, false) as Record<string, unknown>).lr, 0.5);
});
