/**
 * A pool of Web Workers that decode image files in parallel (see `decode_worker.ts`), wrapped with
 * comlink. Pixel buffers come back as transferred `Float32Array`s.
 *
 * @module
 */
import * as Comlink from "npm:comlink@4.4.2";
import type { HostTensor } from "../host_tensor.ts";
import { type DecodeOptions, ImageDecodeError } from "./decode.ts";
import type { DecodeWorkerApi, WorkerDecodeResult } from "./decode_worker.ts";

/** What to do with a file that cannot be read or decoded. */
export type OnDecodeError = "skip" | "stop";

/** Options of {@link DecodePool.decodeFiles}. */
export interface DecodeFilesOptions extends DecodeOptions {
  /** "skip": leave the file out, count it and warn; "stop" (default): throw its {@link ImageDecodeError}. */
  onError?: OnDecodeError;
  /** Receives one warning per skipped file (default `console.warn`). */
  onWarning?: (message: string) => void;
}

/** Result of {@link DecodePool.decodeFiles}. */
export interface DecodeFilesResult {
  /** One entry per input path, in input order; `null` where the file was skipped. */
  images: (HostTensor | null)[];
  /** Number of skipped files. */
  skipped: number;
  /** One message per skipped file (each names the file). */
  warnings: string[];
}

interface PoolWorker {
  worker: Worker;
  api: Comlink.Remote<DecodeWorkerApi>;
}

/**
 * Parallel image decoding on Web Workers. Call {@link DecodePool.close} when done.
 *
 * @example
 * ```ts
 * import { DecodePool } from "./decode_pool.ts";
 * const pool = new DecodePool({ size: 2 });
 * try {
 *   const r = await pool.decodeFiles(["a.png", "b.jpg"], { onError: "skip" });
 *   console.log(r.images.length, r.skipped);
 * } finally {
 *   pool.close();
 * }
 * ```
 */
export class DecodePool {
  #workers: PoolWorker[];
  #closed = false;
  #nextWorker = 0;

  /** Starts `size` workers (default: hardware concurrency, at most 8). */
  constructor(opts: { size?: number } = {}) {
    const size = Math.max(1, Math.floor(opts.size ?? Math.min(8, navigator.hardwareConcurrency || 2)));
    const url = new URL("./decode_worker.ts", import.meta.url).href;
    this.#workers = Array.from({ length: size }, () => {
      const worker = new Worker(url, { type: "module" });
      return { worker, api: Comlink.wrap<DecodeWorkerApi>(worker) };
    });
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  #check(): void {
    if (this.#closed) throw new Error("DecodePool: the pool is closed");
  }

  static #unwrap(path: string, r: WorkerDecodeResult): HostTensor {
    if (!r.ok) {
      const msg = r.message.startsWith(path) ? r.message.slice(path.length).replace(/^:\s*/, "") : r.message;
      throw new ImageDecodeError(path, msg);
    }
    return { shape: r.shape, data: r.data };
  }

  /** Decodes one file on a worker; throws {@link ImageDecodeError} naming the file on failure. */
  async decodeFile(path: string, opts: DecodeOptions = {}): Promise<HostTensor> {
    this.#check();
    const w = this.#workers[this.#nextWorker++ % this.#workers.length];
    return DecodePool.#unwrap(path, await w.api.decode(path, { channels: opts.channels }));
  }

  /**
   * Decodes many files in parallel, one queue shared by all workers. With `onError: "stop"` the first
   * failure stops further dispatch and is thrown (after in-flight files finish); with "skip" failures are
   * counted, warned about and left as `null`.
   */
  async decodeFiles(paths: readonly string[], opts: DecodeFilesOptions = {}): Promise<DecodeFilesResult> {
    this.#check();
    const onError = opts.onError ?? "stop";
    const warn = opts.onWarning ?? ((m: string) => console.warn(m));
    const images: (HostTensor | null)[] = new Array(paths.length).fill(null);
    const warnings: string[] = [];
    let next = 0;
    let failure: ImageDecodeError | undefined;
    const run = async (w: PoolWorker) => {
      while (failure === undefined && next < paths.length) {
        const i = next++;
        const r = await w.api.decode(paths[i], { channels: opts.channels });
        try {
          images[i] = DecodePool.#unwrap(paths[i], r);
        } catch (e) {
          const err = e as ImageDecodeError;
          if (onError === "stop") {
            failure ??= err;
          } else {
            const msg = `skipping ${err.message}`;
            warnings.push(msg);
            warn(msg);
          }
        }
      }
    };
    await Promise.all(this.#workers.map(run));
    if (failure) throw failure;
    return { images, skipped: warnings.length, warnings };
  }

  /** Terminates the workers; further calls throw. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) {
      w.api[Comlink.releaseProxy]();
      w.worker.terminate();
    }
    this.#workers = [];
  }

  /** Closes the pool (for `using pool = new DecodePool()`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
