/**
 * The flags of `tasks/probe.ts`: its help text, and their parsing and checks into {@link ProbeFlags}
 * (every usage error is raised here, before the GPU or any data is touched).
 *
 * @module
 */
import { type ArchName, FASHION_ARCH_NAMES } from "../../core/train/arch.ts";
import { FOLDER_DATASETS, type FolderDataset } from "../../core/train/folder_data.ts";
import { PROBE_NAMES, type ProbeName } from "../../core/train/probe.ts";
import { parseFlags, UsageError } from "../cli.ts";
import { choiceFlag, intFlag, intListFlag, numberFlag, numberListFlag } from "./args.ts";

/** The `--help` text of the probe task. */
export const PROBE_HELP: string =
  `deno run -A tasks/probe.ts --backbone DIR|random --probe P --loss ce|bce --epochs N --out DIR [options]

Trains a probe on frozen backbone features and reports test accuracy (multi-label: F1). Features
are computed once (backbone in eval mode) and cached, keyed by the backbone weights and the data;
with --augment light the training images instead go through the frozen backbone every step, freshly
augmented (the paper's probe training; test features are still cached).
Writes DIR/result.json, DIR/probe.safetensors, DIR/history.json; checkpoints in DIR/checkpoints.
On image-file datasets also DIR/eval_set.json and DIR/test_logits.safetensors (the scored test images
and the probe's logits on them, read by the reproduce pipeline's explain stage).

  --backbone DIR    a run directory of tasks/pretrain.ts, or 'random' (untrained; needs --arch)
  --arch A          architecture of a random backbone: ${FASHION_ARCH_NAMES.join(" | ")}
  --widths LIST     ResNet widths of a random backbone (as given to pretrain)
  --layers LIST     ResNet blocks per stage of a random backbone
  --probe P         ${PROBE_NAMES.join(" | ")}
  --loss L          ce | bce (BCE: off-labels 1/C; multi-label: plain 0/1 targets)
  --bce-off-label T target of the other classes with single-label --loss bce (default 1/C, PROTOCOL.md
                    §3; 0 gives plain one-hot BCE). 1/C is 0.001 on ImageNet but 0.1 on 10 classes
  --epochs N        epochs over the training features
  --out DIR         output directory
  --dataset D       fashion-mnist (default) | imagenet | voc2007 | coco2014; the last three are read
                    from --data-dir (ImageNet: ImageFolder train/ and val/; VOC: trainval / test;
                    COCO: train2014 / val2014); VOC and COCO are multi-label (BCE, F1)
  --image-size S    input side for imagenet / voc2007 / coco2014 (default 224): ImageNet images are
                    resized to S*256/224 and centre-cropped to S, VOC / COCO resized to S x S; RGB,
                    ImageNet mean/std for conventional backbones, [rgb, 1-rgb] for B-cos ones, gray
                    for 1-channel backbones
  --multilabel      multi-object Fashion-MNIST scenes, multi-label BCE, F1
  --augment K       none (default: train on cached features of un-augmented images) | light: a random
                    resized crop + horizontal flip of every training image each step, through the
                    frozen backbone. Fashion-MNIST (and its scenes): 64-100% of the area, in memory.
                    imagenet / voc2007 / coco2014: the torchvision ImageNet crop, 8-100% of the area
                    (aspect 3/4-4/3) resized to --image-size, decoded from the files every step
                    (unreadable files are skipped with a warning); VOC / COCO keep multi-hot targets
  --resume          continue the probe run in DIR
  --limit N         training images (default 10000; image-file datasets: all, else a fixed subset)
  --test-limit N    test images (default 10000; image-file datasets: all, else a fixed subset)
  --scenes N        training scenes with --multilabel (default 1000)
  --test-scenes N   test scenes with --multilabel (default 300)
  --scene-size S    scene side in pixels (default 84)
  --batch-size B    feature maps per step (default 256)
  --lr X[,Y...]     peak Adam learning rate (default 1e-3; warm-up 5%, cosine); several values search:
                    one probe each on the training items minus a held-out --val-fraction, the best
                    on those held-out items is retrained on all training items and tested
                    (candidates' runs in DIR/lr_search)
  --val-fraction F  held-out share of the training items for the lr search (default 0.1)
  --hidden H        hidden width of MLP probes (default 256)
  --seed S          seed of the probe, data order and random backbone (default 0)
  --cache-dir DIR   feature cache (default: <backbone>/features, or <out>/features for random)
  --data-dir DIR    directory holding the Fashion-MNIST files, or the root of an image-file dataset
  --json            print the result as one JSON line on stdout
  --help            this text`;

