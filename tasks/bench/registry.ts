/**
 * The bench registry: each module under `tasks/bench/` registers named groups of rows with
 * {@link registerBench}; `tasks/bench.ts` imports every such module, runs the groups in registration
 * order and prints the rows. A new group (explainer images/s, a fused kernel) is one new module, with
 * no change to the runner.
 *
 * @module
 */
import { timeGpu, type Timing } from "../../core/gpu/timing.ts";

/** One measured row. */
export interface BenchRow {
  /** What ran, e.g. `matmul` or `conv2d.backward_data`. */
  name: string;
  /** The problem size, e.g. `1024x1024x1024`. */
  shape: string;
  /** Milliseconds per iteration (mean over one batch of back-to-back iterations). */
  ms: number;
  /** Arithmetic throughput, or null where FLOPs are not meaningful. */
  gflops: number | null;
  /** Another throughput, e.g. `{ value: 12.5, unit: "images/s" }`. */
  throughput?: { value: number; unit: string };
}

/** What a bench group gets from the runner. */
export interface BenchContext {
  /** Timed iterations per row (`--repeat`). */
  repeat: number;
  /** Prints a row (as a table line, or as JSON with `--json`). */
  report(row: BenchRow): void;
  /** Prints a remark, such as why rows were skipped. */
  note(text: string): void;
  /** Times a step that records GPU work: one warm-up, then `repeat` iterations and a single sync. */
  time(step: () => void): Promise<Timing>;
}

/** A group of rows. */
export type BenchFn = (ctx: BenchContext) => Promise<void>;

const groups = new Map<string, BenchFn>();

/**
 * Registers (or replaces) the bench group `name`; `deno task bench --only name` runs it alone.
 *
 * @example
 * ```ts ignore
 * registerBench("explainers", async (ctx) => {
 *   const t = await ctx.time(() => tidy(() => { saliency(model, images, labels); }));
 *   ctx.report({ name: "saliency", shape: "8x3x224x224", ms: t.ms, gflops: null,
 *     throughput: { value: 8000 / t.ms, unit: "images/s" } });
 * });
 * ```
 */
export function registerBench(name: string, run: BenchFn): void {
  groups.set(name, run);
}

/**
 * The registered groups, in registration order.
 *
 * @example
 * ```ts
 * import { benchGroups } from "./registry.ts";
 * console.log(Array.isArray(benchGroups())); // true
 * ```
 */
export function benchGroups(): [string, BenchFn][] {
  return [...groups];
}

/**
 * A context that times with {@link timeGpu} and hands rows and notes to the given printers.
 *
 * @example
 * ```ts ignore
 * const ctx = benchContext(3, (row) => console.log(row), console.log);
 * ```
 */
export function benchContext(
  repeat: number,
  report: (row: BenchRow) => void,
  note: (text: string) => void,
): BenchContext {
  return { repeat, report, note, time: (step) => timeGpu(step, { iterations: repeat, warmup: 1 }) };
}

/**
 * GFLOP/s of `flops` floating-point operations done in `ms` milliseconds.
 *
 * @example
 * ```ts
 * import { gflops } from "./registry.ts";
 * console.log(gflops(2e9, 1000)); // 2
 * ```
 */
export function gflops(flops: number, ms: number): number {
  return flops / ms / 1e6;
}
