/**
 * Wall-clock timing of GPU work without per-iteration readbacks: the step is recorded `iterations`
 * times back to back and the queue is awaited once at the end, so the measurement is the GPU's
 * throughput rather than the ~11 ms round trip of a readback.
 *
 * @module
 */
import { gpu } from "./device.ts";

/** Options of {@link timeGpu}. */
export interface TimeOptions {
  /** Timed iterations (default 5). */
  iterations?: number;
  /** Untimed runs first, to compile pipelines and fill the buffer pool (default 1). */
  warmup?: number;
}

/** Result of {@link timeGpu}. */
export interface Timing {
  /** Mean milliseconds per iteration. */
  ms: number;
  /** Iterations timed. */
  iterations: number;
  /** Milliseconds of the whole timed batch (recording included). */
  totalMs: number;
}

/**
 * Times `step`, which records GPU work (and should free what it allocates, e.g. with `tidy`): warm-up
 * runs each followed by a sync, then `iterations` runs recorded back to back and one sync.
 *
 * @example
 * ```ts ignore
 * const t = await timeGpu(() => tidy(() => { matmul(a, b); }), { iterations: 10 });
 * console.log(`${t.ms.toFixed(2)} ms`);
 * ```
 */
export async function timeGpu(step: () => void, opts: TimeOptions = {}): Promise<Timing> {
  const iterations = Math.max(1, Math.floor(opts.iterations ?? 5));
  const runtime = gpu().runtime;
  for (let i = 0; i < (opts.warmup ?? 1); i++) {
    step();
    await runtime.sync();
  }
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) step();
  await runtime.sync();
  const totalMs = performance.now() - t0;
  return { ms: totalMs / iterations, iterations, totalMs };
}
