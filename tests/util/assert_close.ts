/**
 * Tolerance assertions for numerical tests (JSR's `@std/assert` is unreachable from the machines that
 * build this project, so `node:assert/strict` plus this helper replace it).
 *
 * @module
 */
import assert from "node:assert/strict";

/** Max |a-b| / (max |b| + 1e-6), the error measure the PyTorch fixtures' README uses. */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, `length ${actual.length} != expected ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= diff)) diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / (scale + 1e-6);
}

/**
 * Asserts that `actual` matches `expected` within `tol` in max relative error (see {@link maxRelError}).
 *
 * @example
 * ```ts
 * import { assertClose } from "./assert_close.ts";
 * assertClose([1, 2.00001], [1, 2], 1e-4);
 * ```
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
  what = "values",
): void {
  const err = maxRelError(actual, expected);
  if (!(err <= tol)) {
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      if (!(Math.abs(actual[i] - expected[i]) <= Math.abs(actual[worst] - expected[worst]))) worst = i;
    }
    assert.fail(
      `${what}: max relative error ${err.toExponential(3)} > ${tol} ` +
        `(worst at ${worst}: got ${actual[worst]}, expected ${expected[worst]})`,
    );
  }
}
