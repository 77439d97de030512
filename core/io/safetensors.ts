/**
 * Reading and writing safetensors files as float32 host tensors.
 *
 * Reading is streamed: the header is read first, then each tensor's byte range is read directly into its
 * destination array, so a file is never held in memory twice. F32, F16, BF16, F64, I64, I32, I16, I8,
 * U8 and BOOL tensors are converted to float32. The header's `__metadata__` map is returned by the
 * `…WithMetadata` variants. Writing produces F32 tensors with sorted keys, atomically.
 *
 * @module
 */
import { type HostTensor, shapeSize } from "../host_tensor.ts";
import { atomicWriteFile } from "./atomic_write.ts";
import { decodeToFloat32, HOST_IS_LITTLE_ENDIAN } from "./dtype.ts";
import { openRandomAccess } from "./random_access.ts";
import {
  encodeSafetensorsHeader,
  parseSafetensorsHeader,
  readHeaderLength,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from "./safetensors_header.ts";

/** Options for reading safetensors. */
export interface SafetensorsReadOptions {
  /** Only tensors whose key passes are read (the others are skipped without reading their bytes). */
  filter?: (key: string) => boolean;
}

/** Tensors plus the header's `__metadata__` strings. */
export interface SafetensorsContents {
  /** Tensors in file order. */
  tensors: Map<string, HostTensor>;
  /** The `__metadata__` map ({} when absent). */
  metadata: Record<string, string>;
}

/** Tensors to write: a Map or a plain object from key to tensor. */
export type TensorCollection = Map<string, HostTensor> | Record<string, HostTensor>;

function selected(header: SafetensorsHeader, options?: SafetensorsReadOptions): SafetensorsEntry[] {
  const filter = options?.filter;
  return filter ? header.entries.filter((e) => filter(e.key)) : header.entries;
}

/**
 * Reads a safetensors file with its metadata.
 *
 * @example
 * ```ts
 * import { readSafetensorsWithMetadata } from "./safetensors.ts";
 * const { tensors, metadata } = await readSafetensorsWithMetadata(
 *   "tests/fixtures/torch/resnet_bottleneck_small.safetensors",
 * );
 * console.log(tensors.get("weights.conv1.weight")?.shape, metadata.about);
 * ```
 */
export async function readSafetensorsWithMetadata(
  path: string,
  options?: SafetensorsReadOptions,
): Promise<SafetensorsContents> {
  const reader = await openRandomAccess(path);
  try {
    const first8 = new Uint8Array(8);
    if (reader.size >= 8) await reader.readInto(0, first8);
    const headerLength = readHeaderLength(first8, reader.size, path);
    const headerBytes = new Uint8Array(headerLength);
    await reader.readInto(8, headerBytes);
    const header = parseSafetensorsHeader(headerBytes, reader.size, path);
    const tensors = new Map<string, HostTensor>();
    for (const e of selected(header, options)) {
      const data = new Float32Array(shapeSize(e.shape));
      try {
        if (e.dtype === "F32" && HOST_IS_LITTLE_ENDIAN) {
          await reader.readInto(e.start, new Uint8Array(data.buffer));
        } else {
          const raw = new Uint8Array(e.byteLength);
          await reader.readInto(e.start, raw);
          decodeToFloat32(raw, e.dtype, data);
        }
      } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : err} (reading tensor '${e.key}')`, {
          cause: err,
        });
      }
      tensors.set(e.key, { shape: e.shape, data });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    reader.close();
  }
}

/**
 * Reads all (or the filtered) tensors of a safetensors file as float32.
 *
 * @example
 * ```ts
 * import { readSafetensors } from "./safetensors.ts";
 * const tensors = await readSafetensors("tests/fixtures/torch/vit_small.safetensors");
 * console.log(tensors.size);
 * ```
 */
export async function readSafetensors(
  path: string,
  options?: SafetensorsReadOptions,
): Promise<Map<string, HostTensor>> {
  return (await readSafetensorsWithMetadata(path, options)).tensors;
}

/**
 * Parses an in-memory safetensors file with its metadata; `source` names it in error messages.
 *
 * @example
 * ```ts
 * import { encodeSafetensors, parseSafetensorsWithMetadata } from "./safetensors.ts";
 * const bytes = encodeSafetensors({ w: { shape: [1], data: new Float32Array([3]) } }, { note: "hi" });
 * console.log(parseSafetensorsWithMetadata(bytes).metadata.note); // hi
 * ```
 */
export function parseSafetensorsWithMetadata(
  bytes: Uint8Array,
  source = "<bytes>",
  options?: SafetensorsReadOptions,
): SafetensorsContents {
  const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.byteLength, source);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength, source);
  const tensors = new Map<string, HostTensor>();
  for (const e of selected(header, options)) {
    const data = decodeToFloat32(
      bytes.subarray(e.start, e.start + e.byteLength),
      e.dtype,
      undefined,
      shapeSize(e.shape),
    );
    tensors.set(e.key, { shape: e.shape, data });
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Parses an in-memory safetensors file.
 *
 * @example
 * ```ts
 * import { encodeSafetensors, parseSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, 2]) } });
 * console.log(parseSafetensors(bytes).get("w")?.data); // Float32Array [1, 2]
 * ```
 */
export function parseSafetensors(
  bytes: Uint8Array,
  source = "<bytes>",
  options?: SafetensorsReadOptions,
): Map<string, HostTensor> {
  return parseSafetensorsWithMetadata(bytes, source, options).tensors;
}

function sortedTensors(tensors: TensorCollection, target: string): [string, HostTensor][] {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, t] of entries) {
    if (key === "" || key === "__metadata__") throw new Error(`${target}: invalid tensor key '${key}'`);
    if (!t || !(t.data instanceof Float32Array) || !Array.isArray(t.shape)) {
      throw new Error(`${target}: tensor '${key}' must be a HostTensor {shape, data: Float32Array}`);
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${target}: tensor '${key}' has an invalid shape [${t.shape}]`);
    }
    if (shapeSize(t.shape) !== t.data.length) {
      throw new Error(`${target}: tensor '${key}' has shape [${t.shape}] but ${t.data.length} values`);
    }
  }
  return entries;
}

