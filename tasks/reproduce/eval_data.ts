/**
 * The test images an explain stage scores, behind one interface: Fashion-MNIST held in memory, or the
 * test split a probe run on image files recorded (`eval_set.json`), decoded on demand from its files
 * with the dataset's evaluation transform (un-encoded [0, 1] pixels; the run's `encode` makes the
 * backbone's input), so a large split never sits in memory. Also the input encoding of a backbone as a
 * GPU function, and the LRP input bounds that go with it.
 *
 * @module
 */
import type { Box } from "../../core/data/boxes.ts";
import { DecodePool } from "../../core/data/decode_pool.ts";
import type { FashionMnist } from "../../core/data/fashion_mnist.ts";
import { IMAGENET_MEAN, IMAGENET_STD } from "../../core/data/transforms.ts";
import { bcosEncode } from "../../core/models/bcos_resnet.ts";
import { div, sub } from "../../core/ops/elementwise.ts";
import { concat } from "../../core/ops/layout.ts";
import { fromArray, type Tensor } from "../../core/tensor.ts";
import type { EvalSet } from "../../core/train/eval_set.ts";
import { folderTransform, type InputEncoding } from "../../core/train/folder_data.ts";
import { type DecodeSpec, loadSamples } from "../../core/train/folder_features.ts";
import type { HostTensor } from "../../core/host_tensor.ts";

/** Test images with labels, loaded by index. */
export interface EvalData {
  /** Number of images. */
  n: number;
  /** Number of classes. */
  numClasses: number;
  /** `[C, H, W]` of one (un-encoded) image. */
  shape: [number, number, number];
  /** Class of each image (the first label on multi-label data). */
  labels: ArrayLike<number>;
  /** Class indices present in each image (multi-label data), else null. */
  present: number[][] | null;
  /** Probabilities `[n * numClasses]` already known (from the probe run's logits), else null. */
  probs: Float32Array | null;
  /** The images at `indices` (`[k, C, H, W]` values in [0, 1]) with their boxes. */
  load(indices: readonly number[]): Promise<{ images: Float32Array; boxes: Box[][] }>;
  /** The Fashion-MNIST split behind it (scenes for EPG), or null. */
  fashion: FashionMnist | null;
  /** Frees decoder workers. */
  close(): void;
}

/**
 * Fashion-MNIST test images as {@link EvalData} (1 x 28 x 28, no boxes).
 *
 * @example
 * ```ts ignore
 * const data = fashionEvalData(await loadFashionMnist({ split: "test", limit: 1000 }));
 * ```
 */
export function fashionEvalData(fm: FashionMnist): EvalData {
  const per = fm.height * fm.width;
  return {
    n: fm.n,
    numClasses: fm.classes.length,
    shape: [1, fm.height, fm.width],
    labels: fm.labels,
    present: null,
    probs: null,
    load: (indices) => {
      const out = new Float32Array(indices.length * per);
      indices.forEach((i, j) => out.set(fm.images.subarray(i * per, (i + 1) * per), j * per));
      return Promise.resolve({ images: out, boxes: indices.map(() => []) });
    },
    fashion: fm,
    close: () => {},
  };
}

/** Softmax (CE probes) or sigmoid (BCE probes) of logits `[n, C]`, row by row. */
function probabilitiesOf(logits: HostTensor, loss: "ce" | "bce"): Float32Array {
  const [n, c] = logits.shape;
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const row = logits.data.subarray(i * c, (i + 1) * c);
    if (loss === "bce") {
      for (let k = 0; k < c; k++) out[i * c + k] = 1 / (1 + Math.exp(-row[k]));
      continue;
    }
    let max = -Infinity, sum = 0;
    for (let k = 0; k < c; k++) max = Math.max(max, row[k]);
    for (let k = 0; k < c; k++) sum += out[i * c + k] = Math.exp(row[k] - max);
    for (let k = 0; k < c; k++) out[i * c + k] /= sum;
  }
  return out;
}

/**
 * The test split of a probe run on image files as {@link EvalData}; probabilities come from the run's
 * logits. Call `close()` when done (it stops the decoder workers).
 *
 * @example
 * ```ts ignore
 * const { set, logits } = await readEvalSet("runs/probe");
 * const data = folderEvalData(set, logits, "bce");
 * ```
 */
export function folderEvalData(set: EvalSet, logits: HostTensor, loss: "ce" | "bce"): EvalData {
  let pool: DecodePool | null = null;
  const c = set.encoding.channels, s = set.imageSize;
  return {
    n: set.samples.length,
    numClasses: set.classes.length,
    shape: [c, s, s],
    labels: set.samples.map((x) => x.labels[0] ?? 0),
    present: set.multiLabel ? set.samples.map((x) => [...x.labels]) : null,
    probs: probabilitiesOf(logits, loss),
    load: async (indices) => {
      if (indices.length === 0) return { images: new Float32Array(0), boxes: [] };
      pool ??= new DecodePool({ size: 2 });
      const spec: DecodeSpec = {
        samples: set.samples,
        numClasses: set.classes.length,
        transform: folderTransform(set.dataset, s, set.encoding, false),
        channels: c,
        pool,
      };
      const r = await loadSamples(spec, indices);
      return { images: r.images.data, boxes: r.boxes };
    },
    fashion: null,
    close: () => pool?.close(),
  };
}

/**
 * The backbone's input encoding on the GPU, applied to [0, 1] images: `[x, 1 - x]` for B-cos (gray
 * replicated to RGB first), ImageNet mean/std normalisation, or the identity for gray inputs.
 *
 * @example
 * ```ts ignore
 * const encode = encoderFor({ name: "imagenet-norm", channels: 3 });
 * ```
 */
export function encoderFor(encoding: InputEncoding): (x: Tensor) => Tensor {
  switch (encoding.name) {
    case "bcos6":
      return (x) => bcosEncode(x.shape[1] === 1 ? concat([x, x, x], 1) : x);
    case "imagenet-norm":
      return (x) =>
        div(sub(x, fromArray([1, 3, 1, 1], IMAGENET_MEAN)), fromArray([1, 3, 1, 1], IMAGENET_STD));
    case "gray":
      return (x) => x;
  }
}