/** The probe task's checked flags (see {@link PROBE_HELP} for each). */
export interface ProbeFlags {
  /** A pretrain run directory, or "random". */
  backbone: string;
  /** An untrained backbone is asked for. */
  random: boolean;
  /** Architecture of a random backbone. */
  arch?: ArchName;
  /** ResNet widths of a random backbone. */
  widths?: number[];
  /** ResNet blocks per stage of a random backbone. */
  layers?: number[];
  /** Probe kind. */
  probe: ProbeName;
  /** Loss. */
  loss: "ce" | "bce";
  /** Off-label target of single-label BCE (undefined: 1/C). */
  bceOffLabel?: number;
  /** Epochs. */
  epochs: number;
  /** Output directory. */
  out: string;
  /** Dataset name. */
  dataset: "fashion-mnist" | FolderDataset;
  /** The image-file dataset, or null for Fashion-MNIST. */
  folder: FolderDataset | null;
  /** Multi-label (scenes, VOC, COCO). */
  multi: boolean;
  /** Training augmentation. */
  augment: "none" | "light";
  /** Dataset directory. */
  dataDir?: string;
  /** Feature cache directory. */
  cacheDir?: string;
  /** Input side of image-file datasets. */
  imageSize: number;
  /** Seed. */
  seed: number;
  /** Training images (0 = all). */
  limit: number;
  /** Test images (0 = all). */
  testLimit: number;
  /** Training scenes. */
  scenes: number;
  /** Test scenes. */
  testScenes: number;
  /** Scene side. */
  sceneSize: number;
  /** Batch size. */
  batchSize: number;
  /** Hidden width of MLP probes. */
  hidden: number;
  /** Learning-rate candidates (one: no search). */
  lrs: number[];
  /** Held-out share of the lr search. */
  valFraction: number;
  /** Continue the run. */
  resume: boolean;
  /** Print the result as JSON. */
  json: boolean;
}

/**
 * Parses and checks the probe task's arguments; null when `--help` was asked for.
 *
 * @example
 * ```ts ignore
 * const f = parseProbeFlags(["--backbone", "random", "--arch", "resnet_small", "--probe", "linear",
 *   "--loss", "bce", "--epochs", "5", "--out", "runs/lin", "--lr", "0.1,1"]);
 * console.log(f?.lrs); // [0.1, 1]
 * ```
 */
