/**
 * Argument helpers shared by the training tasks: number parsing with usage errors, and list parsing.
 *
 * @module
 */
import { UsageError } from "../cli.ts";

/**
 * Parses a flag as an integer within bounds, or throws a {@link UsageError} naming the flag.
 *
 * @example
 * ```ts
 * import { intFlag } from "./args.ts";
 * console.log(intFlag("epochs", "3", 1)); // 3
 * ```
 */
export function intFlag(name: string, value: string | undefined, min: number, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${value}'`);
  }
  return n;
}

/**
 * Parses a flag as a finite number >= 0, or throws a {@link UsageError}.
 *
 * @example
 * ```ts
 * import { numberFlag } from "./args.ts";
 * console.log(numberFlag("lr", "0.001")); // 0.001
 * ```
 */
export function numberFlag(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${name} must be a number >= 0, got '${value}'`);
  }
  return n;
}

/**
 * Parses a comma-separated list of positive integers (`8,16,32`), or throws a {@link UsageError}.
 *
 * @example
 * ```ts
 * import { intListFlag } from "./args.ts";
 * console.log(intListFlag("widths", "8,16")); // [8, 16]
 * ```
 */
export function intListFlag(name: string, value: string): number[] {
  const parts = value.split(",").map((s) => Number(s.trim()));
  if (!parts.length || parts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UsageError(`--${name} must be a comma-separated list of positive integers, got '${value}'`);
  }
  return parts;
}

/**
 * Parses a comma-separated list of distinct finite numbers >= 0 (`0.01,0.1,1`), or throws a
 * {@link UsageError}.
 *
 * @example
 * ```ts
 * import { numberListFlag } from "./args.ts";
 * console.log(numberListFlag("lr", "0.01,0.1")); // [0.01, 0.1]
 * ```
 */
export function numberListFlag(name: string, value: string): number[] {
  const parts = value.split(",");
  const bad = () =>
    new UsageError(`--${name} must be a comma-separated list of distinct numbers >= 0, got '${value}'`);
  const numbers = parts.map((s) => {
    try {
      return numberFlag(name, s);
    } catch {
      throw bad();
    }
  });
  if (new Set(numbers).size !== numbers.length) throw bad();
  return numbers;
}

/**
 * Checks that `value` is one of `choices`, or throws a {@link UsageError}.
 *
 * @example
 * ```ts
 * import { choiceFlag } from "./args.ts";
 * console.log(choiceFlag("loss", "ce", ["ce", "bce"] as const)); // "ce"
 * ```
 */
export function choiceFlag<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
): T {
  if (value === undefined) throw new UsageError(`--${name} is required (one of ${choices.join(", ")})`);
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got '${value}'`);
  }
  return value as T;
}
