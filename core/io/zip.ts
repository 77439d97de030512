/**
 * A read-only zip archive reader with random access to entries: the central directory is read once, then
 * entries are read (or, for stored entries, byte ranges of them) on demand. Supports stored (method 0)
 * and deflated (method 8, via `DecompressionStream("deflate-raw")`) entries and ZIP64 archives.
 *
 * @module
 */
import { crc32 } from "./crc32.ts";
import type { RandomAccessReader } from "./random_access.ts";

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;

/** One entry of the central directory. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** Compression method: 0 stored, 8 deflated. */
  method: number;
  /** General-purpose flags. */
  flags: number;
  /** CRC-32 of the uncompressed data. */
  crc32: number;
  /** Size of the stored (possibly compressed) data. */
  compressedSize: number;
  /** Size after decompression. */
  uncompressedSize: number;
  /** Offset of the local file header. */
  localHeaderOffset: number;
}

/**
 * Whether the first bytes of a file are a zip local file header (or an empty archive's end record).
 *
 * @example
 * ```ts
 * import { hasZipSignature } from "./zip.ts";
 * console.log(hasZipSignature(new Uint8Array([0x50, 0x4b, 3, 4]))); // true
 * ```
 */
export function hasZipSignature(first: Uint8Array): boolean {
  return first.length >= 4 && first[0] === 0x50 && first[1] === 0x4b &&
    ((first[2] === 3 && first[3] === 4) || (first[2] === 5 && first[3] === 6));
}

function u64(view: DataView, offset: number, what: string): number {
  const hi = view.getUint32(offset + 4, true);
  if (hi >= 0x200000) throw new Error(`${what} exceeds 2^53`);
  return hi * 4294967296 + view.getUint32(offset, true);
}

/** Inflates raw deflate data into a buffer of the expected size, stopping as soon as it would overflow. */
async function inflateRaw(data: Uint8Array, expected: number, what: string): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = new Uint8Array(expected);
  } catch {
    throw new Error(`${what}: cannot allocate ${expected} bytes for the inflated data`);
  }
  const reader = new Blob([data.slice()]).stream().pipeThrough(new DecompressionStream("deflate-raw"))
    .getReader();
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (n + value.byteLength > expected) {
        throw new Error(`${what} inflates to more than the ${expected} bytes its directory entry states`);
      }
      out.set(value, n);
      n += value.byteLength;
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    if (err instanceof Error && err.message.startsWith(what)) throw err;
    throw new Error(`${what}: corrupt deflate data (${err instanceof Error ? err.message : err})`);
  }
  if (n !== expected) throw new Error(`${what} inflated to ${n} bytes, expected ${expected}`);
  return out;
}

/**
 * Reads entries from a zip archive.
 *
 * @example
 * ```ts
 * import { openRandomAccess } from "./random_access.ts";
 * import { ZipArchive } from "./zip.ts";
 * const reader = await openRandomAccess("model.pth");
 * try {
 *   const zip = await ZipArchive.open(reader);
 *   console.log([...zip.entries.keys()]);
 * } finally {
 *   reader.close();
 * }
 * ```
 */
