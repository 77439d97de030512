/**
 * One entry point for weight files: detects safetensors or a PyTorch checkpoint from the file's first
 * bytes (falling back to the extension) and reads float32 tensors.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import { openRandomAccess } from "./random_access.ts";
import { type PytorchReadOptions, readPytorchCheckpoint } from "./pytorch.ts";
import { readSafetensors } from "./safetensors.ts";
import { stripKeyPrefixes } from "./state_dict.ts";
import { hasZipSignature } from "./zip.ts";

/** Container formats {@link readWeights} understands. */
export type WeightsFormat = "safetensors" | "pytorch";

/** Options of {@link readWeights}. */
export type ReadWeightsOptions = PytorchReadOptions;

/**
 * Detects the format from the magic bytes: a zip archive or a pickle is a PyTorch checkpoint; an 8-byte
 * header length followed by `{` is safetensors. Undecidable files fall back to the extension
 * (`.safetensors`; `.pt`, `.pth`, `.bin`, `.ckpt`, `.tar`), so that e.g. a truncated file still gets the
 * specific reader's error.
 *
 * @example
 * ```ts
 * import { detectWeightsFormat } from "./weights.ts";
 * console.log(await detectWeightsFormat("tests/fixtures/torch/vit_small.safetensors")); // safetensors
 * ```
 */
export async function detectWeightsFormat(path: string): Promise<WeightsFormat> {
  const reader = await openRandomAccess(path);
  let head: Uint8Array;
  try {
    head = new Uint8Array(Math.min(9, reader.size));
    await reader.readInto(0, head);
  } finally {
    reader.close();
  }
  if (hasZipSignature(head) || head[0] === 0x80) return "pytorch";
  if (head.length === 9 && head[8] === 0x7b && head[6] === 0 && head[7] === 0) return "safetensors";
  const ext = path.toLowerCase().split(".").pop();
  if (ext === "safetensors") return "safetensors";
  if (ext && ["pt", "pth", "bin", "ckpt", "tar"].includes(ext)) return "pytorch";
  throw new Error(
    `${path}: unrecognized weights format (expected safetensors or a PyTorch .pth/.pt checkpoint)`,
  );
}

/**
 * Reads weights from safetensors or a PyTorch checkpoint as float32 tensors. `stripPrefixes` works for
 * both; for safetensors, `entry` selects the keys under `entry + "."` and removes that prefix (so
 * `{entry: "weights"}` reads `weights.conv1.weight` as `conv1.weight`).
 *
 * @example
 * ```ts
 * import { readWeights } from "./weights.ts";
 * const w = await readWeights("tests/fixtures/torch/resnet_bottleneck_small.safetensors", { entry: "weights" });
 * console.log(w.get("conv1.weight")?.shape); // [8, 3, 7, 7]
 * ```
 */
export async function readWeights(
  path: string,
  options: ReadWeightsOptions = {},
): Promise<Map<string, HostTensor>> {
  if ((await detectWeightsFormat(path)) === "pytorch") return readPytorchCheckpoint(path, options);
  const prefix = options.entry === undefined ? undefined : `${options.entry}.`;
  const tensors = await readSafetensors(path, prefix ? { filter: (k) => k.startsWith(prefix) } : undefined);
  if (prefix && tensors.size === 0) throw new Error(`${path}: no tensors under entry '${options.entry}'`);
  return stripKeyPrefixes(tensors, [...(prefix ? [prefix] : []), ...(options.stripPrefixes ?? [])], path);
}
