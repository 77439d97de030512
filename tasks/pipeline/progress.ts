/**
 * Per-stage progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise (at most one
 * per `minIntervalMs`, plus the first and the last), each with the count, percentage, rate and the
 * estimated time left (from the rate of the steps done in this run, so a resumed stage's cached steps do
 * not make the estimate optimistic).
 *
 * @module
 */
import { formatDuration, type ProgressSink } from "../../core/train/progress.ts";

export { formatDuration, type ProgressSink, stderrSink } from "../../core/train/progress.ts";

/** A progress bar of one loop. */
export interface ProgressBar {
  /** Marks `n` more steps done (default 1). */
  tick(n?: number): void;
  /** Sets the number of steps done. */
  set(done: number): void;
  /** Ends the bar (prints the final line). */
  done(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Total steps. */
  total: number;
  /** Steps already done before this run (e.g. cached items). */
  start?: number;
  /** Prefix of each line (the stage name). */
  label: string;
  /** Output; `null` disables output. */
  sink: ProgressSink | null;
  /** Plain-line mode: at most one line per this many ms (default 10000). */
  minIntervalMs?: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
}

/**
 * A progress bar (see the module doc).
 *
 * @example
 * ```ts
 * import { createProgress } from "./progress.ts";
 * const lines: string[] = [];
 * const bar = createProgress({ total: 4, label: "explain", sink: { write: (t) => lines.push(t), isTerminal: false } });
 * bar.tick(4);
 * bar.done();
 * console.log(lines.at(-1)?.startsWith("explain 4/4 100%")); // true
 * ```
 */
export function createProgress(opts: ProgressOptions): ProgressBar {
  const now = opts.now ?? (() => performance.now());
  const total = Math.max(0, opts.total);
  const start = Math.min(opts.start ?? 0, total);
  const t0 = now();
  const minInterval = opts.minIntervalMs ?? 10000;
  let done = start;
  let lastLine = -Infinity;
  let finished = false;
  const sink = opts.sink;

  const line = (): string => {
    const elapsed = (now() - t0) / 1000;
    const fresh = done - start;
    const rate = elapsed > 0 && fresh > 0 ? fresh / elapsed : NaN;
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    const eta = done >= total ? 0 : rate > 0 ? (total - done) / rate : NaN;
    const rateText = Number.isFinite(rate)
      ? `${rate >= 10 ? rate.toFixed(0) : rate.toPrecision(2)}/s`
      : "-/s";
    const tail = `${done}/${total} ${pct}% ${rateText} elapsed ${formatDuration(elapsed)} ETA ${
      formatDuration(eta)
    }`;
    if (!sink?.isTerminal) return `${opts.label} ${tail}`;
    const width = 24;
    const fill = total > 0 ? Math.round((width * done) / total) : width;
    return `${opts.label} [${"#".repeat(fill)}${".".repeat(width - fill)}] ${tail}`;
  };
  const emit = (force: boolean) => {
    if (!sink || finished) return;
    const t = now();
    if (sink.isTerminal) {
      sink.write(`\r${line()}\x1b[K`);
    } else if (force || t - lastLine >= minInterval) {
      lastLine = t;
      sink.write(`${line()}\n`);
    }
  };
  emit(true);
  return {
    tick(n = 1) {
      done = Math.min(total, done + n);
      emit(false);
    },
    set(value: number) {
      done = Math.min(total, Math.max(0, value));
      emit(false);
    },
    done() {
      if (finished) return;
      if (sink?.isTerminal) {
        sink.write(`\r${line()}\x1b[K\n`);
      } else emit(true);
      finished = true;
    },
  };
}
