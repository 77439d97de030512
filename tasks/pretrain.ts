/**
 * `deno run -A tasks/pretrain.ts`: pre-trains a backbone on Fashion-MNIST with a supervised or
 * self-supervised method, checkpointing every epoch and on Ctrl-C (resume with `--resume`), then
 * exports the backbone (`backbone.safetensors` + `backbone.json`) for `tasks/probe.ts`. Supervised
 * runs also report test accuracy.
 *
 * @module
 */
import { initGpu } from "../core/gpu/device.ts";
import { loadFashionMnist } from "../core/data/fashion_mnist.ts";
import { type ArchConfig, FASHION_ARCH_NAMES } from "../core/train/arch.ts";
import { viewTransform } from "../core/train/augment.ts";
import { fashionImageSet, ViewBatcher } from "../core/train/data.ts";
import { predict } from "../core/train/evaluate.ts";
import { saveBackbone } from "../core/train/export.ts";
import { trainLoop } from "../core/train/loop.ts";
import { writeLossCurve } from "../core/train/loss_curve.ts";
import { readSafetensors } from "../core/io/safetensors.ts";
import {
  buildPretrainMethod,
  type DinoSchedule,
  METHOD_NAMES,
  type PretrainConfig,
  pretrainViews,
} from "../core/train/methods/build.ts";
import { SupervisedMethod } from "../core/train/methods/supervised.ts";
import type { OptimConfig } from "../core/train/optim_config.ts";
import { formatDuration } from "../core/train/progress.ts";
import { topOneAccuracy } from "../metrics/classification.ts";
import { atomicWriteTextFile } from "../core/io/atomic_write.ts";
import { parseFlags, runMain, UsageError } from "./cli.ts";
import { choiceFlag, intFlag, intListFlag, numberFlag } from "./train/args.ts";

const HELP = `deno run -A tasks/pretrain.ts --method M --arch A --epochs N --out DIR [options]

Pre-trains a backbone on Fashion-MNIST and exports it to DIR (backbone.safetensors, backbone.json,
history.json, result.json, loss.png; checkpoints in DIR/checkpoints). Ctrl-C saves a checkpoint and exits 130.

  --method M        ${METHOD_NAMES.join(" | ")}
  --arch A          ${FASHION_ARCH_NAMES.join(" | ")}
  --epochs N        epochs over the training images
  --out DIR         run directory
  --resume          continue the run in DIR from its latest checkpoint
  --limit N         use the first N training images (default 60000)
  --seed S          seed of initialisation, data order and augmentation (default 0)
  --batch-size B    images per step (default 64)
  --optimizer O     sgd | adam | adamw (default: supervised adam, SSL adamw)
  --lr X            peak learning rate (default 1e-3)
  --weight-decay X  weight decay (default: supervised 0, MoCo v2/BYOL 1e-4, DINO 0.04, MoCo v3 0.1)
  --widths LIST     ResNet widths per stage, e.g. 8,16,32,64
  --layers LIST     ResNet blocks per stage, e.g. 1,1,1,1
  --loss L          supervised loss: ce | bce (default: bce for B-cos, ce otherwise)
  --augment K       supervised augmentation: none | light (default light)
  --queue-size K    MoCo v2 queue length, a multiple of the batch size (default 1024)
  --local-crops N   DINO local crops (default 4)
  --teacher-temp X  DINO teacher temperature (default 0.04)
  --warmup-teacher-temp X  DINO teacher temperature at step 0, warmed up linearly to --teacher-temp
                    over --warmup-teacher-epochs (default: no warm-up)
  --warmup-teacher-epochs N  epochs of that warm-up (default 0)
  --freeze-last-layer-epochs N  DINO: epochs during which the head's last layer is not updated (default 1)
  --eval-limit N    test images for the supervised accuracy (default 10000; 0 skips)
  --log-every N     steps between loss readbacks (default 20)
  --max-steps N     stop after global step N with a checkpoint (resume later)
  --snapshot-every N  keep a host copy of the state every N steps; written as a checkpoint if the
                    GPU device is lost (exit code 3), so less work is lost than the last epoch
  --data-dir DIR    directory holding the Fashion-MNIST files
  --init DIR        supervised only: start from the backbone + classifier a finished supervised run
                    exported to DIR (classifier.safetensors; same --arch), with a new schedule
  --json            print the result as one JSON line on stdout
  --help            this text`;

