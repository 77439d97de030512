/**
 * The reproduce pipeline's stages for a preset: `pretrain:<arch>.<method>` (tasks/pretrain.ts into the
 * stage's artifact directory), `probe:<arch>.<method>.<probe>.<loss>.s<seed>` (tasks/probe.ts on that
 * backbone, on Fashion-MNIST or ImageNet-format files), and `explain:<probe stage>` (a map stage over
 * the applicable explainers, so `--shard i/n` splits explainers across shards), each keyed by a hash of
 * its configuration. For each `voc2007` / `coco2014` entry of `data.multiLabel`, every BCE cell also
 * gets `probe:<dataset>.<cell>` (a multi-label BCE probe on that dataset, F1) and
 * `explain:<dataset>.<cell>` (EPG on its test images with their boxes); CE cells have no multi-label
 * counterpart (multi-label probes are trained with BCE only). Last come the report-only stages
 * (`report_stages.ts`): `qualitative:<probe stage>` (heatmap pictures) and `equivalent:<probe stage>`
 * (Figure 4's shift-equivalent probes).
 *
 * @module
 */
import { importBackbone } from "../../core/train/export.ts";
import { applicableExplainers, type BackboneArch, type PipelineConfig } from "../pipeline/config.ts";
import { defineMapStage, defineStage, type Stage } from "../pipeline/stage.ts";
import { exists } from "../pipeline/fs.ts";
import { main as pretrainMain } from "../pretrain.ts";
import { main as probeMain } from "../probe.ts";
import { evaluatePair } from "./evaluate.ts";
import type { Json } from "../pipeline/canonical.ts";
import { loadProbed } from "./load_probed.ts";
import { checkSupported, multiLabelStages } from "./multilabel_stages.ts";
import { reportStages } from "./report_stages.ts";

/** One trained probe of the matrix. */
export interface ProbeCell {
  /** Stage name of the probe. */
  stage: string;
  /** Stage name of its backbone. */
  pretrainStage: string;
  /** Backbone architecture. */
  arch: string;
  /** Pre-training paradigm of the backbone. */
  pretraining: string;
  /** Probe head. */
  probe: string;
  /** Probe loss. */
  loss: "ce" | "bce";
  /** Seed of the probe. */
  seed: number;
  /** Explainers applicable to the backbone. */
  explainers: string[];
}

/** The probe cells of a config: linear probes with every linear loss, MLP probes with the MLP losses. */
export function probeCells(config: PipelineConfig): ProbeCell[] {
  const cells: ProbeCell[] = [];
  for (const b of config.backbones) {
    const pre = `pretrain:${b.arch}.${b.pretraining}`;
    for (const probe of config.probe.probes) {
      const losses = probe === "linear" ? config.probe.losses : config.probe.mlpLosses;
      for (const loss of losses) {
        for (const seed of config.seeds) {
          cells.push({
            stage: `probe:${b.arch}.${b.pretraining}.${probe}.${loss}.s${seed}`,
            pretrainStage: pre,
            arch: b.arch,
            pretraining: b.pretraining,
            probe,
            loss,
            seed,
            explainers: applicableExplainers(b.arch, config.explain.explainers),
          });
        }
      }
    }
  }
  return cells;
}

async function runTask(
  task: (args: string[]) => Promise<number>,
  args: string[],
  what: string,
): Promise<void> {
  const code = await task(args);
  if (code !== 0) throw new Error(`${what} exited with code ${code}`);
}

/**
 * The learning rates of a cell's probe (one, or candidates to search): `probe.mlpLr` for MLP probes when
 * it is set, else `probe.lr`.
 *
 * @example
 * ```ts ignore
 * const lrs = probeLrs(cell, config); // [0.03, 0.3, 3] for a linear cell of the fmnist preset
 * ```
 */
export function probeLrs(cell: Pick<ProbeCell, "probe">, config: PipelineConfig): number[] {
  const { lr, mlpLr } = config.probe;
  return cell.probe !== "linear" && mlpLr !== null ? mlpLr : lr;
}

/**
 * The `probe` section as a cell's stage key holds it: `lr` is the cell's own learning rate (a number when
 * there is one, as before rates could be searched), `mlpLr` is left out, `augment` is kept only when
 * the cell trains on augmented images (`augmented`) and `bceOffLabel` only when it trains single-label
 * BCE (`singleLabelBce`), so a cell's key changes only with what trains it.
 *
 * @example
 * ```ts ignore
 * const key = { ...cellKey, ...probeKey(cell, config, true, cell.loss === "bce") };
 * ```
 */
