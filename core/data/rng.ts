/**
 * A small seeded pseudo-random generator (mulberry32) whose whole state is one 32-bit integer, so a
 * training run can checkpoint it and resume bit-exactly.
 *
 * @module
 */

/** splitmix32-style finaliser: a bijective 32-bit mix used for seeding and forking. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Seeded PRNG (mulberry32). All draws go through {@link Rng.u32}; `state()`/`restore()` save and restore
 * the generator exactly, `fork()` derives an independent child stream.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * const rng = new Rng(42);
 * const saved = rng.state();
 * const a = rng.float();
 * rng.restore(saved);
 * console.log(rng.float() === a); // true
 * ```
 */
export class Rng {
  #s: number;

  /** Creates a generator from any integer seed (the seed is hashed, so 0, 1, 2 give unrelated streams). */
  constructor(seed = 0) {
    this.#s = mix32(seed | 0);
  }

  /**
   * A generator seeded by hashing a seed with a list of keys (e.g. `[epoch, sampleIndex]`), without
   * consuming anything from another generator.
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const r = Rng.derive(7, 3, 12); // seed 7, epoch 3, sample 12
   * console.log(r.float() === Rng.derive(7, 3, 12).float()); // true
   * ```
   */
  static derive(seed: number, ...keys: number[]): Rng {
    let h = mix32(seed | 0);
    for (const k of keys) h = mix32(h ^ mix32(k | 0));
    const r = new Rng();
    r.#s = h;
    return r;
  }

  /**
   * A generator positioned at a state previously returned by {@link Rng.state}.
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const a = new Rng(1);
   * const b = Rng.fromState(a.state());
   * console.log(a.u32() === b.u32()); // true
   * ```
   */
  static fromState(state: number): Rng {
    const r = new Rng();
    r.restore(state);
    return r;
  }

  /** The full generator state (an unsigned 32-bit integer, JSON-safe). */
  state(): number {
    return this.#s >>> 0;
  }

  /** Restores a state returned by {@link Rng.state}. */
  restore(state: number): void {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) {
      throw new RangeError(`Rng.restore: state must be a uint32, got ${state}`);
    }
    this.#s = state | 0;
  }

  /** An independent child generator; advances this generator by one draw. `key` separates sibling forks. */
  fork(key = 0): Rng {
    const r = new Rng();
    r.#s = mix32(this.u32() ^ mix32(key | 0));
    return r;
  }

  /** Next uniform unsigned 32-bit integer. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`Rng.int: n must be >= 1, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  intRange(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.float() < p;
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** `k` distinct items drawn uniformly from `items` (in random order). */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k > items.length) throw new RangeError(`Rng.sample: cannot draw ${k} of ${items.length} items`);
    const copy = [...items];
    for (let i = 0; i < k; i++) {
      const j = i + this.int(copy.length - i);
      const t = copy[i];
      copy[i] = copy[j];
      copy[j] = t;
    }
    return copy.slice(0, k);
  }

  /** One item drawn uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Rng.choice: empty array");
    return items[this.int(items.length)];
  }
}
