/**
 * What the ViT explainers need from a transformer: its blocks' attention probabilities of the last
 * forward (`blocks[i].attention.lastProbs`, `[B, heads, T, T]`, kept on the tape), its final tokens,
 * and where the patch tokens sit (after a class token, as torchvision's ViT, or all tokens, as the
 * mean-pooled B-cos ViTc).
 *
 * @module
 */
import type { Module } from "../../core/nn/module.ts";
import { mean } from "../../core/ops/reduce.ts";
import { reshape, slice } from "../../core/ops/layout.ts";
import { resizeBilinear } from "../../core/ops/resize.ts";
import type { Tensor } from "../../core/tensor.ts";

/** A transformer block as the explainers see it. */
export interface AttentionBlock {
  /** The block's attention, holding the probabilities of the last forward. */
  readonly attention: { readonly lastProbs: Tensor | null };
}

/** A transformer (a ViT or B-cos ViTc, or a ProbedModel around one). */
export interface AttentionModel {
  /** The encoder blocks in order. */
  readonly blocks: readonly AttentionBlock[];
  /** Final tokens `[B, T, D]`. */
  tokens(x: Tensor): Tensor;
}

/**
 * The transformer inside `model`: the model itself, or its `backbone` (a ProbedModel).
 *
 * @example
 * ```ts ignore
 * const vit = attentionModel(model);
 * ```
 */
export function attentionModel(model: Module): AttentionModel {
  for (const m of [model, (model as unknown as { backbone?: Module }).backbone]) {
    const c = m as unknown as Partial<AttentionModel> | undefined;
    if (
      c && Array.isArray(c.blocks) && c.blocks.every((b) => b?.attention) && typeof c.tokens === "function"
    ) {
      return c as AttentionModel;
    }
  }
  throw new RangeError(`${model.constructor.name} has no attention blocks (blocks[i].attention.lastProbs)`);
}

/** Which token row / columns hold what. */
export type TokenLayout = "cls" | "patches";

/**
 * `cls` when `T - 1` is a square grid of patches (a class token first), `patches` when `T` is.
 *
 * @example
 * ```ts
 * import { tokenLayout } from "./attention.ts";
 * console.log(tokenLayout(17), tokenLayout(16)); // cls patches
 * ```
 */
export function tokenLayout(T: number): TokenLayout {
  const sq = (n: number) => Number.isInteger(Math.sqrt(n));
  if (sq(T - 1) && T > 1 && !sq(T)) return "cls";
  if (sq(T)) return "patches";
  throw new RangeError(`cannot place ${T} tokens on a square patch grid`);
}

/** The attention probabilities of the last forward, one `[B, heads, T, T]` per block. */
export function lastAttention(vit: AttentionModel): Tensor[] {
  return vit.blocks.map((b, i) => {
    const p = b.attention.lastProbs;
    if (!p || p.disposed) throw new Error(`block ${i} holds no attention probabilities of this forward`);
    return p;
  });
}

/**
 * The relevance of the patches from an aggregated token matrix `R [B, T, T]`: the class token's row
 * (`cls`) or the mean of all rows (`patches`, mean-pooled models), over the patch columns, as
 * `[B, 1, g, g]`.
 *
 * @example
 * ```ts ignore
 * const grid = patchRelevance(R, "cls");
 * ```
 */
export function patchRelevance(R: Tensor, layout: TokenLayout): Tensor {
  const [B, T] = R.shape;
  const rowVec = layout === "cls"
    ? slice(R, [0, 0, 1], [B, 1, T])
    : slice(mean(R, 1, true), [0, 0, 0], [B, 1, T]);
  const P = layout === "cls" ? T - 1 : T;
  const g = Math.round(Math.sqrt(P));
  return reshape(rowVec, [B, 1, g, g]);
}

/**
 * `[B, 1, g, g]` -> `[B, H, W]` (bilinear) or `[B, g, g]`.
 *
 * @example
 * ```ts ignore
 * const map = toImage(grid, [224, 224], true);
 * ```
 */
export function toImage(grid: Tensor, size: readonly [number, number], upsample: boolean): Tensor {
  const [B, , g] = grid.shape;
  return upsample ? reshape(resizeBilinear(grid, size), [B, size[0], size[1]]) : reshape(grid, [B, g, g]);
}
