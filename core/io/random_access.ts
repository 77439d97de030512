/**
 * Positioned reads from a file or an in-memory buffer, so that readers can fetch a header first and then
 * copy each tensor's byte range straight into its destination array.
 *
 * @module
 */

/** A byte source that supports reads at arbitrary offsets. */
export interface RandomAccessReader {
  /** Name used in error messages (usually the file path). */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Fills `dest` with the bytes starting at `offset`; throws an error naming the source when the range
   * runs past the end.
   */
  readInto(offset: number, dest: Uint8Array): Promise<void>;
  /** Releases the underlying file handle (a no-op for buffers). */
  close(): void;
}

function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`${name}: invalid read offset ${offset}`);
  }
  if (offset + length > size) {
    throw new RangeError(
      `${name}: file is truncated: needed bytes ${offset}..${offset + length} but the file has ${size} bytes`,
    );
  }
}

/**
 * Opens a file for positioned reads. Close it when done (`try … finally reader.close()`).
 *
 * @example
 * ```ts
 * import { openRandomAccess } from "./random_access.ts";
 * const r = await openRandomAccess("tests/fixtures/torch/vit_small.safetensors");
 * try {
 *   const head = new Uint8Array(8);
 *   await r.readInto(0, head);
 * } finally {
 *   r.close();
 * }
 * ```
 */
export async function openRandomAccess(path: string): Promise<RandomAccessReader> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    throw new Error(`cannot open ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let size: number;
  try {
    const info = await file.stat();
    if (!info.isFile) throw new Error("not a regular file");
    size = info.size;
  } catch (err) {
    file.close();
    throw new Error(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    name: path,
    size,
    async readInto(offset: number, dest: Uint8Array): Promise<void> {
      checkRange(path, size, offset, dest.byteLength);
      await file.seek(offset, Deno.SeekMode.Start);
      let done = 0;
      while (done < dest.byteLength) {
        const n = await file.read(dest.subarray(done));
        if (n === null) {
          throw new RangeError(`${path}: unexpected end of file at byte ${offset + done} (file changed?)`);
        }
        done += n;
      }
    },
    close(): void {
      file.close();
    },
  };
}

/**
 * Wraps an in-memory buffer in the reader interface.
 *
 * @example
 * ```ts
 * import { bytesRandomAccess } from "./random_access.ts";
 * const r = bytesRandomAccess(new Uint8Array([1, 2, 3]), "<bytes>");
 * const out = new Uint8Array(2);
 * await r.readInto(1, out); // out = [2, 3]
 * ```
 */
export function bytesRandomAccess(bytes: Uint8Array, name = "<bytes>"): RandomAccessReader {
  return {
    name,
    size: bytes.byteLength,
    readInto(offset: number, dest: Uint8Array): Promise<void> {
      try {
        checkRange(name, bytes.byteLength, offset, dest.byteLength);
      } catch (err) {
        return Promise.reject(err);
      }
      dest.set(bytes.subarray(offset, offset + dest.byteLength));
      return Promise.resolve();
    },
    close(): void {},
  };
}
