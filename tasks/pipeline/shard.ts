/**
 * Sharding of map stages' items over independent processes (a Slurm array, several machines, or
 * several terminals): shard `i` of `n` (written `i/n`, 1-based on the command line) takes the items
 * whose index in the stage's `items()` list satisfies `index % n == i - 1`. Round-robin keeps shards
 * balanced when item cost drifts along the list (e.g. sorted by backbone), and the split depends only
 * on the item list, so every process agrees on it without talking to the others.
 *
 * @module
 */
import type { Shard } from "./stage.ts";

/**
 * Parses `i/n` (1-based `i`, `1 <= i <= n`) into a 0-based {@link Shard}; throws a message naming the
 * problem otherwise.
 *
 * @example
 * ```ts
 * import { parseShard } from "./shard.ts";
 * console.log(parseShard("2/4")); // { index: 1, count: 4 }
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new RangeError(`--shard must look like i/n (e.g. 1/4), got '${text}'`);
  const i = Number(m[1]), n = Number(m[2]);
  if (n < 1 || i < 1 || i > n) throw new RangeError(`--shard ${text}: need 1 <= i <= n`);
  return { index: i - 1, count: n };
}

/**
 * The shard of a Slurm array task: `SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN` (MIN defaults to 0) of
 * `SLURM_ARRAY_TASK_COUNT`; null when those variables are absent.
 *
 * @example
 * ```ts
 * import { shardFromEnv } from "./shard.ts";
 * const env = { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "4" };
 * console.log(shardFromEnv((k) => env[k as keyof typeof env])); // { index: 2, count: 4 }
 * ```
 */
export function shardFromEnv(
  get: (name: string) => string | undefined = (k) => Deno.env.get(k),
): Shard | null {
  const id = get("SLURM_ARRAY_TASK_ID");
  const count = get("SLURM_ARRAY_TASK_COUNT");
  if (id === undefined || count === undefined) return null;
  const min = Number(get("SLURM_ARRAY_TASK_MIN") ?? "0");
  const index = Number(id) - min, n = Number(count);
  if (!Number.isInteger(index) || !Number.isInteger(n) || n < 1 || index < 0 || index >= n) {
    throw new RangeError(
      `Slurm array variables give no valid shard (SLURM_ARRAY_TASK_ID=${id}, SLURM_ARRAY_TASK_MIN=${min}, ` +
        `SLURM_ARRAY_TASK_COUNT=${count}); use a contiguous --array range or pass --shard i/n`,
    );
  }
  return { index, count: n };
}

/**
 * True when item `index` belongs to `shard` (all items belong to a null shard).
 *
 * @example
 * ```ts
 * import { inShard } from "./shard.ts";
 * console.log([0, 1, 2, 3, 4].filter((i) => inShard(i, { index: 1, count: 2 }))); // [1, 3]
 * ```
 */
export function inShard(index: number, shard: Shard | null): boolean {
  return shard === null || index % shard.count === shard.index;
}

/**
 * The file name of a shard's part: `<i>-of-<n>.json`, 1-based.
 *
 * @example
 * ```ts
 * import { partFileName } from "./shard.ts";
 * console.log(partFileName({ index: 0, count: 3 })); // "1-of-3.json"
 * ```
 */
export function partFileName(shard: Shard): string {
  return `${shard.index + 1}-of-${shard.count}.json`;
}

/**
 * Parses a part file name back into its shard (null for other names).
 *
 * @example
 * ```ts
 * import { parsePartFileName } from "./shard.ts";
 * console.log(parsePartFileName("2-of-3.json")); // { index: 1, count: 3 }
 * ```
 */
export function parsePartFileName(name: string): Shard | null {
  const m = /^(\d+)-of-(\d+)\.json$/.exec(name);
  if (!m) return null;
  const i = Number(m[1]), n = Number(m[2]);
  return i >= 1 && i <= n ? { index: i - 1, count: n } : null;
}
