/**
 * Superpixels for LIME: quickshift (LIME's default for images), SLIC, or a custom segmenter, on the
 * calling thread or in a pool of module workers (`segment_worker.ts`).
 *
 * @module
 */
import { quickshift, type QuickshiftOptions } from "./quickshift.ts";
import { slic, type SlicOptions } from "./slic.ts";

/** A segmenter: interleaved RGB in [0, 1] (`H * W * 3`) to one label per pixel, `0 .. n - 1`. */
export type Segmenter = (rgb: Float64Array, H: number, W: number) => Int32Array;

/** Which segmentation to run, with its options. */
export interface SegmentationSpec {
  /** `quickshift` (default), `slic`, or a function (which always runs on the calling thread). */
  method?: "quickshift" | "slic" | Segmenter;
  /** Options of quickshift (default: LIME's kernel 4, max_dist 200, ratio 0.2). */
  quickshift?: QuickshiftOptions;
  /** Options of SLIC. */
  slic?: SlicOptions;
  /** Worker threads for the built-in segmenters (default 0: on the calling thread). */
  workers?: number;
}

/**
 * Runs a built-in segmentation by name (the workers' entry point too).
 *
 * @example
 * ```ts
 * import { runSegmentation } from "./segment.ts";
 * const labels = runSegmentation(new Float64Array(4 * 4 * 3), 4, 4, "slic", {});
 * console.log(labels.length); // 16
 * ```
 */
export function runSegmentation(
  rgb: Float64Array,
  H: number,
  W: number,
  method: "quickshift" | "slic",
  options: QuickshiftOptions | SlicOptions,
): Int32Array {
  return method === "slic"
    ? slic(rgb, H, W, options as SlicOptions)
    : quickshift(rgb, H, W, options as QuickshiftOptions);
}

/**
 * Segments every image (interleaved RGB in [0, 1]), in workers when `spec.workers > 0`.
 *
 * @example
 * ```ts ignore
 * const labels = await segmentImages([rgb0, rgb1], 224, 224, { method: "quickshift", workers: 2 });
 * ```
 */
export async function segmentImages(
  images: readonly Float64Array[],
  H: number,
  W: number,
  spec: SegmentationSpec = {},
): Promise<Int32Array[]> {
  const method = spec.method ?? "quickshift";
  if (typeof method === "function") return images.map((img) => method(img, H, W));
  const options = method === "slic" ? spec.slic ?? {} : spec.quickshift ?? {};
  const workers = Math.min(Math.max(0, Math.floor(spec.workers ?? 0)), images.length);
  if (workers === 0) return images.map((img) => runSegmentation(img, H, W, method, options));
  const pool = Array.from(
    { length: workers },
    () => new Worker(new URL("./segment_worker.ts", import.meta.url).href, { type: "module" }),
  );
  try {
    const out: Int32Array[] = new Array(images.length);
    let next = 0;
    await Promise.all(pool.map(async (w) => {
      while (next < images.length) {
        const i = next++;
        out[i] = await new Promise<Int32Array>((resolve, reject) => {
          w.onmessage = (e: MessageEvent<Int32Array>) => resolve(e.data);
          w.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`segmentation worker: ${e.message}`));
          };
          w.postMessage({ rgb: images[i], H, W, method, options });
        });
      }
    }));
    return out;
  } finally {
    for (const w of pool) w.terminate();
  }
}
