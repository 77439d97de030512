/**
 * Small file helpers for the pipeline: path joining, existence checks, JSON reads, and atomic JSON/text
 * writes that create the parent directory first.
 *
 * @module
 */
import { atomicWriteFile, atomicWriteTextFile } from "../../core/io/atomic_write.ts";

/**
 * Joins path parts with `/`, collapsing repeated separators.
 *
 * @example
 * ```ts
 * import { joinPath } from "./fs.ts";
 * console.log(joinPath("out/", "artifacts", "a/b.json")); // "out/artifacts/a/b.json"
 * ```
 */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/").replace(/\/{2,}/g, "/");
}

/**
 * The directory part of a path (`.` when there is none).
 *
 * @example
 * ```ts
 * import { dirName } from "./fs.ts";
 * console.log(dirName("a/b/c.json"), dirName("c.json")); // "a/b" "."
 * ```
 */
export function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/**
 * True when `path` exists.
 *
 * @example
 * ```ts
 * import { exists } from "./fs.ts";
 * console.log(await exists("/definitely/not/here")); // false
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Reads and parses a JSON file; null when it does not exist. A parse error names the file.
 *
 * @example
 * ```ts
 * import { readJsonIfExists } from "./fs.ts";
 * console.log(await readJsonIfExists("/definitely/not/here.json")); // null
 * ```
 */
export async function readJsonIfExists<T = unknown>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/**
 * Writes `value` as indented JSON atomically, creating the parent directory.
 *
 * @example
 * ```ts
 * import { writeJsonAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeJsonAtomic(`${dir}/x/y.json`, { ok: true });
 * ```
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(dirName(path), { recursive: true });
  await atomicWriteTextFile(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Writes text atomically, creating the parent directory.
 *
 * @example
 * ```ts
 * import { writeTextAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTextAtomic(`${dir}/a/b.txt`, "hello");
 * ```
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirName(path), { recursive: true });
  await atomicWriteTextFile(path, text);
}

/**
 * Writes bytes atomically, creating the parent directory.
 *
 * @example
 * ```ts
 * import { writeBytesAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeBytesAtomic(`${dir}/a/b.bin`, new Uint8Array([1, 2]));
 * ```
 */
export async function writeBytesAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(dirName(path), { recursive: true });
  await atomicWriteFile(path, bytes);
}
