/**
 * Training: the loop (GPU loss log, progress, NaN checks, checkpoints, resume), pre-training methods
 * (supervised, MoCo v2, BYOL, DINO, MoCo v3; conventional and B-cos heads), augmentation views,
 * backbone presets and export, feature caching and probe training.
 *
 * @example
 * ```ts ignore
 * import { buildPretrainMethod, fashionImageSet, pretrainViews, trainLoop, ViewBatcher } from "./mod.ts";
 *
 * const set = fashionImageSet(await loadFashionMnist({ split: "train", limit: 5000 }));
 * const cfg = { method: "byol", arch: { name: "resnet_small" }, numClasses: 10, totalSteps: 0 } as const;
 * const data = new ViewBatcher({ set, batchSize: 64, views: pretrainViews(cfg), seed: 0 });
 * const method = buildPretrainMethod({ ...cfg, totalSteps: 3 * data.batchesPerEpoch });
 * await trainLoop({ method, data, epochs: 3, outDir: "runs/byol" });
 * ```
 *
 * @module
 */
export * from "./arch.ts";
export * from "./augment.ts";
export * from "./checkpoint.ts";
export * from "./data.ts";
export * from "./evaluate.ts";
export * from "./export.ts";
export * from "./features.ts";
export * from "./heads.ts";
export * from "./loop.ts";
export * from "./loss_log.ts";
export * from "./lr_search.ts";
export * from "./method.ts";
export * from "./optim_config.ts";
export * from "./probe.ts";
export * from "./progress.ts";
export * from "./readback.ts";
export * from "./ssl_losses.ts";
export * from "./write_at.ts";
export * from "./methods/base.ts";
export * from "./methods/build.ts";
export * from "./methods/supervised.ts";
export * from "./methods/mocov2.ts";
export * from "./methods/byol.ts";
export * from "./methods/dino.ts";
export * from "./methods/mocov3.ts";
