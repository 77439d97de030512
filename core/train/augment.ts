/**
 * Augmentation pipelines of the training methods, on host `[C, H, W]` images in [0, 1]: random resized
 * crops and flips from `core/data/transforms`, a brightness / contrast jitter, and the B-cos input
 * encoding `[x, 1 - x]` (gray images are replicated to RGB first, giving 6 channels) for B-cos
 * backbones, applied last.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import {
  bcos6,
  compose,
  randomHorizontalFlip,
  randomResizedCrop,
  type Transform,
} from "../data/transforms.ts";

/** Options of {@link colorJitter}. */
export interface JitterOptions {
  /** Brightness factor drawn from [1 - b, 1 + b] (default 0.4). */
  brightness?: number;
  /** Contrast factor drawn from [1 - c, 1 + c] (default 0.4). */
  contrast?: number;
  /** Probability of applying the jitter (default 0.8). */
  p?: number;
}

/**
 * Brightness then contrast jitter, clamped to [0, 1]: `x * b`, then `(x - mean) * c + mean` with the
 * image mean (per image, over all channels).
 *
 * @example
 * ```ts
 * import { colorJitter } from "./augment.ts";
 * import { Rng } from "../data/rng.ts";
 * const out = colorJitter({ p: 1 })({ image: { shape: [1, 1, 2], data: Float32Array.of(0.2, 0.4) }, boxes: [] }, new Rng(0));
 * console.log(out.image.shape); // [1, 1, 2]
 * ```
 */
export function colorJitter(opts: JitterOptions = {}): Transform {
  const { brightness = 0.4, contrast = 0.4, p = 0.8 } = opts;
  return (x, rng) => {
    if (!rng.bool(p)) return x;
    const b = rng.uniform(1 - brightness, 1 + brightness);
    const c = rng.uniform(1 - contrast, 1 + contrast);
    const src = x.image.data;
    const out = new Float32Array(src.length);
    let mean = 0;
    for (let i = 0; i < src.length; i++) mean += out[i] = src[i] * b;
    mean /= Math.max(1, src.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, (out[i] - mean) * c + mean));
    const image: HostTensor = { shape: [...x.image.shape], data: out };
    return { image, boxes: x.boxes };
  };
}

/** The augmentation recipes. */
export type AugmentKind = "none" | "light" | "ssl";

/** Options of {@link viewTransform}. */
export interface ViewOptions {
  /** Output side in pixels. */
  size: number;
  /** Recipe: `none` (identity), `light` (mild crop + flip), `ssl` (strong crop + flip + jitter). */
  kind: AugmentKind;
  /** Crop area range for `ssl` (default [0.25, 1]). */
  scale?: [number, number];
  /** Append the B-cos `[x, 1 - x]` encoding (6 channels). */
  bcos: boolean;
}

/**
 * One view's transform: the recipe, then the B-cos encoding when asked.
 *
 * @example
 * ```ts ignore
 * const global = viewTransform({ size: 28, kind: "ssl", bcos: false });
 * const local = viewTransform({ size: 12, kind: "ssl", scale: [0.1, 0.35], bcos: false });
 * ```
 */
export function viewTransform(opts: ViewOptions): Transform | undefined {
  const steps: Transform[] = [];
  if (opts.kind === "light") {
    steps.push(randomResizedCrop(opts.size, { scale: opts.scale ?? [0.64, 1] }), randomHorizontalFlip());
  } else if (opts.kind === "ssl") {
    steps.push(
      randomResizedCrop(opts.size, { scale: opts.scale ?? [0.25, 1] }),
      randomHorizontalFlip(),
      colorJitter(),
    );
  }
  if (opts.bcos) steps.push(bcos6());
  return steps.length ? compose(...steps) : undefined;
}
