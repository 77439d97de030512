/**
 * The pipeline runner: computes every stage's artifact key, then walks the stages in dependency order
 * and, for each selected stage, skips it (its `done.json` exists), runs it, runs this shard's items
 * (sharded map stage), or merges the shards' parts (`merge`). `done.json` is written last and atomically,
 * so a stage either has a complete marker or is redone; a failed stage keeps its partial state (item
 * files) and the next run resumes from it.
 *
 * Layout under `out`:
 * ```
 * run.log                                  one line per event, appended
 * pipeline.json                            stage -> key, dir, status of the last unsharded run
 * artifacts/<kind>/<key>/done.json         the marker (config, deps' keys, seed, timings, versions, meta)
 * artifacts/<kind>/<key>/items/*.json      cached per-item results (ctx.item and map stages)
 * artifacts/<kind>/<key>/parts/i-of-n.json a shard's results (sharded map stages)
 * artifacts/<kind>/<key>/...               whatever the stage writes
 * ```
 *
 * Sharded runs (`shard` set): map stages run only their shard's items and write a part file;
 * non-shardable stages whose deps are done run as usual (run them once unsharded beforehand to avoid
 * repeating them in every shard); stages that need an unmerged map stage wait for the merge. A merge run
 * (`merge: true`) finishes each unfinished map stage from a complete set of parts (one part per shard, all
 * of the same shard count), calling `finalize` exactly as an unsharded run does, then runs the rest.
 *
 * @module
 */
import { contentKey, type Json } from "./canonical.ts";
import {
  exists,
  joinPath,
  readJsonIfExists,
  writeBytesAtomic,
  writeJsonAtomic,
  writeTextAtomic,
} from "./fs.ts";
import { itemPath, itemRecord, readItem } from "./item_cache.ts";
import { RunLog } from "./log.ts";
import { createProgress, formatDuration, type ProgressSink, stderrSink } from "./progress.ts";
import { selectStages, topologicalOrder } from "./select.ts";
import { inShard, parsePartFileName, partFileName } from "./shard.ts";
import {
  type DepInfo,
  type DoneMarker,
  isMapStage,
  type MapStage,
  type RunStage,
  type Shard,
  type Stage,
  type StageContext,
  stageKind,
} from "./stage.ts";

/** Version of the runner's on-disk layout, recorded in `done.json`. */
export const PIPELINE_FORMAT_VERSION = "1";

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  /** Output directory (artifacts, run.log, pipeline.json). */
  out: string;
  /** `--only`: run only the matching stages (names, kinds or `:`-prefixes). */
  only?: readonly string[];
  /** `--from`: run the matching stages and everything downstream of them. */
  from?: readonly string[];
  /** Rerun the selected stages even when done (their directories are removed first). */
  force?: boolean;
  /** Run one shard of the map stages (0-based index); null/undefined: unsharded. */
  shard?: Shard | null;
  /** Finish the map stages from their shards' parts. */
  merge?: boolean;
  /** No log lines on stderr (run.log is still written). */
  quiet?: boolean;
  /** Progress output (default stderr; null: none). */
  progress?: ProgressSink | null;
  /** Extra versions recorded in every `done.json` (e.g. the project version, the adapter). */
  versions?: Record<string, string>;
  /** Plain-line progress interval in ms (default 10000). */
  progressIntervalMs?: number;
}

/** What happened to a stage in one run. */
export type StageStatus =
  | "cached" // done.json existed
  | "ran" // ran (or resumed) to completion
  | "merged" // finished from shard parts
  | "part" // this shard's part written; waits for the merge
  | "waiting" // needs a stage that waits for the merge
  | "unselected"; // not selected by --only / --from

/** One stage's outcome. */
export interface StageOutcome {
  /** Stage name. */
  name: string;
  /** Artifact key. */
  key: string;
  /** Artifact directory. */
  dir: string;
  /** What happened. */
  status: StageStatus;
  /** Seconds spent on it in this run. */
  seconds: number;
}

/** The result of {@link runPipeline}. */
export interface PipelineResult {
  /** Outcomes in dependency order. */
  stages: StageOutcome[];
  /** Artifact directory per stage name (also for unselected stages). */
  dirs: Map<string, string>;
  /** True when every selected stage is done. */
  complete: boolean;
}