/** Loads `classifier.safetensors` of a finished supervised run into the backbone and head of `m`. */
async function initFromRun(m: SupervisedMethod, dir: string): Promise<void> {
  const path = `${dir}/classifier.safetensors`;
  const weights = await readSafetensors(path).catch((e) => {
    throw new UsageError(`--init ${dir}: cannot read ${path} (${(e as Error).message})`);
  });
  const head = new Map([...weights].filter(([k]) => m.head.stateDict().has(k)));
  const backbone = new Map([...weights].filter(([k]) => !head.has(k)));
  m.exported.module.loadStateDict(backbone, { source: path });
  m.head.loadStateDict(head, { source: path });
}

/**
 * DINO's temperature and last-layer options from the flags (checked before any work starts); the
 * epochs become steps once the batches per epoch are known.
 */
function dinoFlags(values: Record<string, unknown>): (stepsPerEpoch: number) => DinoSchedule {
  const flag = (name: string) => values[name] as string | undefined;
  const temperature = (name: string, fallback: number) => {
    const v = flag(name) === undefined ? fallback : numberFlag(name, flag(name)!);
    if (!(v > 0)) throw new UsageError(`--${name} must be > 0, got '${flag(name)}'`);
    return v;
  };
  const teacherTemp = temperature("teacher-temp", 0.04);
  const warmupTeacherTemp = temperature("warmup-teacher-temp", teacherTemp);
  const warmupEpochs = intFlag("warmup-teacher-epochs", flag("warmup-teacher-epochs"), 0, 0);
  const freezeEpochs = intFlag("freeze-last-layer-epochs", flag("freeze-last-layer-epochs"), 0, 1);
  return (stepsPerEpoch) => ({
    teacherTemp,
    warmupTeacherTemp,
    warmupTeacherSteps: stepsPerEpoch * warmupEpochs,
    freezeLastLayerSteps: stepsPerEpoch * freezeEpochs,
  });
}

