/**
 * `deno run -A tasks/probe.ts`: trains a probe on a frozen backbone's cached features (Fashion-MNIST,
 * multi-object Fashion-MNIST scenes with `--multilabel`, or image files: ImageNet in ImageFolder
 * layout, VOC 2007 and COCO 2014 with `--dataset`) and reports test accuracy (or F1). With `--augment light`
 * the training images instead go through the frozen backbone every step, freshly augmented: Fashion-MNIST
 * from memory, image-file datasets decoded on worker threads batch by batch (`core/train/folder_batches.ts`).
 *
 * @module
 */
import { initGpu } from "../core/gpu/device.ts";
import type { Sample } from "../core/data/dataset.ts";
import { DecodePool } from "../core/data/decode_pool.ts";
import { type FashionMnist, loadFashionMnist } from "../core/data/fashion_mnist.ts";
import { makeScenes } from "../core/data/scenes.ts";
import { writeSafetensors } from "../core/io/safetensors.ts";
import { atomicWriteTextFile } from "../core/io/atomic_write.ts";
import { FASHION_ARCH_NAMES } from "../core/train/arch.ts";
import type { Transform } from "../core/data/transforms.ts";
import { viewTransform } from "../core/train/augment.ts";
import { fashionImageSet, type ImageSet, sceneImageSet, ViewBatcher } from "../core/train/data.ts";
import { searchLearningRate, searchLearningRateOn } from "../core/train/lr_search.ts";
import { loadBackbone, type LoadedBackbone, randomBackbone } from "../core/train/export.ts";
import { cachedFeatures, featureSet } from "../core/train/features.ts";
import { type EvalSet, writeEvalSet } from "../core/train/eval_set.ts";
import { FolderBatches } from "../core/train/folder_batches.ts";
import { FOLDER_DATASETS, type FolderDataset, folderTrainTransform } from "../core/train/folder_data.ts";
import { folderFeatureSet, folderProbeSets, samplesHash } from "../core/train/folder_probe_data.ts";
import { trainLoop } from "../core/train/loop.ts";
import { evaluateProbe, PROBE_NAMES, ProbeMethod } from "../core/train/probe.ts";
import { readStateDict } from "../core/train/readback.ts";
import { parseFlags, runMain, UsageError } from "./cli.ts";
import { exists } from "./pipeline/fs.ts";
import { choiceFlag, intFlag, intListFlag, numberFlag, numberListFlag } from "./train/args.ts";

const HELP =
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

