/**
 * The experiment-pipeline framework: stages with content-keyed artifacts, skip/resume, `--only` /
 * `--from` selection, sharding of map stages with a merge, progress and a run log; presets with a
 * validated configuration schema and `--set` overrides.
 *
 * @example
 * ```ts
 * import { defineMapStage, defineStage, runPipeline } from "./mod.ts";
 * const out = await Deno.makeTempDir();
 * const data = defineStage({ name: "data", config: { n: 4 }, run: (ctx) => ctx.writeJson("n.json", ctx.config.n) });
 * const squares = defineMapStage({
 *   name: "square", config: {}, deps: ["data"],
 *   items: async (ctx) => Array.from({ length: await ctx.readDepJson<number>("data", "n.json") }, (_, i) => `i${i}`),
 *   runItem: (_ctx, _key, i) => Promise.resolve(i * i),
 *   finalize: (ctx, results) => ctx.writeJson("squares.json", results),
 * });
 * const r = await runPipeline([data, squares], { out, quiet: true, progress: null });
 * console.log(r.stages.map((s) => s.status)); // ["ran", "ran"]
 * ```
 *
 * @module
 */
export { canonicalJson, contentKey, type Json, sha256Hex } from "./canonical.ts";
export {
  defineMapStage,
  defineStage,
  type DepInfo,
  type DoneMarker,
  isMapStage,
  type MapStage,
  type RunStage,
  type Shard,
  type Stage,
  type StageBase,
  type StageContext,
  stageKind,
} from "./stage.ts";
export {
  artifactDir,
  PIPELINE_FORMAT_VERSION,
  PipelineError,
  type PipelineOptions,
  type PipelineResult,
  readDone,
  runPipeline,
  StageFailedError,
  stageKeys,
  type StageOutcome,
  type StageStatus,
} from "./runner.ts";
export { matchesSelector, type Selection, selectStages, topologicalOrder } from "./select.ts";
export { inShard, parsePartFileName, parseShard, partFileName, shardFromEnv } from "./shard.ts";
export {
  createProgress,
  formatDuration,
  type ProgressBar,
  type ProgressOptions,
  type ProgressSink,
  stderrSink,
} from "./progress.ts";
export { RunLog } from "./log.ts";
export { cachedItem, itemPath, type ItemRecord, itemRecord, readItem } from "./item_cache.ts";
export {
  dirName,
  exists,
  joinPath,
  readJsonIfExists,
  writeBytesAtomic,
  writeJsonAtomic,
  writeTextAtomic,
} from "./fs.ts";
export {
  applicableExplainers,
  BACKBONE_ARCHS,
  type BackboneArch,
  type BackboneConfig,
  CONFIG_SCHEMA,
  configFieldTable,
  DATASETS,
  type ExplainerName,
  EXPLAINERS,
  isBcos,
  isVit,
  LOSSES,
  MULTI_LABEL_DATASETS,
  type MultiLabelConfig,
  type PipelineConfig,
  PRETRAININGS,
  PROBES,
  validateConfig,
} from "./config.ts";
export {
  applyOverride,
  type ConfigSource,
  DEFAULT_PRESET,
  loadConfig,
  parseFieldPath,
  PRESET_NAMES,
  presetUrl,
  readPresetJson,
} from "./preset.ts";
export { parsePipelineArgs, PIPELINE_FLAGS_HELP, type PipelineArgs } from "./args.ts";
export { ConfigError, type FieldDoc, type Infer, type Schema, schemaFields } from "./schema.ts";
