/**
 * Where Fashion-MNIST lives on disk: class names, the split's file names (upstream and variant
 * spellings, raw or gzipped) and the ordered list of directories searched.
 *
 * @module
 */
import { joinPath, pathExists } from "./fs_util.ts";

/** The ten Fashion-MNIST classes in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** A Fashion-MNIST split. */
export type FashionSplit = "train" | "test";

/** Directory the Debian/Ubuntu package `dataset-fashion-mnist` installs to. */
export const FASHION_MNIST_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";

/** Environment variable naming a directory that holds the files. */
export const FASHION_MNIST_ENV = "FASHION_MNIST_DIR";

/**
 * The upstream base names (without `.gz`) of a split's image and label files.
 *
 * @example
 * ```ts
 * import { fashionFileBases } from "./fashion_mnist_files.ts";
 * console.log(fashionFileBases("test").images); // "t10k-images-idx3-ubyte"
 * ```
 */
export function fashionFileBases(split: FashionSplit): { images: string; labels: string } {
  const p = split === "train" ? "train" : "t10k";
  return { images: `${p}-images-idx3-ubyte`, labels: `${p}-labels-idx1-ubyte` };
}

/**
 * Accepted file names for one base name, in preference order: the upstream/Debian name gzipped or raw
 * (`t10k-images-idx3-ubyte.gz`, `t10k-images-idx3-ubyte`) and the dotted variant some mirrors and
 * extractors produce (`t10k-images.idx3-ubyte`, gzipped or raw).
 *
 * @example
 * ```ts
 * import { fashionFileCandidates } from "./fashion_mnist_files.ts";
 * console.log(fashionFileCandidates("train-labels-idx1-ubyte")[0]); // "train-labels-idx1-ubyte.gz"
 * ```
 */
export function fashionFileCandidates(base: string): string[] {
  const dotted = base.replace(/-(idx\d)-/, ".$1-");
  return [`${base}.gz`, base, `${dotted}.gz`, dotted];
}

/**
 * The per-user cache directory: `$XDG_CACHE_HOME/howtoprobe/fashion-mnist`, else
 * `$HOME/.cache/howtoprobe/fashion-mnist`.
 *
 * @example
 * ```ts
 * import { defaultFashionCacheDir } from "./fashion_mnist_files.ts";
 * console.log(defaultFashionCacheDir().endsWith("howtoprobe/fashion-mnist")); // true
 * ```
 */
export function defaultFashionCacheDir(): string {
  const xdg = envGet("XDG_CACHE_HOME");
  const base = xdg ? xdg : joinPath(envGet("HOME") ?? envGet("USERPROFILE") ?? ".", ".cache");
  return joinPath(base, "howtoprobe", "fashion-mnist");
}

/**
 * Reads an environment variable, returning undefined when unset, empty, or when env access is not permitted.
 *
 * @example
 * ```ts
 * import { envGet } from "./fashion_mnist_files.ts";
 * console.log(envGet("FASHION_MNIST_DIR") ?? "(unset)");
 * ```
 */
export function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** Options that decide which directories are searched (each can be overridden, e.g. by tests). */
export interface FashionSearchOptions {
  /** Explicit directory (the `--data-dir` flag); searched first. */
  dir?: string;
  /** Directory from the environment; defaults to `$FASHION_MNIST_DIR`; `null` skips it. */
  envDir?: string | null;
  /** System directory; defaults to {@link FASHION_MNIST_SYSTEM_DIR}; `null` skips it. */
  systemDir?: string | null;
  /** Cache directory; defaults to {@link defaultFashionCacheDir}. */
  cacheDir?: string;
}

/** One searched directory and why it is searched. */
export interface SearchedDir {
  /** The directory. */
  dir: string;
  /** Where it came from (e.g. "dir option", "$FASHION_MNIST_DIR"). */
  source: string;
}

/**
 * The directories searched, in order: explicit `dir`, `$FASHION_MNIST_DIR`, the system directory, the
 * cache directory.
 *
 * @example
 * ```ts
 * import { fashionSearchDirs } from "./fashion_mnist_files.ts";
 * const dirs = fashionSearchDirs({ dir: "/data/fm", envDir: null, cacheDir: "/tmp/c" });
 * console.log(dirs.map((d) => d.dir)); // ["/data/fm", "/usr/share/datasets/fashion-mnist", "/tmp/c"]
 * ```
 */
export function fashionSearchDirs(opts: FashionSearchOptions = {}): SearchedDir[] {
  const out: SearchedDir[] = [];
  if (opts.dir) out.push({ dir: opts.dir, source: "dir option / --data-dir" });
  const env = opts.envDir === undefined ? envGet(FASHION_MNIST_ENV) : opts.envDir;
  if (env) out.push({ dir: env, source: `$${FASHION_MNIST_ENV}` });
  const sys = opts.systemDir === undefined ? FASHION_MNIST_SYSTEM_DIR : opts.systemDir;
  if (sys) out.push({ dir: sys, source: "system package dataset-fashion-mnist" });
  out.push({ dir: opts.cacheDir ?? defaultFashionCacheDir(), source: "cache directory" });
  return out;
}

/** Paths of a split's image and label files. */
export interface FashionFiles {
  /** Image IDX file (raw or gzipped). */
  images: string;
  /** Label IDX file (raw or gzipped). */
  labels: string;
}

/**
 * Finds a split's two files in one directory, or returns undefined when either is missing.
 *
 * @example
 * ```ts
 * import { findFashionFilesIn } from "./fashion_mnist_files.ts";
 * const f = await findFashionFilesIn("/usr/share/datasets/fashion-mnist", "test");
 * console.log(f?.labels); // ".../t10k-labels-idx1-ubyte.gz" when the package is installed
 * ```
 */
export async function findFashionFilesIn(
  dir: string,
  split: FashionSplit,
): Promise<FashionFiles | undefined> {
  const bases = fashionFileBases(split);
  const find = async (base: string) => {
    for (const name of fashionFileCandidates(base)) {
      const p = joinPath(dir, name);
      if (await pathExists(p)) return p;
    }
    return undefined;
  };
  const images = await find(bases.images);
  const labels = await find(bases.labels);
  return images && labels ? { images, labels } : undefined;
}
