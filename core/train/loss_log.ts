/**
 * Per-step scalars (losses) logged on the GPU without a readback per step: each step copies its
 * scalar into slot `i` of a kept buffer; the loop reads the whole buffer every N steps (one readback)
 * and checks it for NaN / infinity.
 *
 * @module
 */
import { empty, type Tensor } from "../tensor.ts";
import { writeAt } from "./write_at.ts";

/** A ring of `capacity` float slots on the GPU, written by index and read in one go. */
export class LossLog {
  /** Slots on the GPU. */
  readonly capacity: number;
  #buffer: Tensor;
  #used = 0;

  /**
   * Creates the instance.
   *
   * @param capacity slots between two readbacks
   * @example
   * ```ts ignore
   * const log = new LossLog(50);
   * log.write(loss); // no readback
   * const values = await log.drain(); // one readback, then the log is empty
   * ```
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`LossLog: capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#buffer = empty([capacity]).keep();
  }

  /** Values written since the last {@link LossLog.drain}. */
  get pending(): number {
    return this.#used;
  }

  /** True when every slot is written (drain before writing again). */
  get full(): boolean {
    return this.#used === this.capacity;
  }

  /**
   * Records a copy of the scalar `value` (any tensor of one element) into the next slot; no readback.
   *
   * @example
   * ```ts ignore
   * log.write(loss);
   * ```
   */
  write(value: Tensor): void {
    if (value.size !== 1) throw new RangeError(`LossLog.write: expected a scalar, got [${value.shape}]`);
    if (this.full) throw new RangeError(`LossLog.write: all ${this.capacity} slots are used; drain first`);
    writeAt(this.#buffer, value, this.#used++);
  }

  /**
   * Reads the values written since the last drain (one readback) and empties the log.
   *
   * @example
   * ```ts ignore
   * const losses = await log.drain();
   * ```
   */
  async drain(): Promise<Float32Array> {
    if (this.#used === 0) return new Float32Array(0);
    const all = await this.#buffer.read();
    const out = all.slice(0, this.#used);
    this.#used = 0;
    return out;
  }

  /** Frees the GPU buffer. */
  dispose(): void {
    this.#buffer.dispose();
  }
}

/**
 * Index of the first value that is NaN or infinite, or -1.
 *
 * @example
 * ```ts
 * import { firstNonFinite } from "./loss_log.ts";
 * console.log(firstNonFinite(Float32Array.of(1, 2, NaN))); // 2
 * ```
 */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}