/**
 * Runs the task; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["--method", "supervised", "--arch", "resnet_small", "--epochs", "1", "--out", "runs/sup"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      method: { type: "string" },
      arch: { type: "string" },
      epochs: { type: "string" },
      out: { type: "string" },
      resume: { type: "boolean", default: false },
      limit: { type: "string" },
      seed: { type: "string" },
      "batch-size": { type: "string" },
      optimizer: { type: "string" },
      lr: { type: "string" },
      "weight-decay": { type: "string" },
      widths: { type: "string" },
      layers: { type: "string" },
      loss: { type: "string" },
      augment: { type: "string" },
      "queue-size": { type: "string" },
      "local-crops": { type: "string" },
      "teacher-temp": { type: "string" },
      "warmup-teacher-temp": { type: "string" },
      "warmup-teacher-epochs": { type: "string" },
      "freeze-last-layer-epochs": { type: "string" },
      "eval-limit": { type: "string" },
      "log-every": { type: "string" },
      "max-steps": { type: "string" },
      "snapshot-every": { type: "string" },
      "data-dir": { type: "string" },
      init: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const method = choiceFlag("method", values.method, METHOD_NAMES);
  const archName = choiceFlag("arch", values.arch, FASHION_ARCH_NAMES);
  const epochs = intFlag("epochs", values.epochs, 1);
  if (!values.out) throw new UsageError("--out is required");
  const out = values.out;
  const limit = intFlag("limit", values.limit, 1, 60000);
  const seed = intFlag("seed", values.seed, 0, 0);
  const batchSize = intFlag("batch-size", values["batch-size"], 2, 64);
  const evalLimit = intFlag("eval-limit", values["eval-limit"], 0, 10000);
  const logEvery = intFlag("log-every", values["log-every"], 1, 20);
  const maxSteps = values["max-steps"] === undefined
    ? undefined
    : intFlag("max-steps", values["max-steps"], 1);
  const arch: ArchConfig = { name: archName, seed };
  if (values.widths) arch.widths = intListFlag("widths", values.widths);
  if (values.layers) arch.layers = intListFlag("layers", values.layers);
  let optim: OptimConfig | undefined;
  if (values.optimizer || values.lr || values["weight-decay"]) {
    const sup = method === "supervised";
    optim = {
      kind: values.optimizer
        ? choiceFlag("optimizer", values.optimizer, ["sgd", "adam", "adamw"] as const)
        : sup
        ? "adam"
        : "adamw",
      lr: values.lr ? numberFlag("lr", values.lr) : 1e-3,
      weightDecay: values["weight-decay"] !== undefined
        ? numberFlag("weight-decay", values["weight-decay"])
        : sup
        ? 0
        : method === "dino"
        ? 0.04
        : method === "mocov3"
        ? 0.1
        : 1e-4,
    };
  }
  const cfg: PretrainConfig = {
    method,
    arch,
    numClasses: 10,
    totalSteps: 0,
    optim,
    loss: values.loss ? choiceFlag("loss", values.loss, ["ce", "bce"] as const) : undefined,
    augment: values.augment ? choiceFlag("augment", values.augment, ["none", "light"] as const) : undefined,
    queueSize: values["queue-size"] ? intFlag("queue-size", values["queue-size"], 1) : undefined,
    localCrops: values["local-crops"] ? intFlag("local-crops", values["local-crops"], 0) : undefined,
  };
  if (method === "mocov2" && (cfg.queueSize ?? 1024) % batchSize !== 0) {
    throw new UsageError(
      `--queue-size ${cfg.queueSize ?? 1024} must be a multiple of --batch-size ${batchSize}`,
    );
  }

  const dino = method === "dino" ? dinoFlags(values) : null;
  if (values.init !== undefined && method !== "supervised") {
    throw new UsageError("--init works with --method supervised only");
  }

  await initGpu();
  const dataDir = values["data-dir"];
  const train = fashionImageSet(await loadFashionMnist({ split: "train", limit, dir: dataDir }));
  const data = new ViewBatcher({ set: train, batchSize, views: pretrainViews(cfg), seed });
  cfg.totalSteps = data.batchesPerEpoch * epochs;
  if (dino) cfg.dino = dino(data.batchesPerEpoch);
  const m = buildPretrainMethod(cfg);
  if (values.init !== undefined) {
    if (!(m instanceof SupervisedMethod)) throw new UsageError("--init works with --method supervised only");
    await initFromRun(m, values.init);
  }
  const runConfig = { pretrain: cfg, limit, batchSize, init: values.init ?? null };
  const t0 = performance.now();
  const result = await trainLoop({
    method: m,
    data,
    epochs,
    outDir: out,
    resume: values.resume,
    seed,
    logEvery,
    config: runConfig,
    stopAtStep: maxSteps,
    snapshotEvery: intFlag("snapshot-every", values["snapshot-every"], 0, 0),
    label: `pretrain ${method} ${archName}`,
  });
  if (result.interrupted) {
    console.error(
      `pretrain: stopped at step ${result.step}; checkpoint ${result.checkpoint}. ` +
        `Continue with the same command plus --resume.`,
    );
    m.dispose();
    return 130;
  }
  const summary: Record<string, unknown> = {
    method,
    arch: m.exported.config,
    epochs,
    steps: result.step,
    trainImages: train.n,
    batchSize,
    seed,
    epochLoss: result.history.epochs.map((e) => e.loss),
    secondsPerEpoch: result.history.epochs.map((e) => e.seconds),
    imagesPerSecond: result.history.epochs.map((e) => e.samplesPerSecond),
    wallSeconds: (performance.now() - t0) / 1000,
  };
  if (m instanceof SupervisedMethod && evalLimit > 0) {
    const test = fashionImageSet(await loadFashionMnist({ split: "test", limit: evalLimit, dir: dataDir }));
    m.setTraining(false);
    const transform = viewTransform({ size: 28, kind: "none", bcos: m.exported.bcos });
    const logits = await predict((x) => m.logits(x), test, { transform });
    summary.testAccuracy = topOneAccuracy(logits, test.labels);
    summary.testImages = test.n;
  }
  await saveBackbone(out, m.exported, {
    method,
    run: summary,
    head: m instanceof SupervisedMethod ? m.head : undefined,
  });
  await atomicWriteTextFile(`${out}/result.json`, JSON.stringify(summary, null, 2) + "\n");
  await writeLossCurve(`${out}/loss.png`, result.history, `${method} ${archName}: training loss`);
  const acc = summary.testAccuracy === undefined
    ? ""
    : `, test accuracy ${((summary.testAccuracy as number) * 100).toFixed(2)}%`;
  const perEpoch = result.history.epochs.map((e) => formatDuration(e.seconds)).join(", ");
  console.error(
    `pretrain ${method} ${archName}: ${result.step} steps, final epoch loss ${
      (summary.epochLoss as number[]).at(-1)?.toFixed(4)
    }${acc}; per epoch ${perEpoch}; backbone in ${out}`,
  );
  if (values.json) console.log(JSON.stringify(summary));
  m.dispose();
  return 0;
}

if (import.meta.main) runMain("pretrain", main);