/** A stage failed; `cause` is its error. Its partial state stays for the next run to resume. */
export class StageFailedError extends Error {
  /** The failing stage. */
  readonly stage: string;
  /**
   * Wraps a stage's error.
   *
   * @param stage the stage name
   * @param cause the error it threw
   */
  constructor(stage: string, cause: unknown) {
    super(`stage ${stage} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StageFailedError";
    this.stage = stage;
  }
}

/** A selection or merge cannot proceed (a needed stage is not done, parts are missing). */
export class PipelineError extends Error {
  /**
   * A pipeline-level failure.
   *
   * @param message what is missing and what to run
   */
  constructor(message: string) {
    super(message);
    this.name = "PipelineError";
  }
}

/**
 * The artifact directory of a stage: `<out>/artifacts/<kind>/<key>`.
 *
 * @example
 * ```ts
 * import { artifactDir } from "./runner.ts";
 * console.log(artifactDir("out", "explain:bcos", "ab12")); // "out/artifacts/explain/ab12"
 * ```
 */
export function artifactDir(out: string, name: string, key: string): string {
  return joinPath(out, "artifacts", stageKind(name), key);
}

/**
 * The artifact keys of all stages: SHA-256 of the canonical JSON of `{name, version, config, deps}` with
 * `deps` mapping each dependency's name to its key (so a changed upstream config changes every key
 * downstream of it).
 *
 * @example
 * ```ts
 * import { stageKeys } from "./runner.ts";
 * const run = async () => {};
 * const keys = await stageKeys([{ name: "a", config: { n: 1 }, run }, { name: "b", config: {}, deps: ["a"], run }]);
 * console.log(keys.get("b")!.length); // 64
 * ```
 */
export async function stageKeys(stages: readonly Stage[]): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const s of topologicalOrder(stages)) {
    const deps: Record<string, string> = {};
    for (const d of s.deps ?? []) deps[d] = keys.get(d)!;
    keys.set(s.name, await contentKey({ name: s.name, version: s.version ?? "1", config: s.config, deps }));
  }
  return keys;
}

/**
 * Reads a stage directory's `done.json` (null when the stage is not done).
 *
 * @example
 * ```ts
 * import { readDone } from "./runner.ts";
 * console.log(await readDone(await Deno.makeTempDir())); // null
 * ```
 */
export function readDone(dir: string): Promise<DoneMarker | null> {
  return readJsonIfExists<DoneMarker>(joinPath(dir, "done.json"));
}

function runtimeVersions(extra: Record<string, string> | undefined): Record<string, string> {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    pipeline: PIPELINE_FORMAT_VERSION,
    ...(extra ?? {}),
  };
}

function seedOf(stage: Stage): number | null {
  if (typeof stage.seed === "number") return stage.seed;
  const c = stage.config as Record<string, unknown> | null;
  return c && typeof c === "object" && !Array.isArray(c) && typeof c.seed === "number" ? c.seed : null;
}

/** Shape of a part file. */
interface PartFile {
  format: "howtoprobe.part/1";
  stage: string;
  key: string;
  shard: Shard;
  keys: string[];
  results: Record<string, { seconds: number; value: Json }>;
}

/**
 * Runs a pipeline (see the module doc). Returns each stage's outcome; throws {@link StageFailedError}
 * when a stage throws (after logging it) and {@link PipelineError} when a selected stage needs one that
 * is not done or a merge lacks parts.
 *
 * @example
 * ```ts
 * import { defineStage, runPipeline } from "./mod.ts";
 * const out = await Deno.makeTempDir();
 * const data = defineStage({ name: "data", config: { n: 3 }, run: (ctx) => ctx.writeJson("x.json", [1, 2, 3]) });
 * const r = await runPipeline([data], { out, quiet: true, progress: null });
 * console.log(r.stages[0].status); // "ran"
 * ```
 */
export async function runPipeline(
  stages: readonly Stage[],
  options: PipelineOptions,
): Promise<PipelineResult> {
  const order = topologicalOrder(stages);
  const keys = await stageKeys(order);
  const selected = selectStages(order, { only: options.only, from: options.from });
  const shard = options.shard ?? null;
  if (shard && options.merge) throw new PipelineError("--shard and --merge are exclusive");
  if (shard && options.force) throw new PipelineError("--force cannot be combined with --shard");
  const out = options.out;
  await Deno.mkdir(out, { recursive: true });
  const stderrLine = (line: string) => Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
  const log = new RunLog(joinPath(out, "run.log"), options.quiet ? null : stderrLine);
  const sink = options.progress === undefined ? stderrSink() : options.progress;
  const versions = runtimeVersions(options.versions);
  const dirs = new Map(order.map((s) => [s.name, artifactDir(out, s.name, keys.get(s.name)!)]));
  const doneMarkers = new Map<string, DoneMarker>();
  const waiting = new Set<string>();
  const outcomes: StageOutcome[] = [];
  const mode = shard ? ` shard ${shard.index + 1}/${shard.count}` : options.merge ? " merge" : "";
  log.write("info", `pipeline${mode}: ${order.length} stages, ${selected.size} selected, out ${out}`);

  for (const stage of order) {
    const name = stage.name;
    const key = keys.get(name)!;
    const dir = dirs.get(name)!;
    const outcome = (status: StageStatus, seconds = 0) => outcomes.push({ name, key, dir, status, seconds });
    const isSelected = selected.has(name);
    if (isSelected && options.force && await exists(dir)) {
      await Deno.remove(dir, { recursive: true });
      log.write("info", `stage ${name}: --force, removed ${dir}`);
    }
    const marker = await readDone(dir);
    if (marker) {
      doneMarkers.set(name, marker);
      if (isSelected) log.write("info", `stage ${name}: done (cached ${key.slice(0, 12)})`);
      outcome(isSelected ? "cached" : "unselected");
      continue;
    }
    if (!isSelected) {
      outcome("unselected");
      continue;
    }
    const blockers = (stage.deps ?? []).filter((d) => waiting.has(d));
    if (blockers.length > 0) {
      waiting.add(name);
      log.write("info", `stage ${name}: waits for the merge of ${blockers.join(", ")}`);
      outcome("waiting");
      continue;
    }
    const missing = (stage.deps ?? []).filter((d) => !doneMarkers.has(d));
    if (missing.length > 0) {
      throw new PipelineError(
        `stage ${name} needs ${missing.join(", ")}, which ${missing.length > 1 ? "are" : "is"} not done ` +
          `(select ${missing.length > 1 ? "them" : "it"} too, or drop --only/--from)`,
      );
    }
    if (shard && !isMapStage(stage)) {
      log.write(
        "warn",
        `stage ${name}: not shardable, running it in shard ${shard.index + 1}/${shard.count} ` +
          `(run it once without --shard first to avoid repeating it in every shard)`,
      );
    }
    const deps: Record<string, DepInfo> = {};
    for (const d of stage.deps ?? []) {
      deps[d] = { name: d, key: keys.get(d)!, dir: dirs.get(d)!, done: doneMarkers.get(d)! };
    }
    await Deno.mkdir(dir, { recursive: true });
    const ctx = makeContext(stage, key, dir, out, shard, deps, log, sink, options.progressIntervalMs);
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    log.write("info", `stage ${name}: start (${key.slice(0, 12)})`);
    let status: StageStatus = "ran";
    const extra: Partial<DoneMarker> = {};
    try {
      if (isMapStage(stage)) {
        const r = options.merge
          ? await mergeMapStage(stage, ctx)
          : await runMapStage(stage, ctx, shard, sink, options.progressIntervalMs);
        if (r.part) status = "part";
        else {
          if (options.merge) status = "merged";
          extra.items = r.items;
          extra.shards = r.shards;
          extra.timings = { startedAt, finishedAt: "", seconds: 0, itemSeconds: r.itemSeconds };
        }
      } else {
        await (stage as RunStage).run(ctx);
      }
    } catch (e) {
      const seconds = (performance.now() - t0) / 1000;
      log.write(
        "error",
        `stage ${name}: failed after ${formatDuration(seconds)}: ${(e as Error)?.message ?? e}`,
      );
      if (e instanceof PipelineError) throw e;
      throw new StageFailedError(name, e);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (status === "part") {
      waiting.add(name);
      log.write(
        "info",
        `stage ${name}: shard ${shard!.index + 1}/${shard!.count} part written in ${formatDuration(seconds)}`,
      );
      outcome("part", seconds);
      continue;
    }
    const done: DoneMarker = {
      format: "howtoprobe.stage/1",
      stage: name,
      kind: stageKind(name),
      key,
      version: stage.version ?? "1",
      config: stage.config,
      deps: Object.fromEntries(Object.entries(deps).map(([d, info]) => [d, info.key])),
      seed: seedOf(stage),
      timings: { ...extra.timings, startedAt, finishedAt: new Date().toISOString(), seconds },
      versions,
      ...(extra.items !== undefined ? { items: extra.items } : {}),
      ...(extra.shards !== undefined ? { shards: extra.shards } : {}),
      meta: ctx.meta,
    };
    await writeJsonAtomic(joinPath(dir, "done.json"), done);
    doneMarkers.set(name, done);
    log.write(
      "info",
      `stage ${name}: ${status === "merged" ? "merged" : "done"} in ${formatDuration(seconds)}`,
    );
    outcome(status, seconds);
  }
  const complete = [...selected].every((n) => doneMarkers.has(n));
  if (!shard) {
    await writeJsonAtomic(joinPath(out, "pipeline.json"), {
      format: "howtoprobe.pipeline/1",
      finishedAt: new Date().toISOString(),
      complete,
      stages: outcomes.map((o) => ({
        name: o.name,
        key: o.key,
        dir: o.dir,
        status: o.status,
        seconds: o.seconds,
      })),
    });
  }
  log.write("info", `pipeline${mode}: ${complete ? "complete" : "incomplete"}`);
  return { stages: outcomes, dirs, complete };
}

function makeContext(
  stage: Stage,
  key: string,
  dir: string,
  out: string,
  shard: Shard | null,
  deps: Record<string, DepInfo>,
  log: RunLog,
  sink: ProgressSink | null,
  intervalMs: number | undefined,
): StageContext {
  const name = stage.name;
  const rel = (p: string) => {
    if (p.startsWith("/") || p.split("/").includes("..")) {
      throw new RangeError(`stage ${name}: path '${p}' leaves its directory`);
    }
    return joinPath(dir, p);
  };
  return {
    name,
    kind: stageKind(name),
    key,
    dir,
    out,
    config: stage.config,
    shard,
    deps,
    meta: {},
    dep(d: string) {
      const info = deps[d];
      if (!info) {
        throw new RangeError(
          `stage ${name} has no dependency '${d}' (deps: ${Object.keys(deps).join(", ")})`,
        );
      }
      return info;
    },
    path: (...parts: string[]) => rel(joinPath(...parts)),
    log: (message: string) => log.write("info", `[${name}] ${message}`),
    progress: (total: number, label?: string) =>
      createProgress({ total, label: label ? `${name} ${label}` : name, sink, minIntervalMs: intervalMs }),
    item: async <T extends Json>(k: string, fn: () => T | Promise<T>) => (await itemRecord(dir, k, fn)).value,
    writeJson: (p: string, value: unknown) => writeJsonAtomic(rel(p), value),
    writeText: (p: string, text: string) => writeTextAtomic(rel(p), text),
    writeBytes: (p: string, bytes: Uint8Array) => writeBytesAtomic(rel(p), bytes),
    readJson: async <T>(p: string) => {
      const v = await readJsonIfExists<T>(rel(p));
      if (v === null) throw new Error(`stage ${name}: ${rel(p)} does not exist`);
      return v;
    },
    readDepJson: async <T>(d: string, p: string) => {
      const info = deps[d];
      if (!info) {
        throw new RangeError(
          `stage ${name} has no dependency '${d}' (deps: ${Object.keys(deps).join(", ")})`,
        );
      }
      if (p.startsWith("/") || p.split("/").includes("..")) {
        throw new RangeError(`stage ${name}: path '${p}' leaves ${d}'s directory`);
      }
      const v = await readJsonIfExists<T>(joinPath(info.dir, p));
      if (v === null) throw new Error(`stage ${name}: ${joinPath(info.dir, p)} (of ${d}) does not exist`);
      return v;
    },
  };
}