export function probeKey(
  cell: Pick<ProbeCell, "probe">,
  config: PipelineConfig,
  augmented: boolean,
  singleLabelBce: boolean,
): Json {
  const { mlpLr: _mlpLr, augment, bceOffLabel, ...rest } = config.probe;
  const lrs = probeLrs(cell, config);
  return {
    ...rest,
    lr: lrs.length === 1 ? lrs[0] : lrs,
    ...(augmented ? { augment } : {}),
    ...(singleLabelBce && bceOffLabel !== undefined ? { bceOffLabel } : {}),
  } as unknown as Json;
}

/**
 * Whether the probes train on augmented images (`probe.augment`): Fashion-MNIST in memory, ImageNet /
 * VOC / COCO files streamed through the frozen backbone.
 *
 * @example
 * ```ts ignore
 * if (augmentsProbes(config)) args.push("--augment", config.probe.augment);
 * ```
 */
export function augmentsProbes(config: PipelineConfig): boolean {
  return config.probe.augment !== "none";
}

/**
 * The `tasks/probe.ts` flags every probe stage shares: backbone, head, loss, the `probe` section of the
 * config, the stage's output and feature-cache directories.
 *
 * @example
 * ```ts ignore
 * const args = probeArgs(cell, "bce", config, backboneDir, ctx.path);
 * ```
 */
export function probeArgs(
  cell: ProbeCell,
  loss: "ce" | "bce",
  config: PipelineConfig,
  backboneDir: string,
  path: (...parts: string[]) => string,
): string[] {
  const p = config.probe;
  return [
    ...["--backbone", backboneDir, "--probe", cell.probe, "--loss", loss],
    ...["--epochs", String(p.epochs), "--out", path("run"), "--seed", String(cell.seed)],
    ...["--batch-size", String(p.batchSize), "--hidden", String(p.hidden)],
    ...["--lr", probeLrs(cell, config).join(",")],
    ...["--cache-dir", path("features")],
  ];
}

/**
 * The `tasks/probe.ts` flags of a single-label probe stage: {@link probeArgs} plus the dataset, its
 * limits and root, `--augment` when `probe.augment` is on, and `--bce-off-label` when BCE probes set
 * `probe.bceOffLabel`.
 *
 * @example
 * ```ts ignore
 * const args = singleLabelProbeArgs(cell, config, backboneDir, ctx.path);
 * ```
 */
export function singleLabelProbeArgs(
  cell: ProbeCell,
  config: PipelineConfig,
  backboneDir: string,
  path: (...parts: string[]) => string,
): string[] {
  const d = config.data;
  const args = probeArgs(cell, cell.loss, config, backboneDir, path);
  if (d.dataset === "imagenet") {
    args.push("--dataset", "imagenet", "--image-size", String(d.imageSize));
    if (d.testLimit > 0) args.push("--test-limit", String(d.testLimit));
  } else args.push("--test-limit", String(d.testLimit || 10000));
  if (d.trainLimit > 0) args.push("--limit", String(d.trainLimit));
  if (d.root) args.push("--data-dir", d.root);
  if (augmentsProbes(config)) args.push("--augment", config.probe.augment);
  const off = config.probe.bceOffLabel;
  if (cell.loss === "bce" && off !== undefined) args.push("--bce-off-label", String(off));
  return args;
}

/**
 * Builds every stage of the matrix.
 *
 * @example
 * ```ts ignore
 * const stages = buildStages(config);
 * await runPipeline(stages, { out: config.out });
 * ```
 */
