/**
 * The safetensors header: an 8-byte little-endian length N, then N bytes of JSON mapping each tensor name
 * to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data section that follows the
 * header), plus an optional `__metadata__` object of string values.
 *
 * @module
 */
import { shapeSize } from "../host_tensor.ts";
import { dtypeByteSize, isWeightDType, type WeightDType } from "./dtype.ts";

/** Largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's description from the header. */
export interface SafetensorsEntry {
  /** Tensor name. */
  key: string;
  /** Element type as stored. */
  dtype: WeightDType;
  /** Dimensions. */
  shape: number[];
  /** Absolute file offset of the first byte. */
  start: number;
  /** Number of bytes (`shapeSize(shape) * dtypeByteSize(dtype)`). */
  byteLength: number;
}

/** A validated header. */
export interface SafetensorsHeader {
  /** Tensors in file order (ascending offsets). */
  entries: SafetensorsEntry[];
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
  /** Absolute offset of the data section (8 + header length). */
  dataStart: number;
}

/**
 * Reads the header length from the first 8 bytes and checks it against the file size.
 *
 * @example
 * ```ts
 * import { readHeaderLength } from "./safetensors_header.ts";
 * const first8 = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]);
 * console.log(readHeaderLength(first8, 10, "x.safetensors")); // 2
 * ```
 */
export function readHeaderLength(first8: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || first8.byteLength < 8) {
    throw new Error(
      `${source}: not a safetensors file: ${fileSize} bytes is too short for the 8-byte header length`,
    );
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 4294967296;
  if (n > fileSize - 8) {
    throw new Error(
      `${source}: safetensors header length ${n} exceeds the file size (${fileSize} bytes): ` +
        `truncated or not a safetensors file`,
    );
  }
  if (n > MAX_HEADER_BYTES) {
    throw new Error(`${source}: safetensors header length ${n} exceeds ${MAX_HEADER_BYTES}`);
  }
  if (n < 2) throw new Error(`${source}: safetensors header length ${n} is too small for a JSON object`);
  return n;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(source: string, key: string, raw: unknown, dataStart: number): SafetensorsEntry {
  const where = `${source}: tensor '${key}'`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${where}: header entry must be an object`);
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isWeightDType(dtype)) {
    throw new Error(
      `${where}: unsupported dtype ${
        JSON.stringify(dtype)
      } (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
    throw new Error(
      `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt) || offsets[0] > offsets[1]
  ) {
    throw new Error(
      `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`,
    );
  }
  const byteLength = shapeSize(shape) * dtypeByteSize(dtype);
  if (offsets[1] - offsets[0] !== byteLength) {
    throw new Error(
      `${where}: data_offsets [${offsets}] span ${
        offsets[1] - offsets[0]
      } bytes but ${dtype} shape [${shape}] ` +
        `needs ${byteLength}`,
    );
  }
  return { key, dtype, shape: [...shape], start: dataStart + offsets[0], byteLength };
}

/**
 * Parses and validates the JSON header (`headerBytes` excludes the 8-byte length). Checks dtypes, shapes,
 * that each byte range matches its shape, that ranges do not overlap and that the file is long enough.
 *
 * @example
 * ```ts
 * import { parseSafetensorsHeader } from "./safetensors_header.ts";
 * const json = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
 * const header = parseSafetensorsHeader(json, 8 + json.length + 4, "a.safetensors");
 * console.log(header.entries[0].key); // a
 * ```
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  fileSize: number,
  source: string,
): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new Error(
      `${source}: safetensors header is not valid JSON: ${err instanceof Error ? err.message : err}`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${source}: safetensors header must be a JSON object`);
  }
  const dataStart = 8 + headerBytes.byteLength;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [key, raw] of Object.entries(json)) {
    if (key === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        throw new Error(`${source}: __metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== "string") throw new Error(`${source}: __metadata__ value '${k}' must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(source, key, raw, dataStart));
  }
  entries.sort((a, b) => a.start - b.start || a.byteLength - b.byteLength);
  let prev: SafetensorsEntry | undefined;
  for (const e of entries) {
    if (e.byteLength === 0) continue;
    if (prev && e.start < prev.start + prev.byteLength) {
      throw new Error(`${source}: data_offsets of tensors '${prev.key}' and '${e.key}' overlap`);
    }
    prev = e;
  }
  for (const e of entries) {
    if (e.start + e.byteLength > fileSize) {
      throw new Error(
        `${source}: file is truncated: tensor '${e.key}' needs bytes ${e.start}..${e.start + e.byteLength} ` +
          `but the file has ${fileSize} bytes`,
      );
    }
  }
  return { entries, metadata, dataStart };
}

/** A tensor to be described in a header that is being written. */
export interface HeaderTensor {
  /** Tensor name. */
  key: string;
  /** Dimensions. */
  shape: readonly number[];
  /** Data size in bytes. */
  byteLength: number;
}

/**
 * Encodes a float32 header for `tensors` (laid out back to back in the given order), padded with spaces
 * so that the data section starts at a multiple of 8. Returns the 8-byte length plus the JSON.
 *
 * @example
 * ```ts
 * import { encodeSafetensorsHeader } from "./safetensors_header.ts";
 * const bytes = encodeSafetensorsHeader([{ key: "w", shape: [2], byteLength: 8 }], { format: "pt" });
 * console.log(bytes.length % 8); // 0
 * ```
 */
export function encodeSafetensorsHeader(
  tensors: readonly HeaderTensor[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = Object.create(null); // so a key named __proto__ stays data
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.key] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + t.byteLength] };
    offset += t.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.byteLength) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}
