import assert from "node:assert/strict";
import { loadConfig } from "../../tasks/pipeline/preset.ts";
import { fileMultiLabel, multiLabelProbeArgs } from "../../tasks/reproduce/multilabel_stages.ts";
import {
  buildStages,
  probeArgs,
  probeCells,
  probeKey,
  probeLrs,
  singleLabelProbeArgs,
} from "../../tasks/reproduce/stages.ts";

const path = (...parts: string[]) => ["/stage", ...parts].join("/");
const augmentFlag = (args: string[]) =>
  args.includes("--augment") ? args[args.indexOf("--augment") + 1] : null;

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
  assert.deepEqual(probeKey(linear, plain, false, false), { ...section, lr: 0.2 });
  assert.deepEqual(probeKey(linear, withMlp, false, false), probeKey(linear, plain, false, false));
  assert.notDeepEqual(probeKey(mlp, withMlp, false, true), probeKey(mlp, plain, false, true));
});

Deno.test("reproduce stages: probe.augment light passes --augment to the single-label probes and is part of their key", async () => {
  const plain = await loadConfig({ preset: "fmnist" });
  const light = await loadConfig({ preset: "fmnist", set: ["probe.augment=light"] });
  const stagesOf = (c: typeof plain) => new Map(buildStages(c).map((s) => [s.name, s]));
  const cell = probeCells(light).find((c) => c.probe === "linear")!;
  assert.equal((stagesOf(light).get(cell.stage)!.config as Record<string, unknown>).augment, "light");
  assert.equal(augmentFlag(singleLabelProbeArgs(cell, light, "/bb", path)), "light");
  assert.equal(augmentFlag(singleLabelProbeArgs(cell, plain, "/bb", path)), null);
  // with augment none the key is what it was before the option existed
  assert.equal("augment" in (stagesOf(plain).get(cell.stage)!.config as Record<string, unknown>), false);
});

Deno.test("reproduce stages: probe.bceOffLabel goes to the single-label BCE probes (flag and key) and nowhere else", async () => {
  const plain = await loadConfig({ preset: "fmnist" });
  const zero = await loadConfig({ preset: "fmnist", set: ["probe.bceOffLabel=0"] });
  await assert.rejects(
    loadConfig({ preset: "fmnist", set: ["probe.bceOffLabel=0.7"] }),
    /probe\.bceOffLabel/,
  );
  const offFlag = (args: string[]) =>
    args.includes("--bce-off-label") ? args[args.indexOf("--bce-off-label") + 1] : null;
  const stagesOf = (c: typeof plain) => new Map(buildStages(c).map((s) => [s.name, s]));
  const keyOf = (c: typeof plain, stage: string) => stagesOf(c).get(stage)!.config as Record<string, unknown>;
  for (const cell of probeCells(zero)) {
    const bce = cell.loss === "bce";
    assert.equal(offFlag(singleLabelProbeArgs(cell, zero, "/bb", path)), bce ? "0" : null, cell.stage);
    assert.equal(offFlag(singleLabelProbeArgs(cell, plain, "/bb", path)), null, cell.stage);
    assert.equal(keyOf(zero, cell.stage).bceOffLabel, bce ? 0 : undefined, cell.stage);
    // unset, keys are what they were before the option existed
    assert.equal("bceOffLabel" in keyOf(plain, cell.stage), false, cell.stage);
  }
  // VOC probes are multi-label (0/1 targets): neither flag nor key
  const voc = [{
    dataset: "voc2007",
    root: "/d",
    imageSize: 32,
    trainLimit: 0,
    testLimit: 8,
    itemsPerScene: null,
  }];
  const withVoc = await loadConfig({
    preset: "fmnist",
    set: ["probe.bceOffLabel=0", `data.multiLabel=${JSON.stringify(voc)}`],
  });
  const cell = probeCells(withVoc).find((c) => c.probe === "linear" && c.loss === "bce")!;
  const name = `probe:voc2007.${cell.stage.slice("probe:".length)}`;
  assert.equal("bceOffLabel" in keyOf(withVoc, name), false, name);
  assert.equal(offFlag(multiLabelProbeArgs(cell, fileMultiLabel(withVoc)[0], withVoc, "/bb", path)), null);
});

Deno.test("reproduce stages: probe.augment light with ImageNet files streams the ImageNet and VOC / COCO probes' training images", async () => {
  const file = (dataset: string) => ({ dataset, root: "/d", imageSize: 32, trainLimit: 0, testLimit: 8 });
  const multiLabel = [file("voc2007"), file("coco2014")].map((m) => ({ ...m, itemsPerScene: null }));
  const data = { ...file("imagenet"), multiLabel };
  const load = (augment: string) =>
    loadConfig({ preset: "fmnist", set: [`probe.augment=${augment}`, `data=${JSON.stringify(data)}`] });
  const light = await load("light"), plain = await load("none");
  const stages = new Map(buildStages(light).map((s) => [s.name, s]));
  const plainStages = new Map(buildStages(plain).map((s) => [s.name, s]));
  const cell = probeCells(light).find((c) => c.probe === "linear" && c.loss === "bce")!;
  const args = singleLabelProbeArgs(cell, light, "/bb", path);
  assert.equal(augmentFlag(args), "light");
  assert.equal(args[args.indexOf("--dataset") + 1], "imagenet");
  const keyOf = (m: typeof stages, name: string) => m.get(name)!.config as Record<string, unknown>;
  assert.equal(keyOf(stages, cell.stage).augment, "light");
  const rest = cell.stage.slice("probe:".length);
  for (const dataset of ["voc2007", "coco2014"]) {
    const name = `probe:${dataset}.${rest}`;
    assert.equal(keyOf(stages, name).augment, "light", name);
    assert.equal("augment" in keyOf(plainStages, name), false, `${name}: unaugmented keys are unchanged`);
  }
  for (const [i, m] of fileMultiLabel(light).entries()) {
    const mArgs = multiLabelProbeArgs(cell, m, light, "/bb", path);
    assert.equal(augmentFlag(mArgs), "light");
    assert.equal(mArgs[mArgs.indexOf("--dataset") + 1], ["voc2007", "coco2014"][i]);
    assert.equal(augmentFlag(multiLabelProbeArgs(cell, fileMultiLabel(plain)[i], plain, "/bb", path)), null);
  }
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
  assert.deepEqual((probeKey(linear, config, false, false) as Record<string, unknown>).lr, [0.03, 0.3, 3]);
  // one rate is keyed as the number it was before rates could be searched
  const single = await loadConfig({ preset: "fmnist", set: ["probe.lr=0.5"] });
  assert.equal((probeKey(linear, single, false, false) as Record<string, unknown>).lr, 0.5);
});
