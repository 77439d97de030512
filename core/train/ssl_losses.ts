/**
 * The self-supervised objectives, composed from differentiable primitives:
 * - {@link infoNceLoss} (MoCo v2): cross-entropy of the positive key against the queue of negatives,
 *   with temperature;
 * - {@link byolLoss}: normalised mean squared error `2 - 2 cos(p, z)`;
 * - {@link mocoV3Loss} (MoCo v3): in-batch contrastive cross-entropy of the query-key cosine matrix
 *   against its diagonal, with temperature, scaled by `2 * temperature`;
 * - {@link dinoLoss}: cross-entropy between the sharpened, centred teacher distribution and the student
 *   distribution over all (teacher global crop, other student crop) pairs, plus the centre update.
 *
 * @module
 */
import { noGrad } from "../autograd.ts";
import {
  add,
  addScalar,
  affine,
  div,
  mul,
  neg,
  scale,
  sqrt,
  square,
  sub,
  zeros,
} from "../ops/elementwise.ts";
import { assign, concat } from "../ops/layout.ts";
import { linear } from "../ops/matmul.ts";
import { crossEntropy } from "../ops/loss.ts";
import { mean, sum } from "../ops/reduce.ts";
import { logSoftmax, softmax } from "../ops/softmax.ts";
import { fromArray, type Tensor } from "../tensor.ts";

/**
 * `x / sqrt(sum(x^2) + eps)` along the last axis.
 *
 * @example
 * ```ts ignore
 * const unit = l2Normalize(z); // rows of unit length
 * ```
 */
export function l2Normalize(x: Tensor, eps = 1e-12): Tensor {
  return div(x, sqrt(addScalar(sum(square(x), -1, true), eps)));
}

/**
 * MoCo's InfoNCE: with `q` [N, D] and positive keys `k` [N, D] (both L2-normalised; `k` without
 * gradient) and the queue of negatives [K, D], the logits are `[q·k, q·queueᵀ] / temperature`
 * ([N, 1 + K]) and the loss is their softmax cross-entropy against class 0, averaged over the batch.
 *
 * @example
 * ```ts ignore
 * const loss = infoNceLoss(q, k, queue, 0.2);
 * ```
 */
export function infoNceLoss(q: Tensor, k: Tensor, queue: Tensor, temperature: number): Tensor {
  const N = q.shape[0];
  const pos = sum(mul(q, k), 1, true);
  const negs = linear(q, queue);
  const logits = scale(concat([pos, negs], 1), 1 / temperature);
  const target = zeros([N]);
  return crossEntropy(logits, target, "mean");
}

/**
 * BYOL's normalised mean squared error between predictions `p` and target projections `z` ([N, D];
 * `z` without gradient): `mean_n (2 - 2 cos(p_n, z_n))`.
 *
 * @example
 * ```ts ignore
 * const loss = add(byolLoss(p1, z2), byolLoss(p2, z1)); // symmetrised
 * ```
 */
export function byolLoss(p: Tensor, z: Tensor): Tensor {
  const cos = sum(mul(l2Normalize(p), l2Normalize(z)), 1);
  return affine(mean(cos), -2, 2);
}

/**
 * MoCo v3's contrastive loss of queries `q` [N, D] against keys `k` [N, D] (`k` without gradient in
 * training; both normalised here): the logits are `normalize(q) · normalize(k)ᵀ / temperature`
 * ([N, N]), the positive of query `n` is key `n` (the diagonal) and the other keys of the batch are
 * its negatives; the loss is the batch-mean softmax cross-entropy times `2 * temperature` (as in
 * MoCo v3, which keeps the gradient scale independent of the temperature). MoCo v3 symmetrises it
 * over the two views: `mocoV3Loss(q1, k2) + mocoV3Loss(q2, k1)`.
 *
 * @example
 * ```ts ignore
 * const loss = add(mocoV3Loss(q1, k2, 0.2), mocoV3Loss(q2, k1, 0.2)); // symmetrised
 * ```
 */
export function mocoV3Loss(q: Tensor, k: Tensor, temperature = 0.2): Tensor {
  if (q.rank !== 2 || k.rank !== 2 || q.shape[0] !== k.shape[0] || q.shape[1] !== k.shape[1]) {
    throw new RangeError(`mocoV3Loss: q [${q.shape}] and k [${k.shape}] must both be [N, D]`);
  }
  if (!(temperature > 0)) throw new RangeError(`mocoV3Loss: temperature must be > 0, got ${temperature}`);
  const N = q.shape[0];
  const logits = scale(linear(l2Normalize(q), l2Normalize(k)), 1 / temperature);
  const labels = fromArray([N], Float32Array.from({ length: N }, (_, i) => i));
  return scale(crossEntropy(logits, labels, "mean"), 2 * temperature);
}

/**
 * DINO's loss. `student` holds the student outputs of every crop ([N, K] each; the first
 * `teacher.length` are the global crops), `teacher` the teacher outputs of the global crops (no
 * gradient), `center` [1, K]. Teacher targets `softmax((t - center) / teacherTemp)`, student
 * log-probabilities `log_softmax(s / studentTemp)`; the loss is the mean over all pairs (teacher crop
 * i, student crop v != i) of the batch-mean cross-entropy `-sum_k t_k log s_k`.
 *
 * @example
 * ```ts ignore
 * const loss = dinoLoss([s1, s2, l1, l2], [t1, t2], center, 0.1, 0.04);
 * ```
 */
export function dinoLoss(
  student: readonly Tensor[],
  teacher: readonly Tensor[],
  center: Tensor,
  studentTemp: number,
  teacherTemp: number,
): Tensor {
  const targets = noGrad(() => teacher.map((t) => softmax(scale(sub(t, center), 1 / teacherTemp), -1)));
  const logProbs = student.map((s) => logSoftmax(scale(s, 1 / studentTemp), -1));
  let total: Tensor | null = null;
  let pairs = 0;
  targets.forEach((t, i) => {
    logProbs.forEach((ls, v) => {
      if (v === i) return;
      const term = mean(sum(mul(neg(t), ls), -1));
      total = total ? add(total, term) : term;
      pairs++;
    });
  });
  if (!total || pairs === 0) throw new RangeError("dinoLoss: needs at least two crops");
  return scale(total, 1 / pairs);
}

/**
 * DINO's centre update, in place: `center = m * center + (1 - m) * mean over the batch of the teacher
 * outputs of all global crops`.
 *
 * @example
 * ```ts ignore
 * updateCenter(center, [t1, t2], 0.9);
 * ```
 */
export function updateCenter(center: Tensor, teacher: readonly Tensor[], momentum: number): void {
  noGrad(() => {
    const batchMean = mean(concat([...teacher], 0), 0, true);
    const next = add(scale(center, momentum), scale(batchMean, 1 - momentum));
    assign(center, next);
    batchMean.dispose();
    next.dispose();
  });
}
