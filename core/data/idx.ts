/**
 * Reader for the IDX format used by MNIST and Fashion-MNIST: two zero bytes, a dtype byte, the number of
 * dimensions, then each dimension as a big-endian uint32, then the big-endian values. Gzipped files are
 * detected by their magic bytes and decompressed transparently.
 *
 * @module
 */
import { readFileNamed } from "./fs_util.ts";
import { maybeGunzip } from "./gzip.ts";

/** Element type codes of the IDX format. */
export const IDX_DTYPES = {
  0x08: "uint8",
  0x09: "int8",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
} as const;

/** Name of an IDX element type. */
export type IdxDtype = (typeof IDX_DTYPES)[keyof typeof IDX_DTYPES];

/** The typed array an IDX file decodes to. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX array. */
export interface IdxArray {
  /** Element type. */
  dtype: IdxDtype;
  /** Dimensions, outermost first. */
  dims: number[];
  /** Row-major values (converted to host byte order). */
  data: IdxData;
}

/**
 * Raised for a truncated, oversized or malformed IDX file; the message names the file.
 *
 * @example
 * ```ts
 * import { IdxFormatError, parseIdx } from "./idx.ts";
 * try {
 *   parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5]), "labels.idx");
 * } catch (e) {
 *   console.log(e instanceof IdxFormatError, (e as Error).message); // true "labels.idx: truncated IDX file: ..."
 * }
 * ```
 */
export class IdxFormatError extends Error {
  /** The file (or label) the bytes came from. */
  readonly file: string;
  /** Creates the error; the message is prefixed with the file name. */
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "IdxFormatError";
    this.file = file;
  }
}

const ITEM_BYTES: Record<IdxDtype, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};

/**
 * Parses uncompressed IDX bytes. `name` is used in error messages.
 *
 * @example
 * ```ts
 * import { parseIdx } from "./idx.ts";
 * const bytes = new Uint8Array([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]);
 * const arr = parseIdx(bytes, "labels.idx");
 * console.log(arr.dims, arr.data); // [3] Uint8Array [7, 8, 9]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4) {
    throw new IdxFormatError(name, `truncated IDX header: expected at least 4 bytes, got ${bytes.length}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new IdxFormatError(name, `not an IDX file (magic bytes ${hex}, expected 00 00 <dtype> <ndim>)`);
  }
  const dtype = (IDX_DTYPES as Record<number, IdxDtype | undefined>)[bytes[2]];
  if (dtype === undefined) {
    throw new IdxFormatError(name, `unknown IDX dtype byte 0x${bytes[2].toString(16).padStart(2, "0")}`);
  }
  const ndim = bytes[3];
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      name,
      `truncated IDX header: expected ${headerBytes} bytes for ${ndim} dimensions, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const item = ITEM_BYTES[dtype];
  const expected = headerBytes + count * item;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? "truncated IDX file" : "IDX file has trailing bytes";
    throw new IdxFormatError(
      name,
      `${what}: expected ${expected} bytes for ${dtype} [${dims.join(", ")}], got ${bytes.length}`,
    );
  }
  return { dtype, dims, data: readValues(view, headerBytes, count, dtype) };
}

function readValues(view: DataView, offset: number, count: number, dtype: IdxDtype): IdxData {
  const src = new Uint8Array(view.buffer, view.byteOffset + offset, count * ITEM_BYTES[dtype]);
  switch (dtype) {
    case "uint8":
      return src.slice();
    case "int8":
      return new Int8Array(src.slice().buffer);
    case "int16": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case "int32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case "float32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case "float64": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Parses IDX bytes that may be gzipped (detected by the `1f 8b` magic).
 *
 * @example
 * ```ts
 * import { decodeIdx } from "./idx.ts";
 * const arr = await decodeIdx(new Uint8Array([0, 0, 0x08, 1, 0, 0, 0, 1, 5]), "one.idx");
 * console.log(arr.data[0]); // 5
 * ```
 */
export async function decodeIdx(bytes: Uint8Array, name: string): Promise<IdxArray> {
  return parseIdx(await maybeGunzip(bytes, name), name);
}

/**
 * Reads an IDX file (raw or gzipped) from disk; errors name the file.
 *
 * @example
 * ```ts
 * import { readIdx } from "./idx.ts";
 * const labels = await readIdx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
 * console.log(labels.dims); // [10000]
 * ```
 */
export async function readIdx(path: string): Promise<IdxArray> {
  return await decodeIdx(await readFileNamed(path), path);
}
