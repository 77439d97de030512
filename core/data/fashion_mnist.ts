/**
 * Loading Fashion-MNIST splits as float images in [0, 1].
 *
 * Directory search order: the `dir` option (`--data-dir`), `$FASHION_MNIST_DIR`,
 * `/usr/share/datasets/fashion-mnist` (Debian package `dataset-fashion-mnist`), then the cache directory
 * (`$XDG_CACHE_HOME/howtoprobe/fashion-mnist` or `~/.cache/howtoprobe/fashion-mnist`). When no directory
 * holds the split, the files are downloaded into the cache directory (see `fashion_mnist_download.ts` for
 * the checksums); when that fails too, the error lists every way to provide the files.
 *
 * @module
 */
import { readIdx } from "./idx.ts";
import { downloadFashionMnist, FASHION_MNIST_URLS, type FetchFn } from "./fashion_mnist_download.ts";
import {
  defaultFashionCacheDir,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_ENV,
  fashionFileBases,
  type FashionFiles,
  fashionSearchDirs,
  type FashionSearchOptions,
  type FashionSplit,
  findFashionFilesIn,
} from "./fashion_mnist_files.ts";

/** Options of {@link loadFashionMnist}. */
export interface LoadFashionOptions extends FashionSearchOptions {
  /** Which split. */
  split: FashionSplit;
  /** Keep only the first `limit` images. */
  limit?: number;
  /** Try to download when no directory holds the files (default true). */
  download?: boolean;
  /** fetch used for the download (tests inject a fake). */
  fetchFn?: FetchFn;
}

/** A loaded split. */
export interface FashionMnist {
  /** N*28*28 pixel values in [0, 1] (value / 255), row-major, one channel. */
  images: Float32Array;
  /** N labels in 0..9. */
  labels: Uint8Array;
  /** Number of images. */
  n: number;
  /** Image height (28). */
  height: number;
  /** Image width (28). */
  width: number;
  /** Class names in label order. */
  classes: string[];
  /** The files read. */
  files: FashionFiles;
}

/**
 * Locates (or downloads) a split's files; see the module docs for the search order.
 *
 * @example
 * ```ts
 * import { locateFashionMnist } from "./fashion_mnist.ts";
 * const files = await locateFashionMnist({ split: "test", download: false });
 * console.log(files.images);
 * ```
 */
export async function locateFashionMnist(opts: LoadFashionOptions): Promise<FashionFiles> {
  const searched = fashionSearchDirs(opts);
  for (const { dir } of searched) {
    const files = await findFashionFilesIn(dir, opts.split);
    if (files) return files;
  }
  const cacheDir = opts.cacheDir ?? defaultFashionCacheDir();
  let why = "download disabled (download: false)";
  if (opts.download !== false) {
    try {
      return await downloadFashionMnist(opts.split, cacheDir, opts.fetchFn);
    } catch (e) {
      why = `download failed: ${(e as Error).message}`;
    }
  }
  throw new Error(missingMessage(opts, searched.map((s) => `${s.dir} (${s.source})`), cacheDir, why));
}

function missingMessage(opts: LoadFashionOptions, searched: string[], cacheDir: string, why: string): string {
  const b = fashionFileBases(opts.split);
  const names = `${b.images}.gz and ${b.labels}.gz (raw, un-gzipped files are accepted too)`;
  return [
    `Fashion-MNIST ${opts.split} split not found.`,
    `Searched:`,
    ...searched.map((s) => `  - ${s}`),
    `${why}`,
    `To provide the files (${names}), do one of:`,
    `  1. install the Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist`,
    `  2. set ${FASHION_MNIST_ENV}=/path/to/dir containing the files`,
    `  3. pass --data-dir /path/to/dir (the \`dir\` option of loadFashionMnist)`,
    `  4. place the files in the cache directory ${cacheDir}`,
    `  5. allow network access so they are downloaded from ${FASHION_MNIST_URLS[0]}/ into ${cacheDir}`,
  ].join("\n");
}

/**
 * Loads a Fashion-MNIST split as float images in [0, 1] plus uint8 labels.
 *
 * @example
 * ```ts
 * import { loadFashionMnist } from "./fashion_mnist.ts";
 * const test = await loadFashionMnist({ split: "test", limit: 100 });
 * console.log(test.n, test.images.length, test.classes[test.labels[0]]); // 100 78400 "Ankle boot"
 * ```
 */
export async function loadFashionMnist(opts: LoadFashionOptions): Promise<FashionMnist> {
  const files = await locateFashionMnist(opts);
  const [img, lab] = await Promise.all([readIdx(files.images), readIdx(files.labels)]);
  if (img.dtype !== "uint8" || img.dims.length !== 3) {
    throw new Error(`${files.images}: expected uint8 [N, 28, 28] images, got ${img.dtype} [${img.dims}]`);
  }
  if (lab.dtype !== "uint8" || lab.dims.length !== 1) {
    throw new Error(`${files.labels}: expected uint8 [N] labels, got ${lab.dtype} [${lab.dims}]`);
  }
  const [total, h, w] = img.dims;
  if (lab.dims[0] !== total) {
    throw new Error(`${files.labels}: ${lab.dims[0]} labels but ${files.images} has ${total} images`);
  }
  const n = opts.limit === undefined ? total : Math.max(0, Math.min(total, Math.floor(opts.limit)));
  const px = img.data.subarray(0, n * h * w);
  const images = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) images[i] = px[i] / 255;
  const labels = (lab.data as Uint8Array).slice(0, n);
  for (let i = 0; i < n; i++) {
    if (labels[i] > 9) throw new Error(`${files.labels}: label ${labels[i]} at index ${i} is outside 0..9`);
  }
  return { images, labels, n, height: h, width: w, classes: [...FASHION_MNIST_CLASSES], files };
}