export class ZipArchive {
  /** Entries by name. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  readonly #reader: RandomAccessReader;
  readonly #dataOffsets = new Map<string, number>();
  readonly #inflated = new Map<string, Uint8Array>();

  private constructor(reader: RandomAccessReader, entries: Map<string, ZipEntry>) {
    this.#reader = reader;
    this.entries = entries;
  }

  /**
   * Reads the central directory of the archive behind `reader` (which stays owned by the caller).
   *
   * @example
   * ```ts
   * import { bytesRandomAccess } from "./random_access.ts";
   * import { ZipArchive } from "./zip.ts";
   * const zip = await ZipArchive.open(bytesRandomAccess(await Deno.readFile("a.zip"), "a.zip"));
   * console.log(zip.entries.size);
   * ```
   */
  static async open(reader: RandomAccessReader): Promise<ZipArchive> {
    const name = reader.name;
    const tailLength = Math.min(reader.size, EOCD_SIZE + 0xffff);
    if (tailLength < EOCD_SIZE) throw new Error(`${name}: not a zip archive (only ${reader.size} bytes)`);
    const tailStart = reader.size - tailLength;
    const tail = new Uint8Array(tailLength);
    await reader.readInto(tailStart, tail);
    const tv = new DataView(tail.buffer);
    let at = -1;
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
      if (tv.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + tv.getUint16(i + 20, true) <= tailLength) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      throw new Error(
        `${name}: zip end-of-central-directory record not found (file truncated or not a zip archive)`,
      );
    }
    let count = tv.getUint16(at + 10, true);
    let cdSize = tv.getUint32(at + 12, true);
    let cdOffset = tv.getUint32(at + 16, true);
    const eocdPos = tailStart + at;
    if (eocdPos >= 20) {
      const loc = new Uint8Array(20);
      await reader.readInto(eocdPos - 20, loc);
      const lv = new DataView(loc.buffer);
      if (lv.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
        const recPos = u64(lv, 8, `${name}: ZIP64 record offset`);
        const rec = new Uint8Array(56);
        await reader.readInto(recPos, rec);
        const rv = new DataView(rec.buffer);
        if (rv.getUint32(0, true) !== SIG_ZIP64_EOCD) {
          throw new Error(`${name}: corrupt ZIP64 end-of-directory record`);
        }
        count = u64(rv, 32, `${name}: entry count`);
        cdSize = u64(rv, 40, `${name}: central directory size`);
        cdOffset = u64(rv, 48, `${name}: central directory offset`);
      }
    }
    if (cdOffset + cdSize > reader.size) {
      throw new Error(
        `${name}: zip central directory (bytes ${cdOffset}..${
          cdOffset + cdSize
        }) lies beyond the end of the file (truncated?)`,
      );
    }
    const cd = new Uint8Array(cdSize);
    await reader.readInto(cdOffset, cd);
    return new ZipArchive(reader, parseCentralDirectory(cd, count, name));
  }

  /** Whether an entry exists. */
  has(entryName: string): boolean {
    return this.entries.has(entryName);
  }

  #entry(entryName: string): ZipEntry {
    const e = this.entries.get(entryName);
    if (!e) throw new Error(`${this.#reader.name}: zip entry '${entryName}' not found`);
    return e;
  }

  async #dataOffset(e: ZipEntry): Promise<number> {
    const cached = this.#dataOffsets.get(e.name);
    if (cached !== undefined) return cached;
    const head = new Uint8Array(30);
    await this.#reader.readInto(e.localHeaderOffset, head);
    const hv = new DataView(head.buffer);
    if (hv.getUint32(0, true) !== SIG_LOCAL) {
      throw new Error(`${this.#reader.name}: zip entry '${e.name}': bad local header signature`);
    }
    const start = e.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    if (start + e.compressedSize > this.#reader.size) {
      throw new Error(
        `${this.#reader.name}: file is truncated: zip entry '${e.name}' needs bytes ${start}..` +
          `${start + e.compressedSize} but the file has ${this.#reader.size} bytes`,
      );
    }
    this.#dataOffsets.set(e.name, start);
    return start;
  }

  async #raw(e: ZipEntry): Promise<Uint8Array> {
    const raw = new Uint8Array(e.compressedSize);
    await this.#reader.readInto(await this.#dataOffset(e), raw);
    return raw;
  }

  async #inflate(e: ZipEntry): Promise<Uint8Array> {
    const cached = this.#inflated.get(e.name);
    if (cached) return cached;
    const out = await inflateRaw(
      await this.#raw(e),
      e.uncompressedSize,
      `${this.#reader.name}: zip entry '${e.name}'`,
    );
    this.#inflated.set(e.name, out);
    return out;
  }

  /**
   * Reads a whole entry (decompressing it), checking its CRC-32 unless `verifyCrc` is false.
   *
   * @example
   * ```ts
   * import { bytesRandomAccess } from "./random_access.ts";
   * import { ZipArchive } from "./zip.ts";
   * const zip = await ZipArchive.open(bytesRandomAccess(await Deno.readFile("a.zip"), "a.zip"));
   * const text = new TextDecoder().decode(await zip.read("archive/version"));
   * console.log(text); // 3
   * ```
   */
  async read(entryName: string, verifyCrc = true): Promise<Uint8Array> {
    const e = this.#entry(entryName);
    const data = e.method === 8 ? await this.#inflate(e) : await this.#raw(e);
    if (verifyCrc && crc32(data) !== e.crc32) {
      throw new Error(`${this.#reader.name}: zip entry '${e.name}' fails its CRC-32 check (corrupt file)`);
    }
    return data;
  }

  /**
   * Copies `dest.length` bytes of an entry's uncompressed data starting at `offset` into `dest`. Stored
   * entries are read straight from the file; deflated ones are inflated once and cached.
   *
   * @example
   * ```ts
   * import { bytesRandomAccess } from "./random_access.ts";
   * import { ZipArchive } from "./zip.ts";
   * const zip = await ZipArchive.open(bytesRandomAccess(await Deno.readFile("a.zip"), "a.zip"));
   * const first4 = new Uint8Array(4);
   * await zip.readRange("archive/data/0", 0, first4);
   * ```
   */
  async readRange(entryName: string, offset: number, dest: Uint8Array): Promise<void> {
    const e = this.#entry(entryName);
    if (offset < 0 || offset + dest.byteLength > e.uncompressedSize) {
      throw new Error(
        `${this.#reader.name}: zip entry '${e.name}' has ${e.uncompressedSize} bytes; cannot read bytes ` +
          `${offset}..${offset + dest.byteLength}`,
      );
    }
    if (e.method === 8) {
      dest.set((await this.#inflate(e)).subarray(offset, offset + dest.byteLength));
    } else {
      await this.#reader.readInto((await this.#dataOffset(e)) + offset, dest);
    }
  }
}

function parseCentralDirectory(cd: Uint8Array, count: number, name: string): Map<string, ZipEntry> {
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const decoder = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.byteLength || view.getUint32(p, true) !== SIG_CENTRAL) {
      throw new Error(`${name}: corrupt zip central directory (entry ${i} of ${count})`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let uncompressedSize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cd.byteLength) {
      throw new Error(`${name}: corrupt zip central directory (entry ${i} of ${count})`);
    }
    const entryName = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: the 64-bit values follow in this order for each 32-bit field saturated
    let q = p + 46 + nameLen;
    const extraEnd = q + extraLen;
    while (q + 4 <= extraEnd) {
      const id = view.getUint16(q, true);
      const size = view.getUint16(q + 2, true);
      if (q + 4 + size > extraEnd) throw new Error(`${name}: zip entry '${entryName}': corrupt extra field`);
      if (id === 0x0001) {
        let r = q + 4;
        const what = `${name}: zip entry '${entryName}'`;
        const needed = [uncompressedSize, compressedSize, localHeaderOffset].filter((v) =>
          v === 0xffffffff
        ).length;
        if (needed * 8 > size) throw new Error(`${what}: ZIP64 extra field is too short`);
        if (uncompressedSize === 0xffffffff) {
          uncompressedSize = u64(view, r, what);
          r += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(view, r, what);
          r += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64(view, r, what);
      }
      q += 4 + size;
    }
    if (flags & 1) throw new Error(`${name}: zip entry '${entryName}' is encrypted, which is not supported`);
    if (method !== 0 && method !== 8) {
      throw new Error(
        `${name}: zip entry '${entryName}' uses compression method ${method} (only 0 and 8 are supported)`,
      );
    }
    if (method === 0 && compressedSize !== uncompressedSize) {
      throw new Error(`${name}: zip entry '${entryName}' is stored but its sizes differ (corrupt directory)`);
    }
    entries.set(entryName, {
      name: entryName,
      method,
      flags,
      crc32: view.getUint32(p + 16, true),
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
    });
    p = extraEnd + commentLen;
  }
  return entries;
}
