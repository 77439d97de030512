/**
 * The zip checkpoint container written by `torch.save` since PyTorch 1.6: `<root>/data.pkl` (the pickled
 * object, storages referenced by persistent id `('storage', StorageType, key, location, numel)`),
 * `<root>/data/<key>` (raw little-endian storage bytes), `<root>/version` and, in newer files,
 * `<root>/byteorder`. `<root>` is `archive` or the saved file's stem.
 *
 * @module
 */
import { dtypeByteSize } from "./dtype.ts";
import { describePickleValue, loadPickle } from "./pickle.ts";
import type { RandomAccessReader } from "./random_access.ts";
import { checkpointPickleOptions, storageDType, StorageRef } from "./torch_pickle.ts";
import type { TorchCheckpointContents } from "./torch_tensor.ts";
import { ZipArchive } from "./zip.ts";

function findRoot(zip: ZipArchive, name: string): string {
  const pickles = [...zip.entries.keys()]
    .filter((n) => n === "data.pkl" || (n.endsWith("/data.pkl") && n.indexOf("/") === n.length - 9))
    .sort((a, b) => a.length - b.length);
  if (pickles.length === 0) {
    throw new Error(
      `${name}: zip archive has no <root>/data.pkl entry, so it is not a torch.save checkpoint`,
    );
  }
  return pickles[0].slice(0, -"data.pkl".length);
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/**
 * Reads the pickle of a zip checkpoint; storages are read later through `readStorage`.
 * `reader` stays owned by the caller and must stay open while storages are read.
 *
 * @example
 * ```ts
 * import { openRandomAccess } from "./random_access.ts";
 * import { loadTorchZip } from "./torch_zip.ts";
 * const reader = await openRandomAccess("model.pth");
 * try {
 *   const { root } = await loadTorchZip(reader);
 *   console.log(root instanceof Map);
 * } finally {
 *   reader.close();
 * }
 * ```
 */
export async function loadTorchZip(
  reader: RandomAccessReader,
  allowInertGlobals: readonly string[] = [],
): Promise<TorchCheckpointContents> {
  const name = reader.name;
  const zip = await ZipArchive.open(reader);
  const root = findRoot(zip, name);
  let bigEndian = false;
  if (zip.has(`${root}byteorder`)) {
    const order = new TextDecoder().decode(await zip.read(`${root}byteorder`)).trim();
    if (order !== "little" && order !== "big") throw new Error(`${name}: unknown byteorder '${order}'`);
    bigEndian = order === "big";
  }
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) {
      throw new Error(`${name}: unsupported persistent id in data.pkl (${describePickleValue(pid)})`);
    }
    const [, type, rawKey, , numel] = pid;
    const dtype = storageDType(type);
    if (!dtype) throw new Error(`${name}: unsupported storage type ${describePickleValue(type)}`);
    const key = String(rawKey);
    if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0) {
      throw new Error(`${name}: storage '${key}' has an invalid element count`);
    }
    const entry = zip.entries.get(`${root}data/${key}`);
    if (!entry) throw new Error(`${name}: storage record '${root}data/${key}' is missing from the archive`);
    if (entry.uncompressedSize < numel * dtypeByteSize(dtype)) {
      throw new Error(
        `${name}: storage record '${root}data/${key}' has ${entry.uncompressedSize} bytes but ${numel} ${dtype} ` +
          `elements need ${numel * dtypeByteSize(dtype)}`,
      );
    }
    let ref = storages.get(key);
    if (!ref) {
      ref = new StorageRef(key, dtype, numel);
      storages.set(key, ref);
    }
    return ref;
  };
  const pickle = await zip.read(`${root}data.pkl`);
  const { value } = loadPickle(pickle, checkpointPickleOptions(name, allowInertGlobals, persistentLoad));
  return {
    root: value,
    readStorage: async (storage, byteOffset, dest) => {
      await zip.readRange(`${root}data/${storage.key}`, byteOffset, dest);
      if (bigEndian) swapBytes(dest, dtypeByteSize(storage.dtype));
    },
  };
}
