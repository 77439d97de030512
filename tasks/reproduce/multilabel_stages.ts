/**
 * The multi-label part of the matrix (VOC 2007, COCO 2014): for each such entry of `data.multiLabel` and
 * each BCE probe cell, `probe:<dataset>.<cell>` trains the same probe head with plain 0/1 BCE on that
 * dataset's train split (`trainval` / `train2014`) features of the cell's backbone and scores F1 on the
 * test split (`test` / `val2014`), and `explain:<dataset>.<cell>` computes EPG per explainer on the test
 * images with their boxes. With `probe.augment: "light"` these probes, like the single-label ones, train
 * on random resized crops and flips of the training images streamed through the frozen backbone. CE
 * cells have no multi-label counterpart: multi-label probes are BCE probes. Also the check of data
 * combinations the pipeline does not run.
 *
 * @module
 */
import type { Json } from "../pipeline/canonical.ts";
import type { MultiLabelConfig, PipelineConfig } from "../pipeline/config.ts";
import { defineMapStage, defineStage, type Stage } from "../pipeline/stage.ts";
import { main as probeMain } from "../probe.ts";
import { multiLabelEpg } from "./epg_multilabel.ts";
import { loadProbed } from "./load_probed.ts";
import { augmentsProbes, probeArgs, type ProbeCell, probeKey } from "./stages.ts";

/** A multi-label dataset entry with files (VOC 2007 / COCO 2014). */
export type FileMultiLabel = MultiLabelConfig & { dataset: "voc2007" | "coco2014"; root: string };

/**
 * The `voc2007` / `coco2014` entries of `data.multiLabel`.
 *
 * @example
 * ```ts ignore
 * for (const m of fileMultiLabel(config)) console.log(m.dataset, m.root);
 * ```
 */
export function fileMultiLabel(config: PipelineConfig): FileMultiLabel[] {
  return config.data.multiLabel.filter((m): m is FileMultiLabel =>
    (m.dataset === "voc2007" || m.dataset === "coco2014") && m.root !== null
  );
}

/**
 * Throws, naming the key, for data combinations the pipeline does not run: generated Fashion-MNIST
 * scenes need Fashion-MNIST as the single-label dataset. (`probe.augment` runs with every dataset:
 * Fashion-MNIST in memory, image files streamed.)
 *
 * @example
 * ```ts ignore
 * checkSupported(config); // throws for data.dataset imagenet with a fashion-scenes entry
 * ```
 */
export function checkSupported(config: PipelineConfig): void {
  config.data.multiLabel.forEach((m, i) => {
    if (m.dataset === "fashion-scenes" && config.data.dataset !== "fashion-mnist") {
      throw new Error(
        `data.multiLabel[${i}]: fashion-scenes are built from Fashion-MNIST test items and need data.dataset ` +
          `'fashion-mnist' (got '${config.data.dataset}'); use voc2007 / coco2014 entries for EPG instead`,
      );
    }
  });
}

/**
 * The `tasks/probe.ts` flags of a cell's multi-label probe on a VOC / COCO entry: {@link probeArgs} with
 * BCE, the dataset, its root, size and limits, and `--augment` when `probe.augment` is on.
 *
 * @example
 * ```ts ignore
 * const args = multiLabelProbeArgs(cell, fileMultiLabel(config)[0], config, backboneDir, ctx.path);
 * ```
 */
export function multiLabelProbeArgs(
  cell: ProbeCell,
  m: FileMultiLabel,
  config: PipelineConfig,
  backboneDir: string,
  path: (...parts: string[]) => string,
): string[] {
  const args = [
    ...probeArgs(cell, "bce", config, backboneDir, path),
    ...["--dataset", m.dataset, "--data-dir", m.root, "--image-size", String(m.imageSize)],
  ];
  if (m.trainLimit > 0) args.push("--limit", String(m.trainLimit));
  args.push("--test-limit", String(m.testLimit));
  if (augmentsProbes(config)) args.push("--augment", config.probe.augment);
  return args;
}

/** Runs a task main and throws when it fails. */
export type RunTask = (
  task: (args: string[]) => Promise<number>,
  args: string[],
  what: string,
) => Promise<void>;

/**
 * The multi-label probe and EPG stages of every BCE cell (see the module docs).
 *
 * @example
 * ```ts ignore
 * stages.push(...multiLabelStages(config, probeCells(config), runTask, exists));
 * ```
 */
export function multiLabelStages(
  config: PipelineConfig,
  cells: ProbeCell[],
  runTask: RunTask,
  exists: (path: string) => Promise<boolean>,
): Stage[] {
  const stages: Stage[] = [];
  const entries = fileMultiLabel(config);
  if (entries.length && cells.some((c) => c.loss === "ce")) {
    console.error(
      `reproduce: ${entries.map((m) => m.dataset).join(", ")}: F1 and EPG are measured for BCE probes only ` +
        `(multi-label probes are trained with 0/1 BCE); CE cells have no multi-label record`,
    );
  }
  for (const m of entries) {
    for (const cell of cells.filter((c) => c.loss === "bce")) {
      const rest = cell.stage.slice("probe:".length);
      const probeStage = `probe:${m.dataset}.${rest}`;
      const { explainers: _e, stage: _s, ...cellKey } = cell;
      stages.push(defineStage({
        name: probeStage,
        config: {
          ...cellKey,
          ...probeKey(cell, config, augmentsProbes(config), false) as Record<string, Json>,
          multiLabel: m,
        } as unknown as Json,
        deps: [cell.pretrainStage],
        seed: cell.seed,
        run: async (ctx) => {
          const args = multiLabelProbeArgs(
            cell,
            m,
            config,
            ctx.dep(cell.pretrainStage).dir + "/run",
            ctx.path,
          );
          if (await exists(ctx.path("run", "checkpoints"))) args.push("--resume");
          await runTask(probeMain, args, `probe ${probeStage}`);
        },
      }));
      if (cell.explainers.length === 0) continue;
      stages.push(defineMapStage<Json, Json>({
        name: `explain:${m.dataset}.${rest}`,
        config: { explain: config.explain, epg: config.evaluate.epg, multiLabel: m } as unknown as Json,
        deps: [probeStage, cell.pretrainStage],
        seed: cell.seed,
        items: () => cell.explainers,
        runItem: async (ctx, explainer) => {
          const run = await loadProbed(
            ctx.dep(cell.pretrainStage).dir + "/run",
            ctx.dep(probeStage).dir + "/run",
            "bce",
            config,
            false,
          );
          try {
            return { epg: await multiLabelEpg(explainer, run, config) } as unknown as Json;
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
  }
  return stages;
}
