import assert from "node:assert/strict";
import { assertClose } from "../util/assert_close.ts";
import { multiLabelF1, topOneAccuracy } from "../../metrics/classification.ts";

Deno.test("topOneAccuracy: hand example, ties go to the lowest index", () => {
  const logits = { shape: [4, 3], data: Float32Array.of(1, 5, 2, 0, 0, -1, 3, 3, 3, -2, -1, -3) };
  // argmax: 1, 0 (tie 0/1), 0 (three-way tie), 1
  assert.equal(topOneAccuracy(logits, [1, 1, 0, 1]), 0.75);
  assert.equal(topOneAccuracy(logits, [1, 0, 0, 1]), 1);
  assert.ok(Number.isNaN(topOneAccuracy({ shape: [0, 3], data: new Float32Array(0) }, [])));
  assert.throws(() => topOneAccuracy(logits, [0]), RangeError);
});

Deno.test("multiLabelF1: hand example with micro and macro averages", () => {
  // Predictions (logit > 0): s0 {0, 2}, s1 {1}, s2 {1} (logit exactly 0 is not predicted).
  // Targets: s0 {0}, s1 {0, 1}, s2 {0}.
  // class 0: TP 1 FP 0 FN 2 -> P 1,   R 1/3, F1 2/4
  // class 1: TP 1 FP 1 FN 0 -> P 1/2, R 1,   F1 2/3
  // class 2: TP 0 FP 1 FN 0 -> absent from the targets, excluded from macro
  // micro: TP 2 FP 2 FN 2 -> P 1/2, R 1/2, F1 1/2
  const logits = { shape: [3, 3], data: Float32Array.of(2, -1, 0.5, -3, 1, -0.2, 0, 4, -2) };
  const targets = { shape: [3, 3], data: Float32Array.of(1, 0, 0, 1, 1, 0, 1, 0, 0) };
  const r = multiLabelF1(logits, targets);
  assertClose([r.microF1, r.microPrecision, r.microRecall], [0.5, 0.5, 0.5], 1e-12);
  assertClose([r.macroF1, r.macroPrecision, r.macroRecall], [7 / 12, 0.75, 2 / 3], 1e-12);
  assert.equal(r.classesPresent, 2);
  assert.deepEqual(r.perClass.map((c) => [c.tp, c.fp, c.fn]), [[1, 0, 2], [1, 1, 0], [0, 1, 0]]);
  assert.deepEqual(r.perClass[2], { tp: 0, fp: 1, fn: 0, precision: 0, recall: 0, f1: 0 });
});

Deno.test("multiLabelF1: threshold on the sigmoid, degenerate inputs", () => {
  // threshold 0.9 <=> logit > ln 9 = 2.197: only logit 4 (s2, class 1, a false positive) remains.
  const logits = { shape: [3, 3], data: Float32Array.of(2, -1, 0.5, -3, 1, -0.2, 0, 4, -2) };
  const targets = { shape: [3, 3], data: Float32Array.of(1, 0, 0, 1, 1, 0, 1, 0, 0) };
  const r = multiLabelF1(logits, targets, 0.9);
  assert.deepEqual([r.microF1, r.microPrecision, r.microRecall], [0, 0, 0]);
  // No positive target anywhere: macro is NaN (no class present).
  const none = multiLabelF1({ shape: [1, 2], data: Float32Array.of(-1, -1) }, {
    shape: [1, 2],
    data: new Float32Array(2),
  });
  assert.ok(Number.isNaN(none.macroF1));
  assert.equal(none.microF1, 0);
  assert.throws(() => multiLabelF1(logits, { shape: [3, 2], data: new Float32Array(6) }), RangeError);
});
