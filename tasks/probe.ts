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
import type { Transform } from "../core/data/transforms.ts";
import { viewTransform } from "../core/train/augment.ts";
import { fashionImageSet, type ImageSet, sceneImageSet, ViewBatcher } from "../core/train/data.ts";
import { searchLearningRate, searchLearningRateOn } from "../core/train/lr_search.ts";
import { loadBackbone, type LoadedBackbone, randomBackbone } from "../core/train/export.ts";
import { cachedFeatures, featureSet } from "../core/train/features.ts";
import { type EvalSet, writeEvalSet } from "../core/train/eval_set.ts";
import { FolderBatches } from "../core/train/folder_batches.ts";
import { folderTrainTransform } from "../core/train/folder_data.ts";
import { folderFeatureSet, folderProbeSets, samplesHash } from "../core/train/folder_probe_data.ts";
import { trainLoop } from "../core/train/loop.ts";
import { evaluateProbe, ProbeMethod } from "../core/train/probe.ts";
import { readStateDict } from "../core/train/readback.ts";
import { runMain } from "./cli.ts";
import { exists } from "./pipeline/fs.ts";
import { parseProbeFlags, PROBE_HELP } from "./train/probe_flags.ts";

/**
 * Runs the task; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["--backbone", "runs/moco", "--probe", "linear", "--loss", "bce", "--epochs", "5", "--out", "runs/moco-lin"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const f = parseProbeFlags(args);
  if (!f) {
    console.log(PROBE_HELP);
    return 0;
  }
  const { probe, loss, epochs, out, dataset, folder, multi, augment, imageSize, seed, limit, testLimit } = f;
  const { scenes, testScenes, sceneSize, batchSize, hidden, lrs, valFraction, random, arch } = f;
  await initGpu();
  const loaded: LoadedBackbone = random
    ? await randomBackbone({
      name: arch!,
      seed,
      widths: f.widths,
      layers: f.layers,
    })
    : await loadBackbone(f.backbone);
  const bb = loaded.backbone;
  const cacheDir = f.cacheDir ?? (random ? `${out}/features` : `${f.backbone}/features`);
  const dataDir = f.dataDir;
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
            dataset: folder,
            imageSize,
            loaded,
            cacheDir,
            reduce,
            encoding: f.encoding,
            pool,
            samples,
            numClasses: f.classes.length,
            multiLabel: f.multiLabel,
            dataKey,
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
  const trainItems = itemCount(train);
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
        samples: items.samples,
        numClasses: stream!.numClasses,
        multiLabel: multi,
        batchSize: batch,
        pool: stream!.pool,
        transform: stream!.transform,
        channels: stream!.channels,
        seed,
        onWarning: (m) => console.error(`probe: ${m}`),
      });

  /** Trains one probe on `items` at `lr` in `dir` (resuming a run there); null when interrupted. */
  const fit = async (items: TrainItems, lr: number, dir: string, resume: boolean, label: string) => {
    const n = itemCount(items);
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

  // what every run of this probe (lr candidates and the final one) records in its checkpoints
  const runConfig = {
    backbone: f.backbone,
    backboneHash: loaded.hash,
    probe,
    loss,
    multi,
    trainKey,
    batchSize,
    hidden,
    // (only when set, so that runs from before these options still resume)
    ...(images ? { augment } : {}),
    ...(f.bceOffLabel !== undefined ? { bceOffLabel: f.bceOffLabel } : {}),
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
      bceOffLabel: f.bceOffLabel,
      multiLabel: multi,
      bias: probe === "linear" ? !bb.bcos : undefined,
      hidden,
      tokens,
      totalSteps: data.batchesPerEpoch * epochs,
      optim: { kind: "adam", lr, weightDecay: 0, warmupFraction: 0.05 },
      seed,
      frozen: images ? { backbone: bb, reduce } : undefined,
    });
    const config = { ...runConfig, lr, ...(n !== trainItems ? { fitItems: n } : {}) };
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
    key: JSON.stringify({ ...runConfig, epochs, seed, valFraction }),
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
  const resumeFinal = f.resume &&
    (!search || await exists(`${out}/checkpoints`));
  const run = await fit(train, lr, out, resumeFinal, `probe ${probe} ${loss}`);
  if (images) bb.module.dispose();
  if (!run) return 130;
  const { method, result } = run;
  const scores = await evaluateProbe(method, testSet);
  const summary = {
    backbone: f.backbone,
    backboneMethod: loaded.record.method,
    arch: loaded.record.arch,
    dataset,
    imageSize: folder ? imageSize : 28,
    probe,
    loss,
    ...(method.bceOffLabel !== null ? { bceOffLabel: method.bceOffLabel } : {}),
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
  console.error(`probe ${probe} (${loss}) on ${f.backbone} (${loaded.record.method}): ${score}`);
  if (f.json) console.log(JSON.stringify(summary));
  method.dispose();
  return 0;
}

/** Training items: an in-memory set (features, or Fashion-MNIST images), or image files to stream. */
type TrainItems = { set: ImageSet } | { samples: Sample[] };

/** Number of training items. */
function itemCount(items: TrainItems): number {
  return "set" in items ? items.set.n : items.samples.length;
}

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
