/**
 * A progress display for training on stderr: a bar redrawn in place when stderr is a terminal, plain
 * lines (rate-limited) otherwise. Shows steps done, throughput (items per second over this run) and the
 * estimated time left, plus free-form fields such as the latest loss.
 *
 * @module
 */

/** Where progress text goes and whether it may redraw a line. */
export interface ProgressSink {
  /** Writes text (no newline added). */
  write(text: string): void;
  /** True for a terminal (the bar is redrawn with `\r`); false gives plain lines. */
  isTerminal: boolean;
}

/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** Total steps of the run. */
  total: number;
  /** Steps already done before this run (a resumed run). */
  start?: number;
  /** Prefix of every line, e.g. `pretrain mocov2`. */
  label?: string;
  /** Unit of the throughput (default `img`). */
  unit?: string;
  /** Output (default: stderr). */
  sink?: ProgressSink;
  /** Plain-line mode: at most one line per this many milliseconds (default 5000; 0 = every update). */
  minIntervalMs?: number;
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
}

/**
 * `1h02m`, `3m05s` or `12s`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 * console.log(formatDuration(185)); // "3m05s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const pad = (v: number) => String(v).padStart(2, "0");
  if (h > 0) return `${h}h${pad(m)}m`;
  if (m > 0) return `${m}m${pad(r)}s`;
  return `${r}s`;
}

/**
 * The default sink: stderr, as a terminal when it is one.
 *
 * @example
 * ```ts ignore
 * const sink = stderrSink();
 * ```
 */
export function stderrSink(): ProgressSink {
  const enc = new TextEncoder();
  let terminal = false;
  try {
    terminal = Deno.stderr.isTerminal();
  } catch {
    terminal = false;
  }
  return { write: (t) => void Deno.stderr.writeSync(enc.encode(t)), isTerminal: terminal };
}

/** A progress bar / line printer for a run of `total` steps. */
export class Progress {
  readonly #o: Required<Omit<ProgressOptions, "sink" | "now">>;
  readonly #sink: ProgressSink;
  readonly #now: () => number;
  readonly #t0: number;
  #lastLine = -Infinity;
  #drawn = false;
  #items = 0;

  /**
   * Creates the instance.
   *
   * @param opts total, start, label, unit, sink, minIntervalMs
   * @example
   * ```ts ignore
   * const bar = new Progress({ total: 1000, label: "pretrain" });
   * bar.update(10, 640, { loss: 2.31 });
   * bar.finish();
   * ```
   */
  constructor(opts: ProgressOptions) {
    this.#o = {
      total: opts.total,
      start: opts.start ?? 0,
      label: opts.label ?? "",
      unit: opts.unit ?? "img",
      minIntervalMs: opts.minIntervalMs ?? 5000,
    };
    this.#sink = opts.sink ?? stderrSink();
    this.#now = opts.now ?? (() => performance.now());
    this.#t0 = this.#now();
  }

  /** Items per second since this run started. */
  get throughput(): number {
    const dt = (this.#now() - this.#t0) / 1000;
    return dt > 0 ? this.#items / dt : 0;
  }

  /**
   * Reports that `done` steps (counted from 0 over the whole run, resumed steps included) are finished
   * and `items` more items were processed since the previous update.
   *
   * @example
   * ```ts ignore
   * bar.update(step, 64 * 10, { loss: 0.53, epoch: 2 });
   * ```
   */
  update(done: number, items: number, fields: Record<string, string | number> = {}): void {
    this.#items += items;
    const text = this.line(done, fields);
    const now = this.#now();
    if (this.#sink.isTerminal) {
      this.#sink.write(`\r\x1b[K${text}`);
      this.#drawn = true;
    } else if (done >= this.#o.total || now - this.#lastLine >= this.#o.minIntervalMs) {
      this.#sink.write(`${text}\n`);
      this.#lastLine = now;
    }
  }

  /**
   * The text of one progress line.
   *
   * @example
   * ```ts ignore
   * console.log(bar.line(10, { loss: 1.2 }));
   * ```
   */
  line(done: number, fields: Record<string, string | number> = {}): string {
    const { total, start, label, unit } = this.#o;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
    const elapsed = (this.#now() - this.#t0) / 1000;
    const doneHere = done - start;
    const eta = doneHere > 0 ? (elapsed / doneHere) * (total - done) : NaN;
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === "number" ? fmt(v) : v}`);
    return [
      `${label ? label + " " : ""}${bar} ${done}/${total} ${(frac * 100).toFixed(0)}%`,
      ...extra,
      `${this.throughput.toFixed(1)} ${unit}/s`,
      `ETA ${formatDuration(eta)}`,
    ].join(" | ");
  }

  /**
   * Ends the bar's line (terminal mode) so later output starts on a fresh line.
   *
   * @example
   * ```ts ignore
   * bar.finish();
   * ```
   */
  finish(): void {
    if (this.#drawn) this.#sink.write("\n");
    this.#drawn = false;
  }
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}
