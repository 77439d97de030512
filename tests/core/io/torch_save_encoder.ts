/**
 * TEST-ONLY: produces files laid out like `torch.save` output, without PyTorch:
 *
 * - zip format (default since 1.6): `archive/data.pkl` (protocol-2 pickle; tensors as
 *   `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())` with
 *   storages as persistent ids `('storage', torch.FloatStorage, '0', 'cpu', numel)`), `archive/byteorder`,
 *   `archive/data/<key>`, `archive/version`, `archive/.data/serialization_id`, stored and 64-byte aligned;
 * - legacy format: pickles of the magic number, protocol 1001, sys_info, the object (6-tuple persistent
 *   ids), the sorted storage keys, then each storage as an int64 element count plus raw bytes.
 *
 * @module
 */
import {
  pickleDumps,
  PickleWriter,
  PyGlobal,
  PyOpaque,
  PyOrderedDict,
  PyPersistent,
  PyReduce,
  PyTuple,
  type PyValue,
} from "./pickle_writer.ts";
import { writeZip, type ZipInput } from "./zip_writer.ts";

/** Storage element types the encoder can write. */
export type StorageDType = "F32" | "F16" | "BF16" | "F64" | "I64";

const STORAGE_CLASS: Record<StorageDType, [string, number]> = {
  F32: ["FloatStorage", 4],
  F16: ["HalfStorage", 2],
  BF16: ["BFloat16Storage", 2],
  F64: ["DoubleStorage", 8],
  I64: ["LongStorage", 8],
};

/** A storage: raw little-endian bytes of one dtype. */
export class TStorage extends PyOpaque {
  constructor(readonly dtype: StorageDType, readonly bytes: Uint8Array) {
    super();
  }
  /** Element count. */
  get numel(): number {
    return this.bytes.length / STORAGE_CLASS[this.dtype][1];
  }
}

/** A tensor: a strided view of a storage (default: contiguous, offset 0). */
export class TTensor extends PyOpaque {
  readonly stride: number[];
  constructor(
    readonly storage: TStorage,
    readonly size: number[],
    stride?: number[],
    readonly offset = 0,
    readonly parameter = false,
  ) {
    super();
    this.stride = stride ?? contiguousStride(size);
  }
}

function contiguousStride(size: number[]): number[] {
  const stride = new Array<number>(size.length);
  let s = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    stride[d] = s;
    s *= size[d];
  }
  return stride;
}

/** Little-endian float32 bytes. */
export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Little-endian 16-bit words (for F16 / BF16 storages given as bit patterns). */
export function u16Bytes(bits: number[]): Uint8Array {
  const out = new Uint8Array(bits.length * 2);
  const view = new DataView(out.buffer);
  bits.forEach((b, i) => view.setUint16(i * 2, b, true));
  return out;
}

/** Little-endian int64 bytes. */
export function i64Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return out;
}

/** Little-endian float64 bytes. */
export function f64Bytes(values: number[]): Uint8Array {
  return new Uint8Array(Float64Array.from(values).buffer);
}

/** A contiguous float32 tensor with its own storage. */
export function f32Tensor(size: number[], values: number[]): TTensor {
  return new TTensor(new TStorage("F32", f32Bytes(values)), size);
}

/** A state dict as torch returns it: an OrderedDict with a `_metadata` attribute (BUILD state). */
export function stateDict(entries: [string, PyValue][]): PyOrderedDict {
  const version = new Map<PyValue, PyValue>([["version", 1]]);
  const meta = new PyOrderedDict(new Map<PyValue, PyValue>([["", version]]));
  return new PyOrderedDict(
    new Map<PyValue, PyValue>(entries),
    new Map<PyValue, PyValue>([["_metadata", meta]]),
  );
}

