/**
 * Downloading Fashion-MNIST into the cache directory, with integrity checks.
 *
 * What is verified, per file: the downloaded `.gz` is accepted when EITHER
 *  - its MD5 equals the digest published in the Fashion-MNIST README (the same digests torchvision uses), or
 *  - the SHA-256 of its decompressed IDX payload equals the digest below, computed from the files of the
 *    Debian package `dataset-fashion-mnist` (whose `.gz` files are recompressed, so their own MD5 differs
 *    from upstream's, but whose decompressed content is the upstream data).
 * Anything else is rejected and nothing is written. Files are written atomically (temp file + rename).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { joinPath, writeFileAtomic } from "./fs_util.ts";
import { gunzip, isGzip } from "./gzip.ts";
import { fashionFileBases, type FashionSplit } from "./fashion_mnist_files.ts";

/** Official download locations, tried in order (`<base>/<file>.gz`). */
export const FASHION_MNIST_URLS: readonly string[] = [
  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
  "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion",
];

/** Known digests per upstream base name: MD5 of the official `.gz`, SHA-256 of the decompressed IDX. */
export const FASHION_MNIST_DIGESTS: Readonly<Record<string, { gzMd5: string; idxSha256: string }>> = {
  "train-images-idx3-ubyte": {
    gzMd5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    idxSha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  },
  "train-labels-idx1-ubyte": {
    gzMd5: "25c81989df183df01b3e8a0aad5dffbe",
    idxSha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
  },
  "t10k-images-idx3-ubyte": {
    gzMd5: "bef4ecab320f06d8554ea6380940ec79",
    idxSha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
  },
  "t10k-labels-idx1-ubyte": {
    gzMd5: "bb300cfdad3c16e7a12a480ee83cd310",
    idxSha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
  },
};

/** The fetch signature used for downloads (injectable so tests never touch the network). */
export type FetchFn = (url: string) => Promise<Response>;

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Checks downloaded `.gz` bytes of a Fashion-MNIST file against the known digests (see module docs);
 * throws an error naming the file when neither digest matches.
 *
 * @example
 * ```ts
 * import { verifyFashionGz } from "./fashion_mnist_download.ts";
 * const gz = await Deno.readFile("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
 * console.log(await verifyFashionGz("t10k-labels-idx1-ubyte", gz, "t10k-labels-idx1-ubyte.gz")); // "sha256"
 * ```
 */
export async function verifyFashionGz(base: string, gz: Uint8Array, name: string): Promise<"md5" | "sha256"> {
  const known = FASHION_MNIST_DIGESTS[base];
  if (!known) throw new Error(`${name}: no known digest for Fashion-MNIST file ${base}`);
  if (!isGzip(gz)) throw new Error(`${name}: downloaded data is not gzip (${gz.length} bytes)`);
  const md5 = createHash("md5").update(gz).digest("hex");
  if (md5 === known.gzMd5) return "md5";
  const payload = await gunzip(gz, name);
  const sha = hex(await crypto.subtle.digest("SHA-256", payload as Uint8Array<ArrayBuffer>));
  if (sha === known.idxSha256) return "sha256";
  throw new Error(
    `${name}: checksum mismatch (gz MD5 ${md5}, expected ${known.gzMd5}; ` +
      `decompressed SHA-256 ${sha}, expected ${known.idxSha256})`,
  );
}

/**
 * Downloads a split's two `.gz` files into `cacheDir`, verifying each before writing it. Throws an error
 * listing every URL tried and why it failed.
 *
 * @example
 * ```ts
 * import { downloadFashionMnist } from "./fashion_mnist_download.ts";
 * await downloadFashionMnist("test", `${Deno.env.get("HOME")}/.cache/howtoprobe/fashion-mnist`)
 *   .catch((e) => console.log(e.message)); // fails without network
 * ```
 */
export async function downloadFashionMnist(
  split: FashionSplit,
  cacheDir: string,
  fetchFn: FetchFn = (url) => fetch(url),
): Promise<{ images: string; labels: string }> {
  const bases = fashionFileBases(split);
  await Deno.mkdir(cacheDir, { recursive: true });
  const out: Record<string, string> = {};
  for (const base of [bases.images, bases.labels]) {
    const file = `${base}.gz`;
    const failures: string[] = [];
    let done = false;
    for (const root of FASHION_MNIST_URLS) {
      const url = `${root}/${file}`;
      try {
        const res = await fetchFn(url);
        if (!res.ok) {
          await res.body?.cancel();
          throw new Error(`HTTP ${res.status} ${res.statusText}`);
        }
        const gz = new Uint8Array(await res.arrayBuffer());
        await verifyFashionGz(base, gz, url);
        const dest = joinPath(cacheDir, file);
        await writeFileAtomic(dest, gz);
        out[base] = dest;
        done = true;
        break;
      } catch (e) {
        failures.push(`${url}: ${(e as Error).message}`);
      }
    }
    if (!done) throw new Error(`could not download ${file}:\n    ${failures.join("\n    ")}`);
  }
  return { images: out[bases.images], labels: out[bases.labels] };
}
