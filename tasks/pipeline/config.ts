/**
 * The experiment configuration (what a preset file holds): data, backbones, pre-training, probes,
 * explainers, metrics, report. {@link CONFIG_SCHEMA} validates it, naming the bad field; every field is
 * required (copy a preset and edit it); `presets/README.md` documents each field (its table is
 * {@link configFieldTable}, kept in sync by a test).
 *
 * @module
 */
import {
  arr,
  bool,
  ConfigError,
  nullable,
  num,
  obj,
  oneOf,
  optional,
  type Schema,
  schemaFields,
  str,
} from "./schema.ts";

/** Backbone architectures a preset may name (small ones for Fashion-MNIST, the paper's at 224 px). */
export const BACKBONE_ARCHS = [
  "resnet_tiny",
  "bcos_resnet_tiny",
  "resnet_small",
  "bcos_resnet_small",
  "vit_tiny",
  "bcos_vit_tiny",
  "resnet50",
  "bcos_resnet50",
  "vit_b_16",
  "bcos_vitc_s_16",
  "bcos_vitc_b_16",
] as const;

/** A backbone architecture name. */
export type BackboneArch = typeof BACKBONE_ARCHS[number];

/** Pre-training paradigms. */
export const PRETRAININGS = ["supervised", "mocov2", "byol", "dino", "mocov3", "clip"] as const;

/** Probe heads. */
export const PROBES = ["linear", "mlp2", "mlp3", "bcos_mlp2", "bcos_mlp3"] as const;

/** Probe losses. */
export const LOSSES = ["ce", "bce"] as const;