/** Pickles `obj` with torch.save's tensor reductions; returns the pickle and storages in key order. */
function pickleWithStorages(
  obj: PyValue,
  style: "zip" | "legacy",
): { pickle: Uint8Array; storages: Map<string, TStorage> } {
  const keys = new Map<TStorage, string>();
  const rebuild = new PyGlobal("torch._utils", "_rebuild_tensor_v2");
  const reducer = (v: PyOpaque): PyValue => {
    if (v instanceof TStorage) {
      let key = keys.get(v);
      if (key === undefined) {
        key = style === "zip"
          ? String(keys.size)
          : String(94_000_000_000 + 1_000 * (keys.size % 3) + keys.size);
        keys.set(v, key);
      }
      const type = new PyGlobal("torch", STORAGE_CLASS[v.dtype][0]);
      const pid = style === "zip"
        ? new PyTuple(["storage", type, key, "cpu", v.numel])
        : new PyTuple(["storage", type, key, "cpu", v.numel, null]);
      return new PyPersistent(pid);
    }
    if (v instanceof TTensor) {
      const t = new PyReduce(
        rebuild,
        new PyTuple([
          v.storage,
          v.offset,
          new PyTuple(v.size),
          new PyTuple(v.stride),
          false,
          new PyOrderedDict(),
        ]),
      );
      if (!v.parameter) return t;
      return new PyReduce(
        new PyGlobal("torch._utils", "_rebuild_parameter"),
        new PyTuple([t, true, new PyOrderedDict()]),
      );
    }
    throw new Error("torch_save_encoder: unknown opaque value");
  };
  const w = new PickleWriter(reducer);
  w.save(obj);
  const pickle = w.finish();
  const storages = new Map<string, TStorage>();
  for (const [s, k] of keys) storages.set(k, s);
  return { pickle, storages };
}

/** Options of {@link torchSaveZip}. */
export interface TorchSaveZipOptions {
  /** Root folder inside the archive (torch uses `archive` or the file's stem). */
  archiveName?: string;
  /** Deflate every entry (torch stores them; other zip tools may not). */
  deflate?: boolean;
  /** Write ZIP64 records. */
  zip64?: boolean;
  /** Omit `byteorder` (files from torch < 2.1 have none). */
  noByteorder?: boolean;
}

/**
 * The zip-format `torch.save(obj)` file.
 *
 * @example
 * ```ts
 * import { f32Tensor, stateDict, torchSaveZip } from "./torch_save_encoder.ts";
 * const bytes = await torchSaveZip(stateDict([["w", f32Tensor([2], [1, 2])]]));
 * ```
 */
export async function torchSaveZip(obj: PyValue, options: TorchSaveZipOptions = {}): Promise<Uint8Array> {
  const root = options.archiveName ?? "archive";
  const { pickle, storages } = pickleWithStorages(obj, "zip");
  const text = (s: string) => new TextEncoder().encode(s);
  const entries: ZipInput[] = [{ name: `${root}/data.pkl`, data: pickle }];
  if (!options.noByteorder) entries.push({ name: `${root}/byteorder`, data: text("little") });
  for (const [key, s] of storages) entries.push({ name: `${root}/data/${key}`, data: s.bytes });
  entries.push({ name: `${root}/version`, data: text("3\n") });
  entries.push({
    name: `${root}/.data/serialization_id`,
    data: text("1234567890123456789012345678901234567890"),
  });
  return await writeZip(entries.map((e) => ({ ...e, deflate: options.deflate })), { zip64: options.zip64 });
}

/** The first three pickles of a legacy file: magic number, protocol version 1001 and sys_info. */
export function legacyPreamble(): Uint8Array {
  const sysInfo = new Map<PyValue, PyValue>([
    ["protocol_version", 1001],
    ["little_endian", true],
    ["type_sizes", new Map<PyValue, PyValue>([["short", 2], ["int", 4], ["long", 4]])],
  ]);
  return concat([pickleDumps(MAGIC_NUMBER), pickleDumps(1001), pickleDumps(sysInfo)]);
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The legacy magic number. */
export const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;

/**
 * The legacy-format `torch.save(obj, _use_new_zipfile_serialization=False)` file.
 *
 * @example
 * ```ts
 * import { f32Tensor, stateDict, torchSaveLegacy } from "./torch_save_encoder.ts";
 * const bytes = torchSaveLegacy(stateDict([["w", f32Tensor([2], [1, 2])]]));
 * ```
 */
export function torchSaveLegacy(obj: PyValue): Uint8Array {
  const { pickle, storages } = pickleWithStorages(obj, "legacy");
  const keys = [...storages.keys()].sort();
  const parts: Uint8Array[] = [legacyPreamble(), pickle, pickleDumps(keys)];
  for (const key of keys) {
    const s = storages.get(key)!;
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(s.numel), true);
    parts.push(count, s.bytes);
  }
  return concat(parts);
}
