/**
 * The legacy (pre-1.6, or `_use_new_zipfile_serialization=False`) `torch.save` format: five pickles in
 * a row (magic number, protocol version 1001, sys_info, the object with persistent ids
 * `('storage', StorageType, key, location, numel, view_metadata)`, the list of storage keys), followed by
 * each listed storage as an 8-byte little-endian element count and its raw little-endian bytes.
 *
 * Only the pickles are read up front (growing the read window as needed); storage bytes are read on
 * demand.
 *
 * @module
 */
import { dtypeByteSize, type WeightDType } from "./dtype.ts";
import { describePickleValue, loadPickle, PickleTruncatedError } from "./pickle.ts";
import type { RandomAccessReader } from "./random_access.ts";
import { checkpointPickleOptions, storageDType, StorageRef } from "./torch_pickle.ts";
import type { TorchCheckpointContents } from "./torch_tensor.ts";

/** The magic number the legacy format starts with. */
export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/** The legacy format's protocol version. */
export const LEGACY_PROTOCOL = 1001;

interface Head {
  root: unknown;
  keys: string[];
  storages: Map<string, { dtype: WeightDType; numel: number }>;
  dataStart: number;
}

function parseHead(bytes: Uint8Array, name: string, allowInertGlobals: readonly string[]): Head {
  const plain = checkpointPickleOptions(name, allowInertGlobals);
  const magic = loadPickle(bytes, plain, 0);
  if (magic.value !== LEGACY_MAGIC) {
    throw new Error(`${name}: not a PyTorch checkpoint (a pickle, but without torch.save's magic number)`);
  }
  const protocol = loadPickle(bytes, plain, magic.end);
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new Error(`${name}: unsupported legacy checkpoint protocol version ${String(protocol.value)}`);
  }
  const sysInfo = loadPickle(bytes, plain, protocol.end);
  const storages = new Map<string, { dtype: WeightDType; numel: number }>();
  const views = new Map<string, StorageRef>();
  const setView = (key: string, ref: StorageRef) => {
    views.set(key, ref);
    return ref;
  };
  const persistentLoad = (pid: unknown): StorageRef => {
    if (Array.isArray(pid) && pid[0] === "module") {
      throw new Error(
        `${name}: checkpoint contains a pickled nn.Module (with source code); only state dicts can be loaded`,
      );
    }
    if (!Array.isArray(pid) || pid[0] !== "storage" || pid.length < 5) {
      throw new Error(`${name}: unsupported persistent id (${describePickleValue(pid)})`);
    }
    const [, type, rawKey, , numel, view] = pid;
    const dtype = storageDType(type);
    if (!dtype) throw new Error(`${name}: unsupported storage type ${describePickleValue(type)}`);
    const key = String(rawKey);
    if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0) {
      throw new Error(`${name}: storage '${key}' has an invalid element count`);
    }
    if (!storages.has(key)) storages.set(key, { dtype, numel });
    if (view === null || view === undefined) {
      return views.get(key) ?? setView(key, new StorageRef(key, dtype, numel));
    }
    if (!Array.isArray(view) || view.length < 3) {
      throw new Error(`${name}: storage '${key}' has bad view metadata`);
    }
    const [viewKey, offset, viewSize] = view;
    if (
      typeof offset !== "number" || typeof viewSize !== "number" || offset < 0 || offset + viewSize > numel
    ) {
      throw new Error(`${name}: storage view '${String(viewKey)}' lies outside storage '${key}'`);
    }
    return views.get(String(viewKey)) ??
      setView(String(viewKey), new StorageRef(key, dtype, viewSize, offset));
  };
  const main = loadPickle(
    bytes,
    checkpointPickleOptions(name, allowInertGlobals, persistentLoad),
    sysInfo.end,
  );
  const keyList = loadPickle(bytes, plain, main.end);
  if (!Array.isArray(keyList.value)) throw new Error(`${name}: storage key list is not a list`);
  return { root: main.value, keys: keyList.value.map(String), storages, dataStart: keyList.end };
}

/**
 * Reads the pickles of a legacy checkpoint and locates its storages (`reader` stays owned by the caller
 * and must stay open while storages are read).
 *
 * @example
 * ```ts
 * import { openRandomAccess } from "./random_access.ts";
 * import { loadTorchLegacy } from "./torch_legacy.ts";
 * const reader = await openRandomAccess("old_model.pth");
 * try {
 *   const { root } = await loadTorchLegacy(reader);
 *   console.log(root instanceof Map ? [...root.keys()] : root);
 * } finally {
 *   reader.close();
 * }
 * ```
 */
export async function loadTorchLegacy(
  reader: RandomAccessReader,
  allowInertGlobals: readonly string[] = [],
): Promise<TorchCheckpointContents> {
  const name = reader.name;
  let window = Math.min(reader.size, 1 << 20);
  let head: Head;
  for (;;) {
    const bytes = new Uint8Array(window);
    await reader.readInto(0, bytes);
    try {
      head = parseHead(bytes, name, allowInertGlobals);
      break;
    } catch (err) {
      if (!(err instanceof PickleTruncatedError)) throw err;
      if (window >= reader.size) {
        throw new Error(`${name}: file is truncated inside its pickles (${err.message})`);
      }
      window = Math.min(reader.size, window * 4);
    }
  }
  const starts = new Map<string, { start: number; bytes: number }>();
  let pos = head.dataStart;
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  for (const key of head.keys) {
    const info = head.storages.get(key);
    if (!info) throw new Error(`${name}: storage '${key}' is listed but never referenced`);
    if (pos + 8 > reader.size) throw new Error(`${name}: file is truncated before storage '${key}'`);
    await reader.readInto(pos, header);
    const numel = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
    const bytes = numel * dtypeByteSize(info.dtype);
    if (numel < info.numel) {
      throw new Error(`${name}: storage '${key}' holds ${numel} elements, expected ${info.numel}`);
    }
    if (pos + 8 + bytes > reader.size) {
      throw new Error(
        `${name}: file is truncated: storage '${key}' needs bytes ${pos + 8}..${
          pos + 8 + bytes
        } but the file has ` +
          `${reader.size} bytes`,
      );
    }
    starts.set(key, { start: pos + 8, bytes });
    pos += 8 + bytes;
  }
  return {
    root: head.root,
    readStorage: (storage, byteOffset, dest) => {
      const at = starts.get(storage.key);
      if (!at) {
        return Promise.reject(new Error(`${name}: storage '${storage.key}' is not in the storage list`));
      }
      if (byteOffset + dest.byteLength > at.bytes) {
        return Promise.reject(new Error(`${name}: read past the end of storage '${storage.key}'`));
      }
      return reader.readInto(at.start + byteOffset, dest);
    },
  };
}