async function itemKeys(stage: MapStage, ctx: StageContext): Promise<string[]> {
  const keys = [...await stage.items(ctx)];
  const seen = new Set<string>();
  for (const k of keys) {
    if (typeof k !== "string") throw new TypeError(`stage ${stage.name}: item keys must be strings`);
    if (seen.has(k)) throw new RangeError(`stage ${stage.name}: duplicate item key '${k}'`);
    seen.add(k);
  }
  return keys;
}

interface MapRun {
  part: boolean;
  items: number;
  shards?: number;
  itemSeconds: number;
}

async function runMapStage(
  stage: MapStage,
  ctx: StageContext,
  shard: Shard | null,
  sink: ProgressSink | null,
  intervalMs: number | undefined,
): Promise<MapRun> {
  const keys = await itemKeys(stage, ctx);
  const mine = keys.map((_, i) => i).filter((i) => inShard(i, shard));
  let cached = 0;
  for (const i of mine) if (await exists(await itemPath(ctx.dir, keys[i]))) cached++;
  if (cached > 0) ctx.log(`resuming: ${cached}/${mine.length} items cached`);
  const label = shard ? `${stage.name} [${shard.index + 1}/${shard.count}]` : stage.name;
  const bar = createProgress({ total: mine.length, start: cached, label, sink, minIntervalMs: intervalMs });
  const records = new Map<string, { seconds: number; value: Json }>();
  let itemSeconds = 0;
  for (const i of mine) {
    const hit = await readItem<Json>(ctx.dir, keys[i]);
    const rec = hit ?? await itemRecord(ctx.dir, keys[i], () => stage.runItem(ctx, keys[i], i));
    records.set(keys[i], { seconds: rec.seconds, value: rec.value as Json });
    itemSeconds += rec.seconds;
    if (!hit) bar.tick();
  }
  bar.done();
  if (shard) {
    const part: PartFile = {
      format: "howtoprobe.part/1",
      stage: stage.name,
      key: ctx.key,
      shard,
      keys: mine.map((i) => keys[i]),
      results: Object.fromEntries(records),
    };
    await writeJsonAtomic(joinPath(ctx.dir, "parts", partFileName(shard)), part);
    return { part: true, items: mine.length, itemSeconds };
  }
  if (stage.finalize) await stage.finalize(ctx, keys.map((k) => records.get(k)!.value), keys);
  return { part: false, items: keys.length, itemSeconds };
}

