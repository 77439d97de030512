import assert from "node:assert/strict";
import { loadConfig } from "../../tasks/pipeline/preset.ts";
import { buildStages, probeArgs, probeCells, probeKey, probeLr } from "../../tasks/reproduce/stages.ts";

const path = (...parts: string[]) => ["/stage", ...parts].join("/");

Deno.test("reproduce stages: MLP probes train at probe.mlpLr when it is set, linear probes at probe.lr", async () => {
  const config = await loadConfig({ preset: "fmnist", set: ["probe.lr=0.3", "probe.mlpLr=0.01"] });
  const cells = probeCells(config);
  const linear = cells.find((c) => c.probe === "linear")!;
  const mlp = cells.find((c) => c.probe === "bcos_mlp2")!;
  assert.equal(probeLr(linear, config), 0.3);
  assert.equal(probeLr(mlp, config), 0.01);
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
  for (const cell of cells) assert.equal(probeLr(cell, plain), 0.2, cell.stage);
  const linear = cells.find((c) => c.probe === "linear")!;
  const mlp = cells.find((c) => c.probe === "mlp3")!;
  // the key of a linear cell is the probe section without mlpLr: the same whatever mlpLr is
  const { mlpLr: _m, ...section } = plain.probe;
  assert.deepEqual(probeKey(linear, plain), section);
  assert.deepEqual(probeKey(linear, withMlp), probeKey(linear, plain));
  assert.notDeepEqual(probeKey(mlp, withMlp), probeKey(mlp, plain));
});
