/**
 * Batched inference over an in-memory set without a readback per batch: outputs are written into a
 * GPU buffer and read back once per chunk (chunks stay far below storage-binding limits).
 *
 * @module
 */
import { noGrad } from "../autograd.ts";
import type { Transform } from "../data/transforms.ts";
import type { HostTensor } from "../host_tensor.ts";
import { empty, fromArray, type Tensor, tidy } from "../tensor.ts";
import { gatherItems, type ImageSet } from "./data.ts";
import { writeAt } from "./write_at.ts";

/** Options of {@link predict}. */
export interface PredictOptions {
  /** Items per forward pass (default 256). */
  batchSize?: number;
  /** Deterministic transform of each item (e.g. the B-cos encoding). */
  transform?: Transform;
  /** Largest number of floats held on the GPU before a readback (default 8M). */
  chunkFloats?: number;
}

/**
 * Runs `fn` (under `noGrad`) over all items of `set` in order and returns the stacked outputs
 * `[n, ...outputShape]` on the host.
 *
 * @example
 * ```ts ignore
 * backbone.module.eval();
 * const logits = await predict((x) => head.forward(backbone.featureMap(x)), testSet);
 * ```
 */
export async function predict(
  fn: (x: Tensor) => Tensor,
  set: ImageSet,
  opts: PredictOptions = {},
): Promise<HostTensor> {
  const bs = Math.max(1, opts.batchSize ?? 256);
  const chunkFloats = opts.chunkFloats ?? 8 * 1024 * 1024;
  let out: Float32Array | null = null;
  let itemShape: number[] = [];
  let per = 0;
  let chunk: Tensor | null = null;
  let chunkStart = 0, chunkItems = 0, chunkCap = 0;
  const flush = async () => {
    if (!chunk || chunkItems === 0) return;
    const data = await chunk.read();
    out!.set(data.subarray(0, chunkItems * per), chunkStart * per);
    chunkStart += chunkItems;
    chunkItems = 0;
  };
  try {
    for (let start = 0; start < set.n; start += bs) {
      const idx = Array.from({ length: Math.min(bs, set.n - start) }, (_, i) => start + i);
      const host = gatherItems(set, idx, opts.transform);
      tidy(() => {
        const y = noGrad(() => fn(fromArray(host.shape, host.data)));
        if (!out) {
          itemShape = y.shape.slice(1);
          per = y.size / idx.length;
          out = new Float32Array(set.n * per);
          chunkCap = Math.max(bs, Math.floor(chunkFloats / Math.max(per, 1)));
          chunk = empty([chunkCap * per]).keep();
        }
        writeAt(chunk!, y, chunkItems * per);
      });
      chunkItems += idx.length;
      if (chunkItems + bs > chunkCap) await flush();
    }
    await flush();
  } finally {
    (chunk as Tensor | null)?.dispose();
  }
  return { shape: [set.n, ...itemShape], data: out ?? new Float32Array(0) };
}