async function mergeMapStage(stage: MapStage, ctx: StageContext): Promise<MapRun> {
  const keys = await itemKeys(stage, ctx);
  const partsDir = joinPath(ctx.dir, "parts");
  const byCount = new Map<number, Set<number>>();
  if (await exists(partsDir)) {
    for await (const e of Deno.readDir(partsDir)) {
      const s = e.isFile ? parsePartFileName(e.name) : null;
      if (!s) continue;
      if (!byCount.has(s.count)) byCount.set(s.count, new Set());
      byCount.get(s.count)!.add(s.index);
    }
  }
  const complete = [...byCount.entries()].filter(([n, got]) => got.size === n).map(([n]) => n).sort((a, b) =>
    a - b
  );
  if (complete.length === 0) {
    const found = [...byCount.entries()].map(([n, got]) => {
      const miss = Array.from({ length: n }, (_, i) => i).filter((i) => !got.has(i)).map((i) =>
        `${i + 1}/${n}`
      );
      return `${got.size} of ${n} shards, missing ${miss.join(", ")}`;
    });
    throw new PipelineError(
      `merge: stage ${stage.name} has ${found.length ? found.join("; ") : "no shard parts"} in ${partsDir} ` +
        `(run the missing shards with --shard i/n first)`,
    );
  }
  const count = complete[0];
  const records = new Map<string, { seconds: number; value: Json }>();
  for (let index = 0; index < count; index++) {
    const path = joinPath(partsDir, partFileName({ index, count }));
    const part = (await readJsonIfExists<PartFile>(path))!;
    if (part.key !== ctx.key) {
      throw new PipelineError(`merge: ${path} belongs to key ${part.key}, not ${ctx.key}`);
    }
    for (const k of part.keys) {
      if (records.has(k)) {
        throw new PipelineError(`merge: item '${k}' appears in more than one part of ${stage.name}`);
      }
      const r = part.results[k];
      if (!r) throw new PipelineError(`merge: ${path} lists item '${k}' without a result`);
      records.set(k, r);
    }
  }
  const missing = keys.filter((k) => !records.has(k));
  const extra = [...records.keys()].filter((k) => !keys.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new PipelineError(
      `merge: the ${count} parts of ${stage.name} do not match its items (missing: ${
        missing.slice(0, 5).join(", ") || "none"
      }; ` +
        `unknown: ${extra.slice(0, 5).join(", ") || "none"})`,
    );
  }
  let itemSeconds = 0;
  for (const r of records.values()) itemSeconds += r.seconds;
  if (stage.finalize) await stage.finalize(ctx, keys.map((k) => records.get(k)!.value), keys);
  ctx.log(`merged ${count} shard parts (${keys.length} items)`);
  return { part: false, items: keys.length, shards: count, itemSeconds };
}
