/**
 * What a pipeline stage is. A stage has a unique `name`, a plain-JSON `config`, the names of the stages
 * whose artifacts it reads (`deps`), and code that writes its artifacts into its own directory
 * `<out>/artifacts/<kind>/<key>/`, where `kind` is the part of the name before the first `:` (so
 * `explain:bcos` and `explain:lrp` share `artifacts/explain/`) and `key` is the SHA-256 of the canonical
 * JSON of `{name, version, config, deps: {depName: depKey}}`.
 *
 * Two shapes:
 * - a **run stage** (`run(ctx)`): does its work in one call; it may cache resumable pieces with
 *   `ctx.item(key, fn)`;
 * - a **map stage** (`items`, `runItem`, optional `finalize`): a list of item keys, a pure-ish function
 *   per item whose JSON result is cached, and a final step that writes the stage's artifacts from all
 *   item results in `items()` order. Map stages are the shardable ones: `--shard i/n` runs only the
 *   items with `index % n == i - 1` and writes a part file; the merge combines the parts and calls
 *   `finalize` exactly as an unsharded run does.
 *
 * @module
 */
import type { Json } from "./canonical.ts";
import type { ProgressBar } from "./progress.ts";

/** A shard of a sharded run: 0-based `index` of `count` shards. */
export interface Shard {
  /** 0-based shard index, `0 <= index < count`. */
  index: number;
  /** Number of shards, at least 1. */
  count: number;
}

/** The `done.json` marker of a finished stage (written last, atomically). */
export interface DoneMarker {
  /** Format tag, `howtoprobe.stage/1`. */
  format: "howtoprobe.stage/1";
  /** The stage name. */
  stage: string;
  /** The stage kind (the name up to the first `:`). */
  kind: string;
  /** The artifact key (SHA-256 hex). */
  key: string;
  /** The stage's code version. */
  version: string;
  /** The stage's config, as hashed. */
  config: Json;
  /** Keys of the dependencies, by stage name. */
  deps: Record<string, string>;
  /** The seed the stage declared (or `config.seed`), null if none. */
  seed: number | null;
  /** Wall-clock times of the run that finished the stage. */
  timings: {
    /** ISO time the finishing run started the stage. */
    startedAt: string;
    /** ISO time the stage finished. */
    finishedAt: string;
    /** Seconds of the finishing run (a resumed stage's earlier attempts are not included). */
    seconds: number;
    /** Map stages: sum of the per-item compute seconds over all attempts and shards. */
    itemSeconds?: number;
  };
  /** Runtime and project versions. */
  versions: Record<string, string>;
  /** Map stages: number of items. */
  items?: number;
  /** Map stages finished by a merge: number of shards combined. */
  shards?: number;
  /** Free-form summary the stage put into `ctx.meta`. */
  meta: Record<string, Json>;
}

/** A finished dependency as seen by a stage. */
export interface DepInfo {
  /** Stage name. */
  name: string;
  /** Artifact key. */
  key: string;
  /** Artifact directory. */
  dir: string;
  /** Its `done.json`. */
  done: DoneMarker;
}

/** What the runner hands a stage's code. */
export interface StageContext<C extends Json = Json> {
  /** The stage name. */
  readonly name: string;
  /** The stage kind (name up to the first `:`). */
  readonly kind: string;
  /** The artifact key. */
  readonly key: string;
  /** The stage's own artifact directory (exists when the code runs). */
  readonly dir: string;
  /** The pipeline output directory. */
  readonly out: string;
  /** The config. */
  readonly config: C;
  /** The shard of this run, or null when unsharded. */
  readonly shard: Shard | null;
  /** Finished dependencies by name. */
  readonly deps: Readonly<Record<string, DepInfo>>;
  /** Free-form JSON summary copied into `done.json` (`meta`). */
  readonly meta: Record<string, Json>;
  /** The directory of dependency `name` (throws for a name not in `deps`). */
  dep(name: string): DepInfo;
  /** `dir` joined with relative path parts. */
  path(...parts: string[]): string;
  /** Appends a line to `run.log` (and stderr unless quiet). */
  log(message: string): void;
  /** A progress bar on stderr for `total` steps of this stage's own loop. */
  progress(total: number, label?: string): ProgressBar;
  /**
   * Runs `fn` once per `key` across attempts: the first successful result is stored as JSON in
   * `items/` of the stage directory and returned by later calls (also after an interrupted run).
   */
  item<T extends Json>(key: string, fn: () => T | Promise<T>): Promise<T>;
  /** Writes JSON atomically to a path relative to `dir` (creating subdirectories). */
  writeJson(rel: string, value: unknown): Promise<void>;
  /** Writes text atomically to a path relative to `dir`. */
  writeText(rel: string, text: string): Promise<void>;
  /** Writes bytes atomically to a path relative to `dir`. */
  writeBytes(rel: string, bytes: Uint8Array): Promise<void>;
  /** Reads JSON from a path relative to `dir`. */
  readJson<T = unknown>(rel: string): Promise<T>;
  /** Reads JSON from a path relative to dependency `dep`'s directory. */
  readDepJson<T = unknown>(dep: string, rel: string): Promise<T>;
}

