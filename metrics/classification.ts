/**
 * Classification metrics: top-1 accuracy (single-label) and F1 / precision / recall at a sigmoid
 * threshold (multi-label, VOC / COCO).
 *
 * Multi-label definition. Class `c` is predicted for sample `i` iff `sigmoid(logits[i][c]) > threshold`
 * (default 0.5, i.e. `logit > 0`; strict, so a logit of exactly 0 is NOT predicted). Targets are 0/1
 * (anything > 0.5 counts as positive). Per class: `TP, FP, FN` counts, `precision = TP / (TP + FP)`,
 * `recall = TP / (TP + FN)`, `F1 = 2 TP / (2 TP + FP + FN)`, each defined as 0 when its denominator is 0.
 *
 * - micro: the same three formulas on the counts summed over all classes;
 * - macro: the unweighted mean of the per-class values over the classes PRESENT in the targets (at least
 *   one positive sample); classes absent from the targets are left out of the macro means.
 *
 * @module
 */
import type { HostTensor } from "../core/host_tensor.ts";

function rows(t: HostTensor, what: string): [number, number] {
  if (t.shape.length !== 2) throw new RangeError(`${what}: expected shape [N, C], got [${t.shape}]`);
  const [n, c] = t.shape;
  if (t.data.length !== n * c) throw new RangeError(`${what}: shape [${t.shape}] does not match data length`);
  return [n, c];
}

/**
 * Top-1 accuracy in [0, 1] of logits `[N, C]` against integer labels (argmax; ties go to the lowest class
 * index, NaN logits never win). NaN for `N = 0`.
 *
 * @example
 * ```ts
 * import { topOneAccuracy } from "./classification.ts";
 * const logits = { shape: [3, 2], data: Float32Array.of(2, 1, 0, 3, 5, 4) };
 * console.log(topOneAccuracy(logits, [0, 1, 1])); // 0.6666666666666666
 * ```
 */
export function topOneAccuracy(logits: HostTensor, labels: ArrayLike<number>): number {
  const [n, c] = rows(logits, "topOneAccuracy");
  if (labels.length !== n) throw new RangeError(`topOneAccuracy: ${n} rows but ${labels.length} labels`);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestV = -Infinity;
    for (let k = 0; k < c; k++) {
      const v = logits.data[i * c + k];
      if (v > bestV) {
        bestV = v;
        best = k;
      }
    }
    if (best === labels[i]) correct++;
  }
  return n > 0 ? correct / n : NaN;
}

/** Counts and scores of one class. */
export interface ClassScores {
  /** True positives. */
  tp: number;
  /** False positives. */
  fp: number;
  /** False negatives. */
  fn: number;
  /** `TP / (TP + FP)`, 0 if no prediction. */
  precision: number;
  /** `TP / (TP + FN)`, 0 if no positive target. */
  recall: number;
  /** `2 TP / (2 TP + FP + FN)`, 0 if the denominator is 0. */
  f1: number;
}

/** Multi-label scores (all in [0, 1]). */
export interface MultiLabelScores {
  /** F1 on the pooled counts. */
  microF1: number;
  /** Precision on the pooled counts. */
  microPrecision: number;
  /** Recall on the pooled counts. */
  microRecall: number;
  /** Mean per-class F1 over the classes present in the targets (NaN if none is present). */
  macroF1: number;
  /** Mean per-class precision over the present classes. */
  macroPrecision: number;
  /** Mean per-class recall over the present classes. */
  macroRecall: number;
  /** Number of classes with at least one positive target. */
  classesPresent: number;
  /** Per-class counts and scores, indexed by class. */
  perClass: ClassScores[];
}

function scores(tp: number, fp: number, fn: number): ClassScores {
  return {
    tp,
    fp,
    fn,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    recall: tp + fn > 0 ? tp / (tp + fn) : 0,
    f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0,
  };
}

/**
 * Micro/macro F1, precision and recall of multi-label logits `[N, C]` against 0/1 targets `[N, C]`,
 * predicting class `c` iff `sigmoid(logit) > threshold` (default 0.5). See the module doc.
 *
 * @example
 * ```ts
 * import { multiLabelF1 } from "./classification.ts";
 * const logits = { shape: [2, 2], data: Float32Array.of(3, -1, 2, 4) };
 * const targets = { shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) };
 * console.log(multiLabelF1(logits, targets).microF1); // 0.8 (TP 2, FP 1, FN 0)
 * ```
 */
export function multiLabelF1(logits: HostTensor, targets: HostTensor, threshold = 0.5): MultiLabelScores {
  const [n, c] = rows(logits, "multiLabelF1 logits");
  const [tn, tc] = rows(targets, "multiLabelF1 targets");
  if (tn !== n || tc !== c) {
    throw new RangeError(`multiLabelF1: logits [${n}, ${c}] vs targets [${tn}, ${tc}]`);
  }
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`multiLabelF1: threshold must be in (0, 1)`);
  const tp = new Float64Array(c);
  const fp = new Float64Array(c);
  const fn = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) {
      const pred = 1 / (1 + Math.exp(-logits.data[i * c + k])) > threshold;
      const truth = targets.data[i * c + k] > 0.5;
      if (pred && truth) tp[k]++;
      else if (pred) fp[k]++;
      else if (truth) fn[k]++;
    }
  }
  const perClass: ClassScores[] = [];
  let sTp = 0, sFp = 0, sFn = 0;
  let mF1 = 0, mP = 0, mR = 0, present = 0;
  for (let k = 0; k < c; k++) {
    const s = scores(tp[k], fp[k], fn[k]);
    perClass.push(s);
    sTp += tp[k];
    sFp += fp[k];
    sFn += fn[k];
    if (tp[k] + fn[k] > 0) {
      present++;
      mF1 += s.f1;
      mP += s.precision;
      mR += s.recall;
    }
  }
  const micro = scores(sTp, sFp, sFn);
  return {
    microF1: micro.f1,
    microPrecision: micro.precision,
    microRecall: micro.recall,
    macroF1: present > 0 ? mF1 / present : NaN,
    macroPrecision: present > 0 ? mP / present : NaN,
    macroRecall: present > 0 ? mR / present : NaN,
    classesPresent: present,
    perClass,
  };
}
