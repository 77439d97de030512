/**
 * What a figure builder returns, and the choices shared by the figure builders: which pre-training
 * and explainer a per-backbone figure shows when the paper shows one (DINO; B-cos explanations on
 * B-cos backbones, LRP or IntGrad otherwise), and file-name slugs.
 *
 * @module
 */
import type { Canvas } from "../../../core/io/plot/canvas.ts";
import { isBcosArch } from "../names.ts";
import type { KeyFilter, RunIndex } from "../run_index.ts";

/** A rendered figure. */
export interface Figure {
  /** Path relative to the report directory (`figures/<name>.png`). */
  file: string;
  /** The picture. */
  canvas: Canvas;
  /** One-line caption (alt text). */
  caption: string;
}

/**
 * A file-name-safe slug of key parts.
 *
 * @example
 * ```ts
 * import { figureFile } from "./figure.ts";
 * console.log(figureFile("fig5", ["fashion-mnist", "bcos_resnet_small", "B-cos"])); // "figures/fig5_fashion-mnist_bcos_resnet_small_b-cos.png"
 * ```
 */
export function figureFile(prefix: string, parts: readonly (string | null)[]): string {
  const s = parts.map((p) => String(p ?? "none").toLowerCase().replace(/[^a-z0-9_.-]+/g, "-")).join("_");
  return `figures/${prefix}_${s}.png`;
}

/**
 * The pre-training a single-pre-training figure shows: DINO when present (as in the paper's Figure 2),
 * else the first one.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { preferredPretraining } from "./figure.ts";
 * const idx = new RunIndex([{ dataset: "d", arch: "a", pretraining: "byol", probe: "linear", loss: "ce", explainer: null, seed: 0, metrics: {} }]);
 * console.log(preferredPretraining(idx, { arch: "a" })); // "byol"
 * ```
 */
export function preferredPretraining(idx: RunIndex, filter: KeyFilter): string | null {
  const all = idx.values("pretraining", filter);
  return all.includes("dino") ? "dino" : all[0] ?? null;
}

/**
 * The explainer a single-explainer figure shows for a backbone: `bcos` on B-cos backbones, otherwise
 * the first of `order` present (default LRP, then IntGrad), else the first one.
 *
 * @example
 * ```ts
 * import { RunIndex } from "../run_index.ts";
 * import { preferredExplainer } from "./figure.ts";
 * const base = { dataset: "d", arch: "resnet50", pretraining: "dino", probe: "linear", loss: "ce" as const, seed: 0, metrics: {} };
 * const idx = new RunIndex([{ ...base, explainer: "ixg" }, { ...base, explainer: "intgrad" }]);
 * console.log(preferredExplainer(idx, { arch: "resnet50" })); // "intgrad"
 * ```
 */
export function preferredExplainer(
  idx: RunIndex,
  filter: KeyFilter,
  order = ["lrp", "intgrad"],
): string | null {
  const all = idx.values("explainer", filter).filter((e): e is string => e !== null);
  const prefs = filter.arch && isBcosArch(filter.arch) ? ["bcos", ...order] : order;
  return prefs.find((p) => all.includes(p)) ?? all[0] ?? null;
}
