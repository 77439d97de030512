/**
 * B-cos explanations (PROTOCOL.md §4): in explanation mode (`BCOS_EXPLANATION_RULES`: the dynamic
 * scales and the normalisation statistics are constants) a B-cos network is dynamic-linear,
 * `logit = W(x) . x + const`, and the explanation is the contribution map `sum_c x * W(x)`, with
 * `W(x)` the explanation-mode gradient. {@link bcosRgba} renders B-cos v2's colour image.
 *
 * @module
 */
import type { RuleOverrides } from "../core/autograd.ts";
import { BCOS_EXPLANATION_RULES } from "../core/ops/bcos.ts";
import type { Module } from "../core/nn/module.ts";
import { mul } from "../core/ops/elementwise.ts";
import { slice } from "../core/ops/layout.ts";
import { avgPool2d } from "../core/ops/pool.ts";
import { type Tensor, tidy, view } from "../core/tensor.ts";
import { type ChannelOptions, reduceChannels, type Target } from "./common.ts";
import { inputGradient } from "./gradient.ts";
import { bcosFinishAlpha, bcosRgbaRaw, rowPercentile } from "./kernels.ts";

/** The attention softmax as a constant: no gradient reaches the queries and keys. */
function detachedSoftmax(): (Tensor | null)[] {
  return [null];
}

/**
 * Explanation mode of B-cos networks including B-cos ViTs: `BCOS_EXPLANATION_RULES` (detached B-cos
 * scales and normalisation statistics) plus the attention probabilities as constants (op kind
 * `softmax` gets no gradient), as B-cos v2's ViT detaches `q` and `k` so that attention is a dynamic
 * linear map. B-cos CNNs have no softmax, so the addition changes nothing there.
 */
export const BCOS_EXPLAIN_RULES: RuleOverrides = {
  kinds: { ...BCOS_EXPLANATION_RULES.kinds, softmax: detachedSoftmax },
};

/**
 * The dynamic linear map `W(x)` `[B, C, H, W]` of the target logit: its explanation-mode input gradient
 * (under {@link BCOS_EXPLAIN_RULES}).
 *
 * @example
 * ```ts ignore
 * const w = bcosLinearMap(model, bcosEncode(x), [3]);
 * ```
 */
export function bcosLinearMap(model: Module, x: Tensor, target: Target): Tensor {
  return inputGradient(model, x, target, { rules: BCOS_EXPLAIN_RULES });
}

/**
 * The B-cos contribution map `sum_c x * W(x)` `[B, H, W]` (or per channel with `channels`); summed over
 * pixels it equals the target logit minus the network's constant biases.
 *
 * @example
 * ```ts ignore
 * const maps = bcosContributions(model, bcosEncode(x), [3, 1]);
 * ```
 */
export function bcosContributions(
  model: Module,
  x: Tensor,
  target: Target,
  opts: ChannelOptions = {},
): Tensor {
  return tidy(() => reduceChannels(mul(x, bcosLinearMap(model, x, target)), opts.channels));
}

/** Options of {@link bcosRgba} and {@link renderBcosRgba}. */
export interface BcosRgbaOptions {
  /** Average-pooling window of the alpha (odd, stride 1, zero padding counted); default 15; 1: none. */
  smooth?: number;
  /** Percentile that maps to full opacity; default 99.5. */
  alphaPercentile?: number;
  /**
   * Alpha from the L2 norm over channels of `W(x)` (`"weights"`, B-cos v2's `gradient_to_image`, the
   * default) or of the contributions `x * W(x)` (`"contribution"`, PROTOCOL.md §4's wording).
   */
  alpha?: "weights" | "contribution";
}

/**
 * Renders B-cos v2's colour explanation from a linear map `w` and the encoded input `x` (both
 * `[B, 6, H, W]`): per pixel `W / max|W|` clamped at 0, `rgb = W[:3] / (W[:3] + W[3:])`; alpha = the
 * per-pixel norm (zero where the contribution is negative), average-pooled, divided by its per-image
 * percentile and clipped to [0, 1]. Returns RGBA `[B, 4, H, W]` in [0, 1].
 *
 * @example
 * ```ts ignore
 * const rgba = renderBcosRgba(bcosLinearMap(model, x6, [3]), x6);
 * ```
 */
export function renderBcosRgba(w: Tensor, x: Tensor, opts: BcosRgbaOptions = {}): Tensor {
  const smooth = opts.smooth ?? 15;
  if (!Number.isInteger(smooth) || smooth < 1 || smooth % 2 === 0) {
    throw new RangeError(`renderBcosRgba: smooth must be an odd positive integer, got ${smooth}`);
  }
  return tidy(() => {
    const rgba = bcosRgbaRaw(w, x, opts.alpha === "contribution");
    const [B, , H, W] = rgba.shape;
    let alpha = slice(rgba, [0, 3, 0, 0], [B, 4, H, W]);
    if (smooth > 1) {
      alpha = avgPool2d(alpha, {
        kernel: smooth,
        stride: 1,
        padding: (smooth - 1) / 2,
        countIncludePad: true,
      });
    }
    const pct = rowPercentile(view(alpha, [B, H * W]), opts.alphaPercentile ?? 99.5);
    bcosFinishAlpha(rgba, alpha, pct);
    return rgba;
  });
}

/**
 * The B-cos colour explanation of the target logit, RGBA `[B, 4, H, W]` (see {@link renderBcosRgba}).
 *
 * @example
 * ```ts ignore
 * const rgba = bcosRgba(model, bcosEncode(x), [3]);
 * const png = await rgbaBytes(rgba); // one HWC RGBA byte array per image
 * ```
 */
export function bcosRgba(model: Module, x: Tensor, target: Target, opts: BcosRgbaOptions = {}): Tensor {
  return tidy(() => renderBcosRgba(bcosLinearMap(model, x, target), x, opts));
}

/**
 * Reads RGBA `[B, 4, H, W]` values in [0, 1] back as one interleaved `H x W x 4` byte array per image
 * (for PNG encoding).
 *
 * @example
 * ```ts ignore
 * const [bytes] = await rgbaBytes(bcosRgba(model, x6, [3]));
 * ```
 */
export async function rgbaBytes(rgba: Tensor): Promise<Uint8Array[]> {
  if (rgba.rank !== 4 || rgba.shape[1] !== 4) {
    throw new RangeError(`rgbaBytes: expects [B, 4, H, W], got [${rgba.shape}]`);
  }
  const [B, , H, W] = rgba.shape;
  const P = H * W;
  const v = await rgba.read();
  return Array.from({ length: B }, (_, b) => {
    const out = new Uint8Array(P * 4);
    for (let p = 0; p < P; p++) {
      for (let c = 0; c < 4; c++) {
        const x = v[(b * 4 + c) * P + p];
        out[p * 4 + c] = Math.round(Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0)) * 255);
      }
    }
    return out;
  });
}