export function parseProbeFlags(args: string[]): ProbeFlags | null {
  const { values } = parseFlags({
    args,
    options: {
      backbone: { type: "string" },
      arch: { type: "string" },
      widths: { type: "string" },
      layers: { type: "string" },
      probe: { type: "string" },
      loss: { type: "string" },
      epochs: { type: "string" },
      out: { type: "string" },
      dataset: { type: "string" },
      "image-size": { type: "string" },
      multilabel: { type: "boolean", default: false },
      augment: { type: "string" },
      resume: { type: "boolean", default: false },
      limit: { type: "string" },
      "test-limit": { type: "string" },
      scenes: { type: "string" },
      "test-scenes": { type: "string" },
      "scene-size": { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      "val-fraction": { type: "string" },
      "bce-off-label": { type: "string" },
      hidden: { type: "string" },
      seed: { type: "string" },
      "cache-dir": { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return null;
  if (!values.backbone) throw new UsageError("--backbone is required (a pretrain run directory or 'random')");
  const probe = choiceFlag("probe", values.probe, PROBE_NAMES);
  const loss = choiceFlag("loss", values.loss, ["ce", "bce"] as const);
  const epochs = intFlag("epochs", values.epochs, 1);
  if (!values.out) throw new UsageError("--out is required");
  const out = values.out;
  const dataset = values.dataset === undefined
    ? "fashion-mnist"
    : choiceFlag("dataset", values.dataset, ["fashion-mnist", ...FOLDER_DATASETS] as const);
  const folder: FolderDataset | null = dataset === "fashion-mnist" ? null : dataset;
  if (folder && values.multilabel) {
    throw new UsageError(
      "--multilabel is for Fashion-MNIST scenes; voc2007 and coco2014 are multi-label already",
    );
  }
  const multi = values.multilabel || folder === "voc2007" || folder === "coco2014";
  if (values.multilabel && loss === "ce") throw new UsageError("--multilabel needs --loss bce");
  if (multi && loss === "ce") throw new UsageError(`--dataset ${folder} is multi-label and needs --loss bce`);
  const augment = values.augment === undefined
    ? "none"
    : choiceFlag("augment", values.augment, ["none", "light"]);
  if (folder && !values["data-dir"]) throw new UsageError(`--dataset ${folder} needs --data-dir (its root)`);
  if (!folder && values["image-size"] !== undefined) {
    throw new UsageError("--image-size applies to --dataset imagenet, voc2007 and coco2014");
  }
  const imageSize = intFlag("image-size", values["image-size"], 8, 224);
  const seed = intFlag("seed", values.seed, 0, 0);
  const limit = intFlag("limit", values.limit, 1, folder ? 0 : 10000);
  const testLimit = intFlag("test-limit", values["test-limit"], 1, folder ? 0 : 10000);
  const scenes = intFlag("scenes", values.scenes, 1, 1000);
  const testScenes = intFlag("test-scenes", values["test-scenes"], 1, 300);
  const sceneSize = intFlag("scene-size", values["scene-size"], 28, 84);
  const batchSize = intFlag("batch-size", values["batch-size"], 1, 256);
  const hidden = intFlag("hidden", values.hidden, 1, 256);
  const lrs = values.lr ? numberListFlag("lr", values.lr) : [1e-3];
  const valFraction = values["val-fraction"] === undefined
    ? 0.1
    : numberFlag("val-fraction", values["val-fraction"]);
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new UsageError(`--val-fraction must be in (0, 1), got '${values["val-fraction"]}'`);
  }
  const bceOffLabel = values["bce-off-label"] === undefined
    ? undefined
    : numberFlag("bce-off-label", values["bce-off-label"]);
  if (bceOffLabel !== undefined) {
    if (loss !== "bce" || multi) throw new UsageError("--bce-off-label applies to single-label --loss bce");
    if (!(bceOffLabel >= 0 && bceOffLabel < 1)) {
      throw new UsageError(`--bce-off-label must be in [0, 1), got '${values["bce-off-label"]}'`);
    }
  }
  const random = values.backbone === "random";
  if (random && !values.arch) throw new UsageError("--backbone random needs --arch");
  const arch = random ? choiceFlag("arch", values.arch, FASHION_ARCH_NAMES) : undefined;

  return {
    backbone: values.backbone,
    random,
    arch,
    widths: values.widths ? intListFlag("widths", values.widths) : undefined,
    layers: values.layers ? intListFlag("layers", values.layers) : undefined,
    probe,
    loss,
    bceOffLabel,
    epochs,
    out,
    dataset,
    folder,
    multi,
    augment,
    dataDir: values["data-dir"],
    cacheDir: values["cache-dir"],
    imageSize,
    seed,
    limit,
    testLimit,
    scenes,
    testScenes,
    sceneSize,
    batchSize,
    hidden,
    lrs,
    valFraction,
    resume: values.resume,
    json: values.json,
  };
}
