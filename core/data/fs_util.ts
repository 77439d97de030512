/**
 * Small file-system helpers shared by the dataset readers: existence checks, directory listing and
 * atomic writes (write a temporary file in the same directory, then rename over the target).
 *
 * @module
 */

/**
 * True when `path` exists (file or directory).
 *
 * @example
 * ```ts
 * import { pathExists } from "./fs_util.ts";
 * console.log(await pathExists("/definitely/not/here")); // false
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * True when `path` is an existing directory.
 *
 * @example
 * ```ts
 * import { isDirectory } from "./fs_util.ts";
 * console.log(await isDirectory("/")); // true
 * ```
 */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}

/**
 * Sorted names of the entries of a directory, filtered by kind.
 *
 * @example
 * ```ts
 * import { listDir } from "./fs_util.ts";
 * console.log((await listDir("/", "dirs")).includes("tmp")); // true
 * ```
 */
export async function listDir(dir: string, kind: "files" | "dirs" | "all" = "all"): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (kind === "all" || (kind === "files" ? e.isFile || e.isSymlink : e.isDirectory)) names.push(e.name);
    }
  } catch (e) {
    throw new Error(`${dir}: cannot list directory (${(e as Error).message})`, { cause: e });
  }
  return names.sort();
}

/**
 * Joins path segments with `/`, collapsing duplicate separators.
 *
 * @example
 * ```ts
 * import { joinPath } from "./fs_util.ts";
 * console.log(joinPath("/a/", "b", "c.txt")); // "/a/b/c.txt"
 * ```
 */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/").replace(/\/{2,}/g, "/");
}

/**
 * Writes a file atomically: the bytes go to a temporary sibling first, which is then renamed over `path`,
 * so readers never observe a half-written file.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./fs_util.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("hi"));
 * console.log(await Deno.readTextFile(`${dir}/a.txt`)); // "hi"
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`${path}: cannot write file (${(e as Error).message})`, { cause: e });
  }
}

/**
 * Reads a whole file, with an error that names it.
 *
 * @example
 * ```ts
 * import { readFileNamed } from "./fs_util.ts";
 * await readFileNamed("/missing.bin").catch((e) => console.log(e.message)); // "/missing.bin: cannot read ..."
 * ```
 */
export async function readFileNamed(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read file (${(e as Error).message})`, { cause: e });
  }
}

/**
 * Reads a UTF-8 text file, with an error that names it.
 *
 * @example
 * ```ts
 * import { readTextNamed } from "./fs_util.ts";
 * await readTextNamed("/missing.txt").catch((e) => console.log(e.message)); // "/missing.txt: cannot read ..."
 * ```
 */
export async function readTextNamed(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read file (${(e as Error).message})`, { cause: e });
  }
}
