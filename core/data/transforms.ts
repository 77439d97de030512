/**
 * Seeded, box-aware transform pipelines on `[C, H, W]` images. Each step receives the image with its
 * boxes and an {@link Rng}; geometric steps update the boxes. Randomness comes only from the `Rng`, so a
 * pipeline run twice with generators in the same state gives identical results.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import { type Box, cropBoxes, flipBoxesH, scaleBoxes } from "./boxes.ts";
import {
  bcosEncode,
  centerCropOffset,
  cropImage,
  flipImageH,
  normalizeImage,
  roundHalfEven,
  shorterSideSize,
  toRgb,
} from "./image_ops.ts";
import { resizeImage } from "./resize.ts";
import type { Rng } from "./rng.ts";

/** ImageNet channel means (RGB) used by torchvision models. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (RGB). */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/** An image with the boxes that live in its coordinates. */
export interface TransformItem {
  /** `[C, H, W]` image. */
  image: HostTensor;
  /** Boxes in the image's pixel coordinates. */
  boxes: Box[];
}

/** One pipeline step. */
export type Transform = (x: TransformItem, rng: Rng) => TransformItem;

/** A crop rectangle. */
export interface CropRect {
  /** First row. */
  top: number;
  /** First column. */
  left: number;
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
}

/** `[height, width]` from a square size or a pair. */
function hw(size: number | readonly [number, number]): [number, number] {
  return typeof size === "number" ? [size, size] : [size[0], size[1]];
}

/**
 * Applies steps left to right.
 *
 * @example
 * ```ts
 * import { compose, normalize, randomHorizontalFlip } from "./transforms.ts";
 * const t = compose(randomHorizontalFlip(), normalize([0.5], [0.5]));
 * console.log(typeof t); // "function"
 * ```
 */
export function compose(...steps: Transform[]): Transform {
  return (x, rng) => steps.reduce((acc, step) => step(acc, rng), x);
}

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries of a random area fraction in `scale` and
 * a log-uniform aspect ratio in `ratio`, else a centre crop with the ratio clamped.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { sampleResizedCrop } from "./transforms.ts";
 * const r = sampleResizedCrop(100, 80, new Rng(0), [0.08, 1], [3 / 4, 4 / 3]);
 * console.log(r.top + r.height <= 100 && r.left + r.width <= 80); // true
 * ```
 */
export function sampleResizedCrop(
  height: number,
  width: number,
  rng: Rng,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): CropRect {
  const area = height * width;
  const lr0 = Math.log(ratio[0]), lr1 = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(lr0, lr1));
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: rng.intRange(0, height - h), left: rng.intRange(0, width - w), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width, h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

function cropResize(
  x: TransformItem,
  r: CropRect,
  outH: number,
  outW: number,
  antialias: boolean,
): TransformItem {
  const cropped = cropImage(x.image, r.top, r.left, r.height, r.width);
  return {
    image: resizeImage(cropped, outH, outW, { antialias }),
    boxes: scaleBoxes(cropBoxes(x.boxes, r.top, r.left, r.height, r.width), outW / r.width, outH / r.height),
  };
}

/** Options of {@link randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Area fraction range (default [0.08, 1]). */
  scale?: [number, number];
  /** Aspect ratio (w/h) range (default [3/4, 4/3]). */
  ratio?: [number, number];
  /** Antialiased bilinear resize (default true). */
  antialias?: boolean;
}

/**
 * Random crop (see {@link sampleResizedCrop}) resized bilinearly to `size`.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { randomResizedCrop } from "./transforms.ts";
 * const step = randomResizedCrop(224, { scale: [0.25, 1] });
 * const out = step({ image: { shape: [3, 300, 400], data: new Float32Array(360000) }, boxes: [] }, new Rng(1));
 * console.log(out.image.shape); // [3, 224, 224]
 * ```
 */
export function randomResizedCrop(
  size: number | [number, number],
  opts: RandomResizedCropOptions = {},
): Transform {
  const [oh, ow] = hw(size);
  const scale = opts.scale ?? [0.08, 1];
  const ratio = opts.ratio ?? [3 / 4, 4 / 3];
  return (x, rng) => {
    const r = sampleResizedCrop(x.image.shape[1], x.image.shape[2], rng, scale, ratio);
    return cropResize(x, r, oh, ow, opts.antialias ?? true);
  };
}

