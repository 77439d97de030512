/**
 * Classification numbers of a probe from its logits, as Figure 4 compares them: softmax CE (shift
 * invariant), the paper's BCE (sigmoid per class, target 1 for the true class and `1/C` elsewhere,
 * summed over classes, averaged over images; not shift invariant) and top-1 accuracy, in float64.
 *
 * @module
 */

/** CE loss, BCE loss and accuracy (%) of logits on labelled images. */
export interface ProbeLosses {
  /** Mean softmax cross-entropy. */
  ceLoss: number;
  /** Mean over images of the per-class sigmoid BCE summed over classes (off-labels `1/C`). */
  bceLoss: number;
  /** Top-1 accuracy (%). */
  accuracy: number;
}

/**
 * The {@link ProbeLosses} of logits `[n * C]` (row-major) for `labels`.
 *
 * @example
 * ```ts
 * import { probeLosses } from "./equivalent_stats.ts";
 * const r = probeLosses(Float32Array.of(0, 0), [0], 2);
 * console.log(r.ceLoss.toFixed(4), r.accuracy); // "0.6931" 100
 * ```
 */
export function probeLosses(logits: ArrayLike<number>, labels: ArrayLike<number>, C: number): ProbeLosses {
  const n = labels.length;
  if (logits.length !== n * C) throw new RangeError(`probeLosses: ${logits.length} logits for ${n} x ${C}`);
  if (n === 0) throw new RangeError("probeLosses: no images");
  let ce = 0, bce = 0, correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    let max = -Infinity, best = 0;
    for (let c = 0; c < C; c++) {
      const z = logits[i * C + c];
      if (z > max) [max, best] = [z, c];
    }
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const z = logits[i * C + c];
      sum += Math.exp(z - max);
      const t = c === y ? 1 : 1 / C;
      bce += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
    }
    ce += max + Math.log(sum) - logits[i * C + y];
    if (best === y) correct++;
  }
  return { ceLoss: ce / n, bceLoss: bce / n, accuracy: (100 * correct) / n };
}
