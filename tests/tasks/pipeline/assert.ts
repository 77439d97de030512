/**
 * Small assertion helpers on top of `node:assert/strict` for the pipeline and report tests.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** An error class. */
export type ErrorClass = new (...args: never[]) => Error;

/** Asserts that `cond` is truthy. */
export function assert(cond: unknown, message?: string): asserts cond {
  nodeAssert.ok(cond, message);
}

/** Asserts deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/**
 * Asserts that `fn` rejects with an instance of `type` whose message includes `includes`; returns the
 * error.
 */
export async function assertRejects(
  fn: () => Promise<unknown>,
  type: ErrorClass,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    nodeAssert.ok(
      e instanceof type,
      `expected ${type.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`,
    );
    if (includes !== undefined) {
      nodeAssert.ok(
        (e as Error).message.includes(includes),
        `message '${(e as Error).message}' lacks '${includes}'`,
      );
    }
    return e as Error;
  }
  throw new Error(`expected a rejection with ${type.name}`);
}

/** Asserts that `fn` throws an instance of `type` whose message includes `includes`; returns the error. */
export function assertThrows(
  fn: () => unknown,
  type: ErrorClass,
  includes?: string,
): Error {
  try {
    fn();
  } catch (e) {
    nodeAssert.ok(
      e instanceof type,
      `expected ${type.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`,
    );
    if (includes !== undefined) {
      nodeAssert.ok(
        (e as Error).message.includes(includes),
        `message '${(e as Error).message}' lacks '${includes}'`,
      );
    }
    return e as Error;
  }
  throw new Error(`expected ${type.name} to be thrown`);
}