/** Explanation methods. */
export const EXPLAINERS = [
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

/** An explainer name. */
export type ExplainerName = typeof EXPLAINERS[number];

/** Single-label datasets. */
export const DATASETS = ["fashion-mnist", "imagenet"] as const;

/** Multi-label / box datasets (EPG, F1). */
export const MULTI_LABEL_DATASETS = ["fashion-scenes", "voc2007", "coco2014"] as const;

const count = (doc: string, min = 1) => num({ doc, int: true, min });

const backbone = obj({
  arch: oneOf(BACKBONE_ARCHS, { doc: "architecture; names starting with `bcos_` are B-cos networks" }),
  pretraining: oneOf(PRETRAININGS, {
    doc: "pre-training paradigm (`clip` only as a checkpoint)",
  }),
  checkpoint: nullable(str({
    doc:
      "released weights (safetensors / PyTorch, wrapper prefixes such as `module.encoder_q.` removed, heads dropped) or a `deno task pretrain` run directory; imported by the `pretrain` stage instead of training. null pre-trains",
    nonEmpty: true,
  })),
}, { doc: "one frozen backbone to probe" });

const multiLabel = obj({
  dataset: oneOf(MULTI_LABEL_DATASETS, {
    doc:
      "`fashion-scenes`: generated multi-object Fashion-MNIST scenes with boxes; VOC 2007 / COCO 2014 from `root`",
  }),
  root: nullable(str({ doc: "dataset directory (null for generated scenes)", nonEmpty: true })),
  imageSize: count("input side in pixels (scene canvas side for `fashion-scenes`)", 8),
  trainLimit: count("training images (scenes) for the multi-label probes", 0),
  testLimit: count("test images (scenes) scored by F1 and EPG", 1),
  itemsPerScene: nullable(
    arr(count("items"), { doc: "inclusive [min, max] items per generated scene", min: 2, max: 2 }),
  ),
}, { doc: "a multi-label dataset with boxes" });

/** A backbone of the configuration. */
export interface BackboneConfig {
  /** Architecture (`bcos_` prefix = B-cos). */
  arch: BackboneArch;
  /** Pre-training paradigm. */
  pretraining: typeof PRETRAININGS[number];
  /** Released weights, or null to pre-train. */
  checkpoint: string | null;
}

/** A multi-label dataset of the configuration. */
export interface MultiLabelConfig {
  /** Dataset. */
  dataset: typeof MULTI_LABEL_DATASETS[number];
  /** Directory (null for generated scenes). */
  root: string | null;
  /** Input side in pixels. */
  imageSize: number;
  /** Training images (scenes). */
  trainLimit: number;
  /** Test images (scenes). */
  testLimit: number;
  /** [min, max] items per generated scene. */
  itemsPerScene: number[] | null;
}

/** A validated configuration (each field is documented in `presets/README.md`). */
export interface PipelineConfig {
  /** Preset name. */
  name: string;
  /** One-line description. */
  description: string;
  /** Output directory. */
  out: string;
  /** Probe seeds. */
  seeds: number[];
  /** Datasets. */
  data: {
    /** Single-label dataset. */
    dataset: typeof DATASETS[number];
    /** Its directory (null: Fashion-MNIST default location). */
    root: string | null;
    /** Input side. */
    imageSize: number;
    /** Training images (0 = all). */
    trainLimit: number;
    /** Test images (0 = all). */
    testLimit: number;
    /** Multi-label datasets with boxes. */
    multiLabel: MultiLabelConfig[];
  };
  /** Backbones. */
  backbones: BackboneConfig[];
  /** Pre-training. */
  pretrain: {
    /** Epochs. */
    epochs: number;
    /** Batch size. */
    batchSize: number;
    /** Peak learning rate. */
    lr: number;
    /** Optimiser (null: the method's default). */
    optimizer: "sgd" | "adam" | "adamw" | null;
    /** Seed. */
    seed: number;
  };
  /** Probes. */
  probe: {
    /** Probe heads. */
    probes: (typeof PROBES[number])[];
    /** Losses of the linear probes. */
    losses: (typeof LOSSES[number])[];
    /** Losses of the MLP probes. */
    mlpLosses: (typeof LOSSES[number])[];
    /** Epochs. */
    epochs: number;
    /** Batch size. */
    batchSize: number;
    /** Peak learning rates of the linear probes (and of the MLP probes when `mlpLr` is null); several are searched. */
    lr: number[];
    /** Peak learning rates of the MLP probes (null: `lr`). */
    mlpLr: number[] | null;
    /** Augmentation of the probes' training images (`light`: crops + flips through the frozen backbone each step). */
    augment: "none" | "light";
    /** Single-label BCE target of the other classes (absent: 1/C, PROTOCOL.md §3). */
    bceOffLabel?: number;
    /** Hidden width of MLP probes. */
    hidden: number;
    /** Bias of linear probes on conventional backbones. */
    bias: boolean;
  };
  /** Explainers. */
  explain: {
    /** Explainers (run where applicable). */
    explainers: ExplainerName[];
    /** Images per batch. */
    batchSize: number;
    /** IntGrad steps. */
    intgradSteps: number;
    /** LIME samples. */
    limeSamples: number;
    /** ScoreCAM batch. */
    scorecamBatch: number;
  };
  /** Metrics. */
  evaluate: {
    /** GridPG. */
    gridpg: { sizes: number[]; grids: number; minConfidence: number; smoothing: number };
    /** EPG. */
    epg: { images: number; sizeBins: number[] };
    /** Pixel deletion. */
    deletion: { images: number; steps: number; order: "lerf" | "morf"; replacement: number };
    /** Gini and entropy. */
    complexity: { images: number; smoothing: number };
  };
  /** Report. */
  report: { confidence: number; qualitativeImages: number; equivalentProbes: boolean };
}

/** The configuration schema (see `presets/README.md`). */
export const CONFIG_SCHEMA: Schema<PipelineConfig> = obj({
  name: str({ doc: "preset name, recorded in results.json", pattern: /^[A-Za-z0-9_.-]+$/ }),
  description: str({ doc: "one line shown by `--print-config` and in the report" }),
  out: str({
    doc: "output directory (artifacts, run.log, results.json, report.md); `--out` overrides",
    nonEmpty: true,
  }),
  seeds: arr(count("seed", 0), {
    doc: "probe seeds (probe init, data order, explainer sampling); means and 95% CIs are over these",
    min: 1,
    unique: true,
  }),
  data: obj({
    dataset: oneOf(DATASETS, {
      doc: "single-label dataset for accuracy, GridPG, deletion, Gini and entropy",
    }),
    root: nullable(str({
      doc:
        "dataset directory; null: Fashion-MNIST from `/usr/share/datasets/fashion-mnist` (or the download cache)",
      nonEmpty: true,
    })),
    imageSize: count("input side in pixels (28 for Fashion-MNIST, 224 for ImageNet)", 8),
    trainLimit: count("training images used (pre-training and probes); 0 = all", 0),
    testLimit: count("test images used for accuracy; 0 = all", 0),
    multiLabel: arr(multiLabel, {
      doc: "multi-label datasets with boxes (EPG by box size, F1); may be empty",
    }),
  }, { doc: "datasets" }),
  backbones: arr(backbone, {
    doc: "the frozen backbones (each arch + pre-training pair once)",
    min: 1,
    unique: true,
  }),
  pretrain: obj({
    epochs: count("epochs of pre-training for backbones without a checkpoint"),
    batchSize: count("images per step"),
    lr: num({ doc: "peak learning rate (warm-up, cosine)", min: 0 }),
    optimizer: nullable(
      oneOf(["sgd", "adam", "adamw"] as const, { doc: "optimiser; null: the method's default" }),
    ),
    seed: count("seed of backbone initialisation and augmentation (backbones are trained once)", 0),
  }, { doc: "backbone pre-training (skipped for backbones with a checkpoint)" }),
  probe: obj({
    probes: arr(oneOf(PROBES, { doc: "probe" }), {
      doc: "probe heads (1x1 convs before global average pooling); `bcos_mlp*` are B-cos MLPs",
      min: 1,
      unique: true,
    }),
    losses: arr(oneOf(LOSSES, { doc: "loss" }), {
      doc: "losses; `bce` uses off-labels 1/C (single-label) or plain 0/1 targets (multi-label)",
      min: 1,
      unique: true,
    }),
    mlpLosses: arr(oneOf(LOSSES, { doc: "loss" }), {
      doc: "losses for the MLP probes (the linear probe uses `losses`); the paper's MLP study uses bce",
      min: 1,
      unique: true,
    }),
    epochs: count("epochs over the cached features"),
    batchSize: count("feature maps per step"),
    lr: arr(num({ doc: "learning rate", min: 0 }), {
      doc:
        "peak Adam learning rates of the linear probes (5% warm-up, cosine to 0); with several, each probe " +
        "picks the best on a held-out 10% of its training items and is retrained on all of them",
      min: 1,
      unique: true,
    }),
    mlpLr: nullable(
      arr(num({ doc: "learning rate", min: 0 }), {
        doc: "peak Adam learning rates of the MLP probes, searched like `lr`; null: `lr`",
        min: 1,
        unique: true,
      }),
    ),
    augment: oneOf(["none", "light"] as const, {
      doc: "`none`: train on cached features of un-augmented images (fast); `light`: random resized crops " +
        "+ flips through the frozen backbone every step, as the paper trains probes (Fashion-MNIST: 64-100% " +
        "of the area, in memory; ImageNet / VOC / COCO: the torchvision ImageNet crop, 8-100% of the area, " +
        "decoded from the files every step)",
    }),
    bceOffLabel: optional(num({
      doc: "target of the other classes in single-label BCE probes; absent: 1/C (PROTOCOL.md §3), which is " +
        "0.001 on ImageNet but 0.1 on 10 classes; 0: plain one-hot BCE. Not used by multi-label probes (0/1)",
      min: 0,
      max: 0.5,
    })),
    hidden: count("hidden width of MLP probes (2048 in the paper)"),
    bias: bool({ doc: "bias of linear probes on conventional backbones (never on B-cos backbones)" }),
  }, { doc: "probes trained on frozen features" }),
  explain: obj({
    explainers: arr(oneOf(EXPLAINERS, { doc: "explainer" }), {
      doc:
        "explainers, each run where applicable (see `applicableExplainers`: LRP and CAMs not on B-cos/ViT, etc.)",
      min: 1,
      unique: true,
    }),
    batchSize: count("images per explainer batch"),
    intgradSteps: count("IntGrad steps (zero baseline)"),
    limeSamples: count("LIME samples per image"),
    scorecamBatch: count("masked inputs per ScoreCAM batch"),
  }, { doc: "explanation methods" }),
  evaluate: obj({
    gridpg: obj({
      sizes: arr(count("grid side", 2), {
        doc: "grid sides n (n x n cells); the paper uses 2 and 3",
        unique: true,
      }),
      grids: count("grids per size", 1),
      minConfidence: num({
        doc: "minimum softmax/sigmoid confidence of a cell image (0.95 in the paper)",
        min: 0,
        max: 1,
      }),
      smoothing: count("odd average-pooling kernel before scoring (5 in the paper; 1 = none)"),
    }, { doc: "grid pointing game" }),
    epg: obj({
      images: count(
        "images scored per dataset: generated scenes or VOC / COCO test images (every present class), " +
          "or single-label test images with a box of their class (ImageNet val)",
        0,
      ),
      sizeBins: arr(num({ doc: "edge", min: 0, max: 1 }), {
        doc: "inner edges of the disjoint box-area bins (0.25, 0.5, 0.75 give <25%, <50%, <75%, <=100%)",
      }),
    }, { doc: "energy pointing game on scenes, VOC / COCO test images and boxed ImageNet val images" }),
    deletion: obj({
      images: count("images per deletion curve", 0),
      steps: count("fractions 0, 1/steps, ..., 1", 1),
      order: oneOf(["lerf", "morf"] as const, {
        doc: "least relevant first (the paper) or most relevant first",
      }),
      replacement: num({
        doc:
          "value written into deleted pixels, in image space ([0, 1], before normalisation or B-cos encoding)",
      }),
    }, { doc: "pixel deletion" }),
    complexity: obj({
      images: count("maps scored by Gini and entropy", 0),
      smoothing: count("odd pooling kernel before the entropy (Gini uses the raw map)"),
    }, { doc: "compactness (Gini) and complexity (entropy)" }),
  }, { doc: "metrics" }),
  report: obj({
    confidence: num({ doc: "confidence level of the intervals over seeds", min: 0.5, max: 0.999 }),
    qualitativeImages: count("images per qualitative heatmap grid", 0),
    equivalentProbes: bool({ doc: "run the Figure 4 demonstration (two probes with equal CE loss)" }),
  }, { doc: "report" }),
}, { doc: "experiment configuration" });

/**
 * Validates a parsed JSON configuration (throws a `ConfigError` naming the bad field).
 * Beyond the schema: sorted size bins in (0, 1), odd smoothing kernels, root paths for real datasets,
 * and MLP losses without `ce` on multi-label data are checked.
 *
 * @example
 * ```ts ignore
 * const config = validateConfig(JSON.parse(await Deno.readTextFile("presets/fmnist.json")));
 * ```
 */
export function validateConfig(value: unknown): PipelineConfig {
  const c = CONFIG_SCHEMA.check(value, "$");
  const fail = (path: string, message: string): never => {
    throw new ConfigError(path, message);
  };
  const bins = c.evaluate.epg.sizeBins;
  bins.forEach((b, i) => {
    if (b <= 0 || b >= 1) {
      fail(`evaluate.epg.sizeBins[${i}]`, `expected an edge strictly between 0 and 1, got ${b}`);
    }
    if (i > 0 && b <= bins[i - 1]) {
      fail(`evaluate.epg.sizeBins[${i}]`, `edges must increase, got ${bins[i - 1]} then ${b}`);
    }
  });
  for (const path of ["evaluate.gridpg.smoothing", "evaluate.complexity.smoothing"] as const) {
    const [a, b, k] = path.split(".");
    const v = (c as unknown as Record<string, Record<string, Record<string, number>>>)[a][b][k];
    if (v % 2 !== 1) fail(path, `expected an odd kernel size, got ${v}`);
  }
  if (c.data.dataset === "imagenet" && c.data.root === null) {
    fail("data.root", "ImageNet needs its directory (null is only for fashion-mnist)");
  }
  c.data.multiLabel.forEach((m, i) => {
    if (m.dataset !== "fashion-scenes" && m.root === null) {
      fail(`data.multiLabel[${i}].root`, `${m.dataset} needs its directory`);
    }
    if (m.dataset === "fashion-scenes" && m.itemsPerScene === null) {
      fail(`data.multiLabel[${i}].itemsPerScene`, "generated scenes need [min, max] items per scene");
    }
    if (m.itemsPerScene && m.itemsPerScene[0] > m.itemsPerScene[1]) {
      fail(
        `data.multiLabel[${i}].itemsPerScene`,
        `min ${m.itemsPerScene[0]} exceeds max ${m.itemsPerScene[1]}`,
      );
    }
  });
  c.backbones.forEach((b, i) => {
    if (b.pretraining === "clip" && b.checkpoint === null) {
      fail(
        `backbones[${i}].checkpoint`,
        `${b.pretraining} backbones are only loaded from released checkpoints`,
      );
    }
  });
  return c;
}

/**
 * True for B-cos architectures.
 *
 * @example
 * ```ts
 * import { isBcos } from "./config.ts";
 * console.log(isBcos("bcos_resnet50"), isBcos("resnet50")); // true false
 * ```
 */
export function isBcos(arch: string): boolean {
  return arch.startsWith("bcos_");
}

/**
 * True for ViT architectures.
 *
 * @example
 * ```ts
 * import { isVit } from "./config.ts";
 * console.log(isVit("bcos_vitc_b_16"), isVit("resnet50")); // true false
 * ```
 */
export function isVit(arch: string): boolean {
  return /(^|_)vit/.test(arch);
}

/**
 * The explainers of `wanted` that apply to a backbone: `bcos` only on B-cos networks; `lrp` only on
 * conventional CNNs; `gradcam`/`scorecam` only on CNNs; `rollout`/`cgw1`/`causalx` only on ViTs;
 * gradient methods (`ixg`, `intgrad`, `gbp`) and `lime` everywhere.
 *
 * @example
 * ```ts
 * import { applicableExplainers } from "./config.ts";
 * console.log(applicableExplainers("bcos_resnet50", ["bcos", "lrp", "gradcam", "rollout"])); // ["bcos", "gradcam"]
 * ```
 */
export function applicableExplainers(arch: string, wanted: readonly ExplainerName[]): ExplainerName[] {
  const bcos = isBcos(arch), vit = isVit(arch);
  return wanted.filter((e) => {
    switch (e) {
      case "bcos":
        return bcos;
      case "lrp":
        return !bcos && !vit;
      case "gradcam":
      case "scorecam":
        return !vit;
      case "rollout":
      case "cgw1":
      case "causalx":
        return vit;
      default:
        return true;
    }
  });
}

/**
 * The Markdown table of every configuration field (path, accepted values, meaning), as embedded in
 * `presets/README.md`.
 *
 * @example
 * ```ts
 * import { configFieldTable } from "./config.ts";
 * console.log(configFieldTable().split("\n")[0]); // "| field | values | meaning |"
 * ```
 */
export function configFieldTable(
  schema: Schema<unknown> = CONFIG_SCHEMA as unknown as Schema<unknown>,
): string {
  const rows = schemaFields(schema).map((f) =>
    `| \`${f.path}\` | ${f.type.replace(/\|/g, "\\|")} | ${f.doc} |`
  );
  return ["| field | values | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}