/**
 * Mirrors left-right with probability `p` (one draw from the rng per call).
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { randomHorizontalFlip } from "./transforms.ts";
 * const out = randomHorizontalFlip(1)({ image: { shape: [1, 1, 2], data: new Float32Array([1, 2]) }, boxes: [] }, new Rng());
 * console.log(out.image.data); // Float32Array [2, 1]
 * ```
 */
export function randomHorizontalFlip(p = 0.5): Transform {
  return (x, rng) => {
    if (!rng.bool(p)) return x;
    return { image: flipImageH(x.image), boxes: flipBoxesH(x.boxes, x.image.shape[2]) };
  };
}

/**
 * Bilinear resize: a number resizes the shorter side (torchvision `Resize(int)`), a pair gives `[h, w]`.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { resize } from "./transforms.ts";
 * const out = resize(4)({ image: { shape: [1, 2, 4], data: new Float32Array(8) }, boxes: [] }, new Rng());
 * console.log(out.image.shape); // [1, 4, 8]
 * ```
 */
export function resize(size: number | [number, number], antialias = true): Transform {
  return (x) => {
    const [, h, w] = x.image.shape;
    const [oh, ow] = typeof size === "number" ? shorterSideSize(h, w, size) : size;
    return cropResize(x, { top: 0, left: 0, height: h, width: w }, oh, ow, antialias);
  };
}

/**
 * Central crop (zero padded when larger than the image), as torchvision `CenterCrop`.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { centerCrop } from "./transforms.ts";
 * const out = centerCrop(2)({ image: { shape: [1, 4, 4], data: new Float32Array(16) }, boxes: [] }, new Rng());
 * console.log(out.image.shape); // [1, 2, 2]
 * ```
 */
export function centerCrop(size: number | [number, number]): Transform {
  const [ch, cw] = hw(size);
  return (x) => {
    const [top, left] = centerCropOffset(x.image.shape[1], x.image.shape[2], ch, cw);
    return { image: cropImage(x.image, top, left, ch, cw), boxes: cropBoxes(x.boxes, top, left, ch, cw) };
  };
}

/**
 * The usual evaluation pipeline: shorter side to `resizeTo`, then central `crop` (e.g. 256 then 224).
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { resizeCenterCrop } from "./transforms.ts";
 * const out = resizeCenterCrop(8, 6)({ image: { shape: [3, 10, 20], data: new Float32Array(600) }, boxes: [] }, new Rng());
 * console.log(out.image.shape); // [3, 6, 6]
 * ```
 */
export function resizeCenterCrop(resizeTo: number, crop: number | [number, number]): Transform {
  return compose(resize(resizeTo), centerCrop(crop));
}

/**
 * Per-channel `(x - mean) / std`.
 *
 * @example
 * ```ts
 * import { IMAGENET_MEAN, IMAGENET_STD, normalize } from "./transforms.ts";
 * const step = normalize(IMAGENET_MEAN, IMAGENET_STD);
 * console.log(typeof step); // "function"
 * ```
 */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  return (x) => ({ image: normalizeImage(x.image, mean, std), boxes: x.boxes });
}

/**
 * Gray images replicated to 3 channels.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { rgb } from "./transforms.ts";
 * console.log(rgb()({ image: { shape: [1, 1, 1], data: new Float32Array(1) }, boxes: [] }, new Rng()).image.shape); // [3, 1, 1]
 * ```
 */
export function rgb(): Transform {
  return (x) => ({ image: toRgb(x.image), boxes: x.boxes });
}

/**
 * The B-cos 6-channel encoding `[r, g, b, 1-r, 1-g, 1-b]` (apply instead of `normalize`).
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { bcos6 } from "./transforms.ts";
 * console.log(bcos6()({ image: { shape: [3, 1, 1], data: new Float32Array(3) }, boxes: [] }, new Rng()).image.shape); // [6, 1, 1]
 * ```
 */
export function bcos6(): Transform {
  return (x) => ({ image: bcosEncode(x.image), boxes: x.boxes });
}
