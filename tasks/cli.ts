/**
 * Shared command-line plumbing: one-line errors without stack traces and meaningful exit codes.
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | success |
 * | 1 | error (bad input, no GPU adapter, failed check) |
 * | 2 | usage error (unknown flag, missing argument) |
 * | 3 | the GPU device was lost; state was saved where the task supports it |
 * | 130 | interrupted (SIGINT) after saving state |
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DeviceLostError, GpuUnavailableError } from "../core/gpu/errors.ts";

/** A usage error: printed with the task's `--help` hint and exit code 2. */
export class UsageError extends Error {
  /** @param message what is wrong with the arguments */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * `node:util`'s `parseArgs` (strict: unknown flags and missing values are errors), with its errors
 * turned into a {@link UsageError} so the task exits with code 2 and a `--help` hint.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./cli.ts";
 * const { values } = parseFlags({ args: ["--epochs", "3"], options: { epochs: { type: "string" } } });
 * console.log(values.epochs); // "3"
 * ```
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Exit code for an error thrown by a task.
 *
 * @example
 * ```ts
 * import { exitCodeFor, UsageError } from "./cli.ts";
 * console.log(exitCodeFor(new UsageError("x"))); // 2
 * ```
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return 2;
  if (error instanceof DeviceLostError) return 3;
  return 1;
}

/**
 * Runs a task's `main`, printing errors as one line on stderr (a stack trace only with `DEBUG=1`),
 * and exits with the task's code.
 *
 * @example
 * ```ts ignore
 * if (import.meta.main) runMain("bench", main);
 * ```
 */
export async function runMain(task: string, main: (args: string[]) => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    code = exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof UsageError ? ` (see: deno task ${task} --help)` : "";
    const kind = error instanceof GpuUnavailableError
      ? "no GPU"
      : error instanceof DeviceLostError
      ? "device lost"
      : "error";
    console.error(`${task}: ${kind}: ${message}${hint}`);
    if (Deno.env.get("DEBUG") && error instanceof Error) console.error(error.stack);
  }
  Deno.exit(code);
}
