/**
 * The per-item result cache behind `ctx.item(key, fn)`: one JSON file per item under
 * `<stage dir>/items/`, written atomically after `fn` succeeds, so an interrupted stage restarts at the
 * first item without a file. Each file is `{key, seconds, value}`; keys made only of `A-Z a-z 0-9 _ . + = , -`
 * (at most 100 characters, not starting with `.`) name their file directly, others are hashed.
 *
 * Values are stored with `JSON.stringify`, so non-finite numbers become `null`, and the value returned
 * by the first (computing) call is the same JSON round-trip the cached calls return.
 *
 * @module
 */
import { sha256Hex } from "./canonical.ts";
import { joinPath, readJsonIfExists, writeJsonAtomic } from "./fs.ts";

/** One cached item file. */
export interface ItemRecord<T = unknown> {
  /** The item key. */
  key: string;
  /** Seconds the computing call took. */
  seconds: number;
  /** The result. */
  value: T;
}

const SAFE = /^[A-Za-z0-9_+=,-][A-Za-z0-9_.+=,-]{0,99}$/;

/**
 * The cache file of `key` under stage directory `dir`.
 *
 * @example
 * ```ts
 * import { itemPath } from "./item_cache.ts";
 * console.log(await itemPath("out/s", "img-7")); // "out/s/items/img-7.json"
 * ```
 */
export async function itemPath(dir: string, key: string): Promise<string> {
  const name = SAFE.test(key) ? key : `h-${(await sha256Hex(key)).slice(0, 40)}`;
  return joinPath(dir, "items", `${name}.json`);
}

/**
 * The cached record of `key`, or null.
 *
 * @example
 * ```ts
 * import { readItem } from "./item_cache.ts";
 * console.log(await readItem(await Deno.makeTempDir(), "x")); // null
 * ```
 */
export async function readItem<T>(dir: string, key: string): Promise<ItemRecord<T> | null> {
  const path = await itemPath(dir, key);
  const rec = await readJsonIfExists<ItemRecord<T>>(path);
  if (rec === null) return null;
  if (rec.key !== key) throw new Error(`${path} holds item '${rec.key}', not '${key}' (hash collision?)`);
  return rec;
}

/**
 * Returns the cached record of `key`, or runs `fn`, stores its result and returns the new record (its
 * value JSON round-tripped).
 *
 * @example
 * ```ts
 * import { itemRecord } from "./item_cache.ts";
 * const dir = await Deno.makeTempDir();
 * const rec = await itemRecord(dir, "a", () => ({ x: NaN }));
 * console.log(rec.value); // { x: null }
 * ```
 */
export async function itemRecord<T>(
  dir: string,
  key: string,
  fn: () => T | Promise<T>,
): Promise<ItemRecord<T>> {
  const hit = await readItem<T>(dir, key);
  if (hit) return hit;
  const t0 = performance.now();
  const value = await fn();
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`item '${key}': result is not JSON-serialisable`);
  const rec: ItemRecord<T> = { key, seconds: (performance.now() - t0) / 1000, value: JSON.parse(text) as T };
  await writeJsonAtomic(await itemPath(dir, key), rec);
  return rec;
}

/**
 * Returns the cached value of `key`, or runs `fn`, stores its result and returns it (JSON round-tripped).
 *
 * @example
 * ```ts
 * import { cachedItem } from "./item_cache.ts";
 * const dir = await Deno.makeTempDir();
 * let calls = 0;
 * await cachedItem(dir, "a", () => ++calls);
 * console.log(await cachedItem(dir, "a", () => ++calls), calls); // 1 1
 * ```
 */
export async function cachedItem<T>(dir: string, key: string, fn: () => T | Promise<T>): Promise<T> {
  return (await itemRecord(dir, key, fn)).value;
}
