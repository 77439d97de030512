/**
 * The command-line flags shared by pipeline entry points (`deno task reproduce`): preset and
 * overrides, stage selection, sharding and merging. {@link parsePipelineArgs} turns them into a validated
 * configuration plus runner options; {@link PIPELINE_FLAGS_HELP} is the matching `--help` text.
 *
 * @module
 */
import type { PipelineConfig } from "./config.ts";
import { DEFAULT_PRESET, loadConfig, PRESET_NAMES } from "./preset.ts";
import type { PipelineOptions } from "./runner.ts";
import { parseShard, shardFromEnv } from "./shard.ts";
import type { Shard } from "./stage.ts";
import { parseFlags } from "../cli.ts";

/** `--help` text of the flags {@link parsePipelineArgs} accepts. */
export const PIPELINE_FLAGS_HELP = `  --preset P        ${
  PRESET_NAMES.join(" | ")
} | path/to/config.json (default ${DEFAULT_PRESET})
  --set K=V         override a config field, e.g. --set probe.epochs=5 --set probe.losses=ce,bce
                    (repeatable; see presets/README.md for every field)
  --seeds LIST      probe seeds, e.g. 0,1,2 (same as --set seeds=0,1,2)
  --out DIR         output directory (same as --set out=DIR)
  --only LIST       run only these stages (names or kinds, e.g. probe,explain); their deps must be done
  --from STAGE      run STAGE and everything downstream of it; upstream stages must be done
  --force           rerun the selected stages even when done (their artifacts are removed first)
  --shard I/N       run shard I of N of the shardable stages (explain, evaluate) and write its part;
                    under a Slurm array the shard comes from SLURM_ARRAY_TASK_ID/COUNT
  --no-slurm        ignore the Slurm array variables
  --merge           combine the shards' parts and finish the pipeline
  --print-config    print the resolved configuration as JSON and exit
  --quiet           no log lines on stderr (run.log is still written)`;

/** The parsed flags. */
export interface PipelineArgs {
  /** The validated configuration (preset + overrides). */
  config: PipelineConfig;
  /** Runner options (`out` from the configuration). */
  options: PipelineOptions;
  /** `--print-config` was given. */
  printConfig: boolean;
  /** `--help` was given (nothing else is guaranteed to be meaningful). */
  help: boolean;
  /** Flags not known here (for the caller's own flags), as given. */
  rest: Record<string, string | boolean | undefined>;
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined ? undefined : v.split(",").map((s) => s.trim()).filter((s) => s !== "");

/**
 * Parses the pipeline flags (throws `RangeError`/`ConfigError` with a message naming the bad flag or
 * field; callers map them to usage errors). `extra` declares the caller's own flags, returned in `rest`.
 *
 * @example
 * ```ts
 * import { parsePipelineArgs } from "./args.ts";
 * const a = await parsePipelineArgs(["--preset", "smoke", "--seeds", "1,2", "--only", "probe", "--shard", "2/3"], {
 *   env: () => undefined,
 * });
 * console.log(a.config.seeds, a.options.only, a.options.shard); // [1, 2] ["probe"] { index: 1, count: 3 }
 * ```
 */
export async function parsePipelineArgs(
  args: readonly string[],
  opts: {
    extra?: Record<string, { type: "string" | "boolean" }>;
    env?: (name: string) => string | undefined;
  } = {},
): Promise<PipelineArgs> {
  const { values } = parseFlags({
    args: [...args],
    options: {
      preset: { type: "string" },
      config: { type: "string" },
      set: { type: "string", multiple: true },
      seeds: { type: "string" },
      out: { type: "string" },
      only: { type: "string" },
      from: { type: "string" },
      force: { type: "boolean", default: false },
      shard: { type: "string" },
      "no-slurm": { type: "boolean", default: false },
      merge: { type: "boolean", default: false },
      "print-config": { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
      ...(opts.extra ?? {}),
    },
    strict: true,
    allowPositionals: false,
  });
  const v = values as Record<string, string | boolean | string[] | undefined>;
  const known = new Set([
    "preset",
    "config",
    "set",
    "seeds",
    "out",
    "only",
    "from",
    "force",
    "shard",
    "no-slurm",
    "merge",
    "print-config",
    "quiet",
    "help",
  ]);
  const rest: Record<string, string | boolean | undefined> = {};
  for (const [k, val] of Object.entries(v)) if (!known.has(k)) rest[k] = val as string | boolean | undefined;
  const help = v.help === true;
  if (v.preset !== undefined && v.config !== undefined) {
    throw new RangeError("give --preset or --config, not both");
  }
  let seeds: number[] | undefined;
  if (typeof v.seeds === "string") {
    seeds = list(v.seeds)!.map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) {
        throw new RangeError(`--seeds: '${s}' is not a non-negative integer`);
      }
      return n;
    });
    if (seeds.length === 0) throw new RangeError("--seeds needs at least one seed");
  }
  // With --help the configuration is not the point: load the default preset so a bad one cannot fail.
  const config = help ? await loadConfig({}) : await loadConfig({
    preset: (v.preset ?? v.config) as string | undefined,
    set: v.set as string[] | undefined,
    seeds,
    out: v.out as string | undefined,
  });
  let shard: Shard | null = null;
  if (typeof v.shard === "string") shard = parseShard(v.shard);
  else if (!v["no-slurm"] && !v.merge) shard = shardFromEnv(opts.env ?? ((k) => Deno.env.get(k)));
  if (shard && shard.count === 1) shard = null;
  return {
    config,
    options: {
      out: config.out,
      only: list(v.only as string | undefined),
      from: list(v.from as string | undefined),
      force: v.force === true,
      shard,
      merge: v.merge === true,
      quiet: v.quiet === true,
    },
    printConfig: v["print-config"] === true,
    help,
    rest,
  };
}
