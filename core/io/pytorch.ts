/**
 * Reading PyTorch `.pth` / `.pt` / `.bin` checkpoints without Python: both the zip container (torch.save's
 * default since 1.6) and the legacy format. The pickle inside is interpreted by a data-only VM with a
 * fixed allowlist of globals (see `torch_pickle.ts`), so loading a checkpoint never runs code from it;
 * a checkpoint referencing anything else (e.g. `os.system`) is refused with an error naming the global.
 *
 * Only the tensors of the selected state dict are read from disk, each straight into its float32 array.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import { openRandomAccess, type RandomAccessReader } from "./random_access.ts";
import { flattenLeaves, selectStateDict, STATE_DICT_ENTRIES, stripKeyPrefixes } from "./state_dict.ts";
import { loadTorchLegacy } from "./torch_legacy.ts";
import { TensorRef } from "./torch_pickle.ts";
import { materializeTensor, type TorchCheckpointContents } from "./torch_tensor.ts";
import { hasZipSignature } from "./zip.ts";
import { loadTorchZip } from "./torch_zip.ts";

export { STATE_DICT_ENTRIES };

/** Options of {@link readPytorchCheckpoint}. */
export interface PytorchReadOptions {
  /**
   * Prefixes removed from keys, each at most once, in this order (e.g. `["module.", "backbone."]`).
   */
  stripPrefixes?: readonly string[];
  /**
   * Where the state dict is: a top-level key (or `/`-separated path) of the checkpoint. Default: the first
   * of `state_dict`, `model_state_dict`, `model`, `module`, `teacher`, `student`, `net`, `network` that
   * holds tensors, else the top level.
   */
  entry?: string;
  /**
   * Extra classes (`module.name`) that may appear in the checkpoint's non-tensor entries and are then kept
   * as inert data (never called). `argparse.Namespace` and numpy scalars are always accepted.
   */
  allowInertGlobals?: readonly string[];
}

const isTensorRef = (v: unknown): v is TensorRef => v instanceof TensorRef;

/**
 * Opens the checkpoint container (zip or legacy) behind `reader` and unpickles its object tree, in which
 * tensors are unread {@link TensorRef}s.
 *
 * @example
 * ```ts
 * import { openRandomAccess } from "./random_access.ts";
 * import { openPytorchCheckpoint } from "./pytorch.ts";
 * const reader = await openRandomAccess("model.pth");
 * try {
 *   const { root } = await openPytorchCheckpoint(reader);
 *   console.log(root instanceof Map ? [...root.keys()] : root);
 * } finally {
 *   reader.close();
 * }
 * ```
 */
export async function openPytorchCheckpoint(
  reader: RandomAccessReader,
  allowInertGlobals: readonly string[] = [],
): Promise<TorchCheckpointContents> {
  const first = new Uint8Array(Math.min(4, reader.size));
  await reader.readInto(0, first);
  if (hasZipSignature(first)) return await loadTorchZip(reader, allowInertGlobals);
  if (first[0] === 0x80) return await loadTorchLegacy(reader, allowInertGlobals);
  throw new Error(`${reader.name}: not a PyTorch checkpoint (neither a zip archive nor a pickle)`);
}

/**
 * Reads the state dict of a PyTorch checkpoint as float32 tensors with dotted keys. Non-tensor entries
 * are dropped; strided views are made contiguous; F16/BF16/F64/I64/… storages are converted.
 *
 * @example
 * ```ts
 * import { readPytorchCheckpoint } from "./pytorch.ts";
 * const weights = await readPytorchCheckpoint("dino_checkpoint.pth", {
 *   entry: "teacher",
 *   stripPrefixes: ["module.", "backbone."],
 * });
 * console.log(weights.get("patch_embed.proj.weight")?.shape);
 * ```
 */
export async function readPytorchCheckpoint(
  path: string,
  options: PytorchReadOptions = {},
): Promise<Map<string, HostTensor>> {
  const reader = await openRandomAccess(path);
  try {
    const { root, readStorage } = await openPytorchCheckpoint(reader, options.allowInertGlobals);
    const { value } = selectStateDict(root, options.entry, isTensorRef, path);
    const refs = stripKeyPrefixes(flattenLeaves(value, isTensorRef, path), options.stripPrefixes ?? [], path);
    const out = new Map<string, HostTensor>();
    for (const [key, ref] of refs) {
      out.set(key, await materializeTensor(ref, readStorage, `${path}: tensor '${key}'`));
    }
    return out;
  } finally {
    reader.close();
  }
}