export function buildStages(config: PipelineConfig): Stage[] {
  checkSupported(config);
  const stages: Stage[] = [];
  const d = config.data;
  for (const b of config.backbones) {
    if (b.checkpoint) {
      stages.push(importStage(b.arch, b.pretraining, b.checkpoint));
      continue;
    }
    const pretrainConfig = {
      arch: b.arch,
      method: b.pretraining,
      ...config.pretrain,
      trainLimit: d.trainLimit,
      testLimit: d.testLimit,
    } as unknown as Json;
    stages.push(defineStage({
      name: `pretrain:${b.arch}.${b.pretraining}`,
      config: pretrainConfig,
      seed: config.pretrain.seed,
      run: async (ctx) => {
        const args = [
          "--method",
          b.pretraining,
          "--arch",
          b.arch,
          "--epochs",
          String(config.pretrain.epochs),
          "--out",
          ctx.path("run"),
          "--seed",
          String(config.pretrain.seed),
          "--batch-size",
          String(config.pretrain.batchSize),
          "--lr",
          String(config.pretrain.lr),
          "--eval-limit",
          String(d.testLimit),
        ];
        if (d.trainLimit > 0) args.push("--limit", String(d.trainLimit));
        if (config.pretrain.optimizer) args.push("--optimizer", config.pretrain.optimizer);
        if (d.root) args.push("--data-dir", d.root);
        if (await exists(ctx.path("run", "checkpoints"))) args.push("--resume");
        await runTask(pretrainMain, args, `pretrain ${b.arch} ${b.pretraining}`);
      },
    }));
  }
  for (const cell of probeCells(config)) {
    const { explainers: _explainers, ...cellKey } = cell;
    const probeConfig = {
      ...cellKey,
      ...probeKey(cell, config, augmentsProbes(config), cell.loss === "bce") as Record<string, Json>,
      trainLimit: d.trainLimit,
      testLimit: d.testLimit,
      // (Fashion-MNIST keys stay as they were, so finished Fashion-MNIST runs keep their artifacts)
      ...(d.dataset === "fashion-mnist" ? {} : { dataset: d.dataset, root: d.root, imageSize: d.imageSize }),
    } as unknown as Json;
    stages.push(defineStage({
      name: cell.stage,
      config: probeConfig,
      deps: [cell.pretrainStage],
      seed: cell.seed,
      run: async (ctx) => {
        const args = singleLabelProbeArgs(cell, config, ctx.dep(cell.pretrainStage).dir + "/run", ctx.path);
        if (await exists(ctx.path("run", "checkpoints"))) args.push("--resume");
        await runTask(probeMain, args, `probe ${cell.stage}`);
      },
    }));
    if (cell.explainers.length === 0) continue;
    stages.push(defineMapStage<Json, Json>({
      name: `explain:${cell.stage.slice("probe:".length)}`,
      config: {
        explain: config.explain,
        evaluate: config.evaluate,
        data: config.data,
        explainers: cell.explainers,
      } as unknown as Json,
      deps: [cell.stage, cell.pretrainStage],
      seed: cell.seed,
      items: () => cell.explainers,
      runItem: async (ctx, explainer) => {
        const run = await loadProbed(
          ctx.dep(cell.pretrainStage).dir + "/run",
          ctx.dep(cell.stage).dir + "/run",
          cell.loss,
          config,
        );
        try {
          return await evaluatePair(explainer, run, config, cell.seed) as unknown as Json;
        } finally {
          run.model.dispose();
          run.data.close();
        }
      },
      finalize: async (ctx, results, keys) => {
        await ctx.writeJson("metrics.json", Object.fromEntries(keys.map((k, i) => [k, results[i]])));
      },
    }));
  }
  stages.push(...multiLabelStages(config, probeCells(config), runTask, exists));
  stages.push(...reportStages(config, probeCells(config)));
  return stages;
}

/**
 * The `pretrain` stage of a backbone given by a checkpoint: imports it into the stage's `run`
 * directory. Keyed by the path, size and modification time of the checkpoint (for a run directory,
 * of its `backbone.safetensors`), so replacing the file imports it again.
 */
function importStage(arch: BackboneArch, method: string, checkpoint: string): Stage {
  return defineStage({
    name: `pretrain:${arch}.${method}`,
    config: { arch, method, checkpoint, ...fileStamp(checkpoint) },
    run: async (ctx) => {
      await importBackbone(checkpoint, arch, method, ctx.path("run"));
    },
  });
}

function fileStamp(checkpoint: string): { bytes: number; mtime: string | null } {
  const stat = (path: string) => {
    try {
      return Deno.statSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new Error(`backbones: checkpoint ${path} does not exist`);
      throw e;
    }
  };
  const info = stat(checkpoint);
  const file = info.isDirectory ? stat(`${checkpoint}/backbone.safetensors`) : info;
  return { bytes: file.size, mtime: file.mtime?.toISOString() ?? null };
}