/** Fields shared by both stage shapes. */
export interface StageBase<C extends Json = Json> {
  /** Unique name: `kind` or `kind:variant` (letters, digits and `_ . - + = ,`, parts joined by `:`). */
  name: string;
  /** Plain JSON configuration; part of the artifact key. */
  config: C;
  /** Names of stages whose artifacts this stage reads; their keys are part of this key. */
  deps?: readonly string[];
  /** Code version: bump it when the stage's output changes for the same config (default `"1"`). */
  version?: string;
  /** Seed recorded in `done.json` (default: `config.seed` when it is a number). */
  seed?: number;
}

/** A stage that does its work in one call. */
export interface RunStage<C extends Json = Json> extends StageBase<C> {
  /** Writes the stage's artifacts into `ctx.dir`. */
  run(ctx: StageContext<C>): Promise<void>;
}

/** A shardable stage: independent items, each with a cached JSON result, then a final step. */
export interface MapStage<C extends Json = Json, R extends Json = Json> extends StageBase<C> {
  /** The item keys, deterministic for a given config and deps (order matters for sharding). */
  items(ctx: StageContext<C>): readonly string[] | Promise<readonly string[]>;
  /** Computes one item (may also write files of its own into `ctx.dir`). */
  runItem(ctx: StageContext<C>, key: string, index: number): Promise<R>;
  /** Writes the stage's artifacts from all results, in `items()` order (unsharded run or merge). */
  finalize?(ctx: StageContext<C>, results: readonly R[], keys: readonly string[]): Promise<void>;
}

/** Either stage shape. */
// deno-lint-ignore no-explicit-any
export type Stage = RunStage<any> | MapStage<any, any>;

/**
 * True for a map (shardable) stage.
 *
 * @example
 * ```ts
 * import { isMapStage } from "./stage.ts";
 * console.log(isMapStage({ name: "a", config: {}, run: async () => {} })); // false
 * ```
 */
export function isMapStage(stage: Stage): stage is MapStage {
  return typeof (stage as MapStage).runItem === "function";
}

const NAME_RE = /^[A-Za-z0-9_.+=,-]+(:[A-Za-z0-9_.+=,-]+)*$/;

/**
 * The kind of a stage name (the part before the first `:`); throws for an invalid name.
 *
 * @example
 * ```ts
 * import { stageKind } from "./stage.ts";
 * console.log(stageKind("explain:bcos:dino")); // "explain"
 * ```
 */
export function stageKind(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new RangeError(
      `invalid stage name '${name}' (use letters, digits, _ . - + = , and ':' between parts)`,
    );
  }
  return name.split(":")[0];
}

/**
 * Declares a run stage (an identity helper that checks the name and gives typed `ctx.config`).
 *
 * @example
 * ```ts
 * import { defineStage } from "./stage.ts";
 * const s = defineStage({
 *   name: "data", config: { n: 3 },
 *   run: async (ctx) => { await ctx.writeJson("data.json", [...Array(ctx.config.n).keys()]); },
 * });
 * console.log(s.name); // "data"
 * ```
 */
export function defineStage<C extends Json>(stage: RunStage<C>): RunStage<C> {
  stageKind(stage.name);
  return stage;
}

/**
 * Declares a map (shardable) stage.
 *
 * @example
 * ```ts
 * import { defineMapStage } from "./stage.ts";
 * const s = defineMapStage({
 *   name: "square", config: { n: 4 },
 *   items: (ctx) => Array.from({ length: ctx.config.n }, (_, i) => `i${i}`),
 *   runItem: (_ctx, _key, index) => Promise.resolve(index * index),
 *   finalize: async (ctx, results) => { await ctx.writeJson("squares.json", results); },
 * });
 * console.log(s.name); // "square"
 * ```
 */
export function defineMapStage<C extends Json, R extends Json>(stage: MapStage<C, R>): MapStage<C, R> {
  stageKind(stage.name);
  return stage;
}
