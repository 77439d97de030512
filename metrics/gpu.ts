/**
 * GPU versions of the mass-based metrics for large batches of maps, composed from the engine's ops
 * with the same definitions as the CPU functions (which stay the reference):
 * - {@link energyInsideGpu}: per map, positive mass inside a 0/1 region mask / total positive mass, after
 *   optional k x k average smoothing (stride 1, zero padding counted in the divisor) of the signed map.
 *   With a grid-cell mask this is GridPG (`gridPG`); with a box-union mask it is EPG
 *   (`energyPointingGame`). Maps with no positive mass give NaN.
 * - {@link entropyGpu}: entropy in bits of the smoothed positive map normalised to sum 1
 *   (`attributionEntropy`, smooth-then-clamp order); NaN without positive mass.
 * Gini needs a sort and stays on the CPU (`giniIndex`).
 *
 * @module
 */
import { add, div, log, mul, relu, scale, step, where } from "../core/ops/elementwise.ts";
import { reshape } from "../core/ops/layout.ts";
import { avgPool2d } from "../core/ops/pool.ts";
import { sum } from "../core/ops/reduce.ts";
import { noGrad } from "../core/autograd.ts";
import type { Tensor } from "../core/tensor.ts";

function positivePart(maps: Tensor, smooth: boolean, kernelSize: number): Tensor {
  const [b, h, w] = maps.shape;
  const m4 = reshape(maps, [b, 1, h, w]);
  const s = smooth
    ? avgPool2d(m4, { kernel: kernelSize, stride: 1, padding: (kernelSize - 1) / 2, countIncludePad: true })
    : m4;
  return reshape(relu(s), [b, h, w]);
}

/**
 * Fraction of positive attribution inside `masks` ([B, H, W] of 0/1), per map, as a [B] tensor.
 *
 * @example
 * ```ts ignore
 * const f = energyInsideGpu(maps, cellMasks, { smooth: true }); // GridPG fractions
 * ```
 */
export function energyInsideGpu(
  maps: Tensor,
  masks: Tensor,
  opts: { smooth?: boolean; kernelSize?: number } = {},
): Tensor {
  return noGrad(() => {
    const pos = positivePart(maps, opts.smooth ?? false, opts.kernelSize ?? 5);
    const total = sum(pos, [1, 2]);
    return div(sum(mul(pos, masks), [1, 2]), total);
  });
}

/**
 * Entropy (bits) of each smoothed positive map normalised to sum 1, as a [B] tensor.
 *
 * @example
 * ```ts ignore
 * const e = entropyGpu(maps);
 * ```
 */
export function entropyGpu(maps: Tensor, opts: { smooth?: boolean; kernelSize?: number } = {}): Tensor {
  return noGrad(() => {
    const pos = positivePart(maps, opts.smooth ?? true, opts.kernelSize ?? 5);
    const p = div(pos, sum(pos, [1, 2], true));
    // p log2 p with 0 log 0 = 0: evaluate the log on max(p, tiny) and mask it by p > 0.
    const logp = log(add(p, scale(step(scale(p, -1)), 1)));
    const plogp = where(step(p), mul(p, logp), scale(p, 0));
    return scale(sum(plogp, [1, 2]), -1 / Math.LN2);
  });
}
