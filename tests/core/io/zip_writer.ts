/**
 * TEST-ONLY: writes zip archives the way PyTorch's `PyTorchStreamWriter` (miniz) does: stored entries
 * whose data is aligned to 64 bytes by an `FB` padding extra field, CRC-32s, a central directory and the
 * end record. Options add deflated entries and ZIP64 records to exercise those reader paths.
 *
 * @module
 */
import { crc32 } from "../../../core/io/crc32.ts";

/** One entry to write. */
export interface ZipInput {
  /** Path inside the archive. */
  name: string;
  /** Uncompressed bytes. */
  data: Uint8Array;
  /** Compress with raw deflate (method 8) instead of storing. */
  deflate?: boolean;
}

/** Archive-wide options. */
export interface ZipWriteOptions {
  /** Write ZIP64 extra fields and end records (with saturated 32-bit fields), as for files > 4 GB. */
  zip64?: boolean;
  /** Data alignment of stored entries (PyTorch uses 64). */
  align?: number;
}

async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data.slice()]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

class Bytes {
  parts: number[] = [];
  u16(v: number) {
    this.parts.push(v & 0xff, (v >>> 8) & 0xff);
  }
  u32(v: number) {
    this.parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  u64(v: number) {
    this.u32(v % 4294967296);
    this.u32(Math.floor(v / 4294967296));
  }
  bytes(b: Uint8Array) {
    for (const x of b) this.parts.push(x);
  }
}

/**
 * Builds a zip archive in memory.
 *
 * @example
 * ```ts
 * import { writeZip } from "./zip_writer.ts";
 * const zip = await writeZip([{ name: "archive/version", data: new TextEncoder().encode("3\n") }]);
 * ```
 */
export async function writeZip(entries: ZipInput[], options: ZipWriteOptions = {}): Promise<Uint8Array> {
  const align = options.align ?? 64;
  const zip64 = options.zip64 ?? false;
  const out = new Bytes();
  const central = new Bytes();
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const payload = e.deflate ? await deflateRaw(e.data) : e.data;
    const crc = crc32(e.data);
    const offset = out.parts.length;
    const zip64Local = zip64 ? 4 + 16 : 0;
    let pad = 0;
    if (!e.deflate) {
      const start = offset + 30 + name.length + zip64Local + 4;
      pad = (align - (start % align)) % align;
    }
    out.u32(0x04034b50);
    out.u16(zip64 ? 45 : 20);
    out.u16(0);
    out.u16(e.deflate ? 8 : 0);
    out.u16(0); // time
    out.u16(0x21); // date 1980-01-01
    out.u32(crc);
    out.u32(zip64 ? 0xffffffff : payload.length);
    out.u32(zip64 ? 0xffffffff : e.data.length);
    out.u16(name.length);
    out.u16(zip64Local + (e.deflate ? 0 : 4 + pad));
    out.bytes(name);
    if (zip64) {
      out.u16(0x0001);
      out.u16(16);
      out.u64(e.data.length);
      out.u64(payload.length);
    }
    if (!e.deflate) {
      out.u16(0x4246); // "FB": PyTorch's alignment padding
      out.u16(pad);
      out.bytes(new Uint8Array(pad).fill(0x5a));
    }
    out.bytes(payload);

    central.u32(0x02014b50);
    central.u16(zip64 ? 45 : 20);
    central.u16(zip64 ? 45 : 20);
    central.u16(0);
    central.u16(e.deflate ? 8 : 0);
    central.u16(0);
    central.u16(0x21);
    central.u32(crc);
    central.u32(zip64 ? 0xffffffff : payload.length);
    central.u32(zip64 ? 0xffffffff : e.data.length);
    central.u16(name.length);
    central.u16(zip64 ? 4 + 24 : 0);
    central.u16(0); // comment
    central.u16(0); // disk
    central.u16(0); // internal attributes
    central.u32(0); // external attributes
    central.u32(zip64 ? 0xffffffff : offset);
    central.bytes(name);
    if (zip64) {
      central.u16(0x0001);
      central.u16(24);
      central.u64(e.data.length);
      central.u64(payload.length);
      central.u64(offset);
    }
  }
  const cdOffset = out.parts.length;
  out.parts.push(...central.parts);
  const cdSize = central.parts.length;
  if (zip64) {
    const recordOffset = out.parts.length;
    out.u32(0x06064b50);
    out.u64(44);
    out.u16(45);
    out.u16(45);
    out.u32(0);
    out.u32(0);
    out.u64(entries.length);
    out.u64(entries.length);
    out.u64(cdSize);
    out.u64(cdOffset);
    out.u32(0x07064b50);
    out.u32(0);
    out.u64(recordOffset);
    out.u32(1);
  }
  out.u32(0x06054b50);
  out.u16(0);
  out.u16(0);
  out.u16(zip64 ? 0xffff : entries.length);
  out.u16(zip64 ? 0xffff : entries.length);
  out.u32(zip64 ? 0xffffffff : cdSize);
  out.u32(zip64 ? 0xffffffff : cdOffset);
  out.u16(0);
  return Uint8Array.from(out.parts);
}