/**
 * Runs the task; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["--backbone", "runs/moco", "--probe", "linear", "--loss", "bce", "--epochs", "5", "--out", "runs/moco-lin"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
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
      hidden: { type: "string" },
      seed: { type: "string" },
      "cache-dir": { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
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
  const random = values.backbone === "random";
  if (random && !values.arch) throw new UsageError("--backbone random needs --arch");
  const arch = random ? choiceFlag("arch", values.arch, FASHION_ARCH_NAMES) : undefined;

  await initGpu();
  const loaded: LoadedBackbone = random
    ? await randomBackbone({
      name: arch!,
      seed,
      widths: values.widths ? intListFlag("widths", values.widths) : undefined,
      layers: values.layers ? intListFlag("layers", values.layers) : undefined,
    })
    : await loadBackbone(values.backbone);
  const bb = loaded.backbone;
  const cacheDir = values["cache-dir"] ?? (random ? `${out}/features` : `${values.backbone}/features`);
  const dataDir = values["data-dir"];
  const encoding = bb.bcos ? "bcos6" : "none";
  const transform = viewTransform({ size: 28, kind: "none", bcos: bb.bcos });
  // a linear probe commutes with average pooling: its features can be the maps' means
  const reduce = probe === "linear" ? "mean" : "map";
  const sets = async (
    split: "train" | "test",
    n: number,
    count: number,
  ): Promise<[ImageSet, Record<string, unknown>]> => {
    const fm: FashionMnist = await loadFashionMnist({ split, limit: n, dir: dataDir });
    if (!multi) return [fashionImageSet(fm), { dataset: "fashion-mnist", split, limit: n, encoding }];
    const sceneOpts = { count, size: sceneSize, seed: split === "train" ? 1 : 2 };
    const key = { dataset: "fashion-mnist-scenes", split, limit: n, encoding, ...sceneOpts };
    return [sceneImageSet(makeScenes(fm, sceneOpts)), key];
  };
  const feats = async (set: ImageSet, dataKey: Record<string, unknown>) => {
    const r = await cachedFeatures({
      cacheDir,
      backbone: bb,
      backboneHash: loaded.hash,
      set,
      dataKey,
      transform,
      reduce,
    });
    console.error(`probe: features ${r.hit ? "from cache" : "computed"} ${r.path} [${r.features.shape}]`);
    return featureSet(r.features, set);
  };
  const images = augment !== "none";
  // streamed training images: decoded on these workers every step (closed when main returns)
  using pool = folder && images ? new DecodePool() : null;
  let train: TrainItems, testSet: ImageSet, trainKey: Record<string, unknown>;
  let evalSet: EvalSet | null = null;
  let stream: Stream | null = null;
  if (folder) {
    const f = await folderProbeSets({
      dataset: folder,
      root: dataDir!,
      imageSize,
      limit,
      testLimit,
      loaded,
      cacheDir,
      reduce,
      streamTrain: pool !== null,
      pool: pool ?? undefined,
    });
    ({ test: testSet, trainKey } = f);
    train = f.train ? { set: f.train } : { samples: f.trainSamples };
    if (pool) {
      stream = {
        pool,
        numClasses: f.classes.length,
        transform: folderTrainTransform(imageSize, f.encoding),
        channels: f.encoding.channels,
        heldOut: async (samples) => {
          const dataKey = { ...f.trainKey, samples: await samplesHash(samples) };
          const { set, hit, path } = await folderFeatureSet({
            ...{ dataset: folder, imageSize, loaded, cacheDir, reduce, encoding: f.encoding, pool },
            ...{ samples, numClasses: f.classes.length, multiLabel: f.multiLabel, dataKey },
          });
          console.error(`probe: held-out features ${hit ? "from cache" : "computed"} ${path}`);
          return set;
        },
      };
    }
    evalSet = {
      dataset: folder,
      root: dataDir!,
      imageSize,
      encoding: f.encoding,
      classes: f.classes,
      multiLabel: f.multiLabel,
      samples: f.testSamples,
    };
  } else {
    const [trainImages, trainImagesKey] = await sets("train", limit, scenes);
    const [testImages, testKey] = await sets("test", testLimit, testScenes);
    train = { set: images ? trainImages : await feats(trainImages, trainImagesKey) };
    testSet = await feats(testImages, testKey);
    trainKey = trainImagesKey;
  }
  const trainItems = "set" in train ? train.set.n : train.samples.length;
  if (images) {
    console.error(`probe: training images go through the frozen backbone each step (--augment ${augment})`);
  }
  const tokens = testSet.itemShape[2] === 1 && bb.fixedSize !== null;
  // (Fashion-MNIST images in memory; streamed image files have their own transform)
  const augmentView = images && "set" in train
    ? viewTransform({ size: train.set.itemShape[2], kind: "light", bcos: bb.bcos })
    : undefined;
  const scoreOf = (s: { accuracy?: number; microF1?: number }) => multi ? s.microF1! : s.accuracy!;
  const percent = (x: number) => `${(x * 100).toFixed(2)}%`;

  /** The batches of training items: in memory, or image files decoded on `stream`'s workers. */
  const batchesOf = (items: TrainItems, batch: number) =>
    "set" in items
      ? new ViewBatcher({ set: items.set, batchSize: batch, views: [augmentView], seed, dropLast: false })
      : new FolderBatches({
        ...{ samples: items.samples, numClasses: stream!.numClasses, multiLabel: multi, batchSize: batch },
        ...{ pool: stream!.pool, transform: stream!.transform, channels: stream!.channels, seed },
        onWarning: (m) => console.error(`probe: ${m}`),
      });

  /** Trains one probe on `items` at `lr` in `dir` (resuming a run there); null when interrupted. */
  const fit = async (items: TrainItems, lr: number, dir: string, resume: boolean, label: string) => {
    const n = "set" in items ? items.set.n : items.samples.length;
    const data = batchesOf(items, Math.min(batchSize, n));
    try {
      return await fitOn(data, n, lr, dir, resume, label);
    } finally {
      if (data instanceof FolderBatches) {
        await data.close();
        if (data.skipped.length) console.error(`probe: ${data.skipped.length} training image(s) skipped`);
      }
    }
  };

  const fitOn = async (
    data: ViewBatcher | FolderBatches,
    n: number,
    lr: number,
    dir: string,
    resume: boolean,
    label: string,
  ) => {
    const method = new ProbeMethod({
      probe,
      inChannels: bb.featureDim,
      numClasses: testSet.numClasses,
      loss,
      multiLabel: multi,
      bias: probe === "linear" ? !bb.bcos : undefined,
      hidden,
      tokens,
      totalSteps: data.batchesPerEpoch * epochs,
      optim: { kind: "adam", lr, weightDecay: 0, warmupFraction: 0.05 },
      seed,
      frozen: images ? { backbone: bb, reduce } : undefined,
    });
    const config = {
      backbone: values.backbone,
      backboneHash: loaded.hash,
      probe,
      loss,
      multi,
      trainKey,
      batchSize,
      hidden,
      lr,
      // (only when set, so that runs from before these options still resume)
      ...(images ? { augment } : {}),
      ...(n !== trainItems ? { fitItems: n } : {}),
    };
    const result = await trainLoop({
      method,
      data,
      epochs,
      outDir: dir,
      resume,
      seed,
      config,
      logEvery: 50,
      label,
    });
    if (!result.interrupted) return { method, result };
    console.error(
      `probe: stopped at step ${result.step}; checkpoint ${result.checkpoint}. Rerun with --resume.`,
    );
    method.dispose();
    return null;
  };

  /** Trains a candidate of the lr search and scores it on the held-out items (images, or features). */
  const candidate = async (items: TrainItems, val: ImageSet, lr: number, dir: string, resume: boolean) => {
    const run = await fit(items, lr, dir, resume, `probe ${probe} ${loss} lr ${lr}`);
    if (!run) return null;
    // (the encoding transform applies to images only: features were computed from encoded images)
    const valImages = images && "set" in items;
    const scores = await evaluateProbe(run.method, val, valImages ? { images: true, transform } : {});
    run.method.dispose();
    return scoreOf(scores);
  };
  // learning-rate search on held-out training items (core/train/lr_search.ts); streamed image files are
  // split by the same seeded holdoutSplit, and their held-out part is scored on cached eval-transform
  // features (the test images' centre crop / resize), computed once for all candidates
  const searchBase = {
    lrs,
    valFraction,
    seed,
    dir: `${out}/lr_search`,
    log: (line: string) => console.error(`probe: ${line}`),
  };
  const search = lrs.length < 2 ? null : "set" in train
    ? await searchLearningRate({
      ...searchBase,
      set: train.set,
      trainAndScore: (fitSet, val, lr, dir, resume) => candidate({ set: fitSet }, val, lr, dir, resume),
    })
    : await searchLearningRateOn({
      ...searchBase,
      n: train.samples.length,
      parts: async (fitIdx, valIdx) => {
        const samples = (train as { samples: Sample[] }).samples;
        const val = await stream!.heldOut(valIdx.map((i) => samples[i]));
        return { fit: { samples: fitIdx.map((i) => samples[i]) }, val, valItems: val.n };
      },
      trainAndScore: candidate,
    });
  if (lrs.length > 1 && !search) {
    if (images) bb.module.dispose();
    return 130;
  }
  const lr = search?.lr ?? lrs[0];
  if (search) {
    console.error(`probe: lr ${lr} has the best validation score; training on all ${trainItems} items`);
  }

  // after an interrupted search, --resume finds no final run yet: it starts
  const resumeFinal = values.resume &&
    (!search || await exists(`${out}/checkpoints`));
  const run = await fit(train, lr, out, resumeFinal, `probe ${probe} ${loss}`);
  if (images) bb.module.dispose();
  if (!run) return 130;
  const { method, result } = run;
  const scores = await evaluateProbe(method, testSet);
  const summary = {
    backbone: values.backbone,
    backboneMethod: loaded.record.method,
    arch: loaded.record.arch,
    dataset,
    imageSize: folder ? imageSize : 28,
    probe,
    loss,
    multilabel: multi,
    augment,
    lr,
    ...(search ? { lrSearch: search.candidates, validationItems: search.validationItems } : {}),
    epochs,
    steps: result.step,
    trainItems,
    testItems: testSet.n,
    accuracy: scores.accuracy,
    microF1: scores.microF1,
    macroF1: scores.macroF1,
    epochLoss: result.history.epochs.map((e) => e.loss),
    seed,
  };
  await writeSafetensors(`${out}/probe.safetensors`, await readStateDict(method.probe.stateDict()), {
    probe: JSON.stringify(method.probe.config),
  });
  if (evalSet) await writeEvalSet(out, evalSet, scores.logits);
  await atomicWriteTextFile(`${out}/result.json`, JSON.stringify(summary, null, 2) + "\n");
  const score = multi
    ? `micro F1 ${percent(scores.microF1!)}, macro F1 ${percent(scores.macroF1!)}`
    : `test accuracy ${percent(scores.accuracy!)}`;
  console.error(`probe ${probe} (${loss}) on ${values.backbone} (${loaded.record.method}): ${score}`);
  if (values.json) console.log(JSON.stringify(summary));
  method.dispose();
  return 0;
}

/** Training items: an in-memory set (features, or Fashion-MNIST images), or image files to stream. */
type TrainItems = { set: ImageSet } | { samples: Sample[] };

/** How streamed image files are decoded, augmented and held out. */
interface Stream {
  /** Decoder workers. */
  pool: DecodePool;
  /** Classes of the dataset. */
  numClasses: number;
  /** The random training transform with the backbone's encoding. */
  transform: Transform;
  /** Channels decoded. */
  channels: 1 | 3;
  /** Cached evaluation-transform features of some training samples (the lr search's held-out part). */
  heldOut(samples: Sample[]): Promise<ImageSet>;
}

if (import.meta.main) runMain("probe", main);
