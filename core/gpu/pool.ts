/**
 * A pool of storage buffers keyed by size class, so that temporaries of a training step reuse the
 * buffers freed by the previous step instead of allocating new ones.
 *
 * @module
 */

/** Usage flags of every pooled buffer: storage, copy source and copy destination. */
export const POOLED_USAGE: number = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC |
  GPUBufferUsage.COPY_DST;

/**
 * Rounds a byte size up to its size class: multiples of 256 bytes up to 4 KiB, then four classes per
 * power of two (at most 25% waste).
 *
 * @example
 * ```ts
 * import { sizeClass } from "./pool.ts";
 * console.log(sizeClass(1000), sizeClass(5000)); // 1024 5120
 * ```
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(bytes, 4);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const step = 2 ** (Math.floor(Math.log2(b)) - 2);
  return Math.ceil(b / step) * step;
}

/** Counters describing the pool's state. */
export interface PoolStats {
  /** Buffers handed out and not yet released. */
  live: number;
  /** Buffers released and waiting for reuse. */
  free: number;
  /** Bytes held by live buffers. */
  liveBytes: number;
  /** Bytes held by free buffers. */
  freeBytes: number;
  /** Buffers ever created. */
  created: number;
}

/** Reuses storage buffers by size class. */
export class BufferPool {
  #device: GPUDevice;
  #free = new Map<number, GPUBuffer[]>();
  #stats: PoolStats = { live: 0, free: 0, liveBytes: 0, freeBytes: 0, created: 0 };

  /**
   * Creates an empty pool for a device.
   *
   * @param device the device that creates the buffers
   */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /**
   * Returns a buffer of at least `bytes` bytes (its `size` is the size class).
   *
   * @example
   * ```ts ignore
   * const buf = pool.acquire(4 * 1024);
   * pool.release(buf);
   * ```
   */
  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.#free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.#stats.free--;
      this.#stats.freeBytes -= size;
    } else {
      buffer = this.#device.createBuffer({ size, usage: POOLED_USAGE });
      this.#stats.created++;
    }
    this.#stats.live++;
    this.#stats.liveBytes += size;
    return buffer;
  }

  /** Gives a buffer back for reuse by a later {@link BufferPool.acquire}. */
  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    let list = this.#free.get(size);
    if (!list) this.#free.set(size, list = []);
    list.push(buffer);
    this.#stats.live--;
    this.#stats.liveBytes -= size;
    this.#stats.free++;
    this.#stats.freeBytes += size;
  }

  /** Destroys every free buffer (live ones are untouched). */
  trim(): void {
    for (const list of this.#free.values()) for (const b of list) b.destroy();
    this.#free.clear();
    this.#stats.free = 0;
    this.#stats.freeBytes = 0;
  }

  /** A snapshot of the pool's counters. */
  stats(): PoolStats {
    return { ...this.#stats };
  }
}
