/**
 * The run log: `<out>/run.log`, one timestamped line per event (stage started, skipped, finished,
 * failed, notes from stages), appended synchronously so a crash leaves every line written so far.
 *
 * @module
 */

/** Writes run-log lines to a file and, optionally, to stderr. */
export class RunLog {
  readonly #path: string | null;
  readonly #echo: ((line: string) => void) | null;
  readonly #enc = new TextEncoder();

  /**
   * A log writing to `path` and echoing to `echo`.
   *
   * @param path the log file (appended to; null: no file)
   * @param echo also writes each message here (e.g. stderr); null: silent
   */
  constructor(path: string | null, echo: ((line: string) => void) | null) {
    this.#path = path;
    this.#echo = echo;
  }

  /**
   * Appends `message` with an ISO timestamp and a level.
   *
   * @example
   * ```ts
   * import { RunLog } from "./log.ts";
   * const path = await Deno.makeTempFile();
   * new RunLog(path, null).write("info", "stage data: done");
   * console.log((await Deno.readTextFile(path)).includes("stage data: done")); // true
   * ```
   */
  write(level: "info" | "warn" | "error", message: string): void {
    const text = message.replace(/\n+$/, "");
    if (this.#path) {
      const lines = text.split("\n").map((l) => `${new Date().toISOString()} ${level.padEnd(5)} ${l}\n`);
      Deno.writeFileSync(this.#path, this.#enc.encode(lines.join("")), { append: true, create: true });
    }
    this.#echo?.(level === "info" ? text : `${level}: ${text}`);
  }
}