function checkMetadata(metadata: Record<string, string> | undefined, target: string): void {
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== "string") throw new Error(`${target}: metadata value '${k}' must be a string`);
  }
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

/**
 * Encodes tensors as an in-memory F32 safetensors file (keys sorted, header padded to 8 bytes).
 *
 * @example
 * ```ts
 * import { encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(new Map([["b", { shape: [], data: new Float32Array([1]) }]]));
 * console.log(bytes.length);
 * ```
 */
export function encodeSafetensors(tensors: TensorCollection, metadata?: Record<string, string>): Uint8Array {
  const entries = sortedTensors(tensors, "<bytes>");
  checkMetadata(metadata, "<bytes>");
  const header = encodeSafetensorsHeader(
    entries.map(([key, t]) => ({ key, shape: t.shape, byteLength: t.data.byteLength })),
    metadata,
  );
  const total = entries.reduce((n, [, t]) => n + t.data.byteLength, header.byteLength);
  const out = new Uint8Array(total);
  out.set(header);
  let offset = header.byteLength;
  for (const [, t] of entries) {
    out.set(littleEndianBytes(t.data), offset);
    offset += t.data.byteLength;
  }
  return out;
}

/**
 * Writes tensors to `path` as F32 safetensors (keys sorted, header padded to a multiple of 8 bytes), via a
 * temporary file that is renamed into place, so `path` is never left half-written.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await writeSafetensors(path, { w: { shape: [2], data: new Float32Array([1, 2]) } }, { format: "pt" });
 * console.log((await readSafetensors(path)).get("w")?.data); // Float32Array [1, 2]
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorCollection,
  metadata?: Record<string, string>,
): Promise<void> {
  const entries = sortedTensors(tensors, path);
  checkMetadata(metadata, path);
  const header = encodeSafetensorsHeader(
    entries.map(([key, t]) => ({ key, shape: t.shape, byteLength: t.data.byteLength })),
    metadata,
  );
  await atomicWriteFile(path, async (writer) => {
    await writer.write(header);
    for (const [, t] of entries) await writer.write(littleEndianBytes(t.data));
  });
}
