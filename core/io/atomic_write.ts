/**
 * Atomic file replacement: data goes to a temporary file beside the target, which is then renamed over
 * it, so readers never see a half-written checkpoint or result file. (No fsync: this protects against
 * crashes of this process, not against power loss.)
 *
 * @module
 */

/** Sink handed to a streaming writer callback of {@link atomicWriteFile}. */
export interface AtomicWriter {
  /** Appends all of `chunk` to the temporary file. */
  write(chunk: Uint8Array): Promise<void>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}

function tempPathFor(path: string): string {
  const rand = new Uint8Array(6);
  crypto.getRandomValues(rand);
  const hex = Array.from(rand, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${path}.tmp-${hex}`;
}

/**
 * Writes `data` (or whatever the callback writes) to `path` atomically: the bytes go to
 * `path + ".tmp-<random>"` in the same directory, which is renamed to `path` only after everything was
 * written. On failure the temporary file is removed and the error (naming `path`) is rethrown.
 *
 * @param path destination file
 * @param data the full contents, or an async callback that streams them into an {@link AtomicWriter}
 *
 * @example
 * ```ts
 * import { atomicWriteFile } from "./atomic_write.ts";
 * const path = await Deno.makeTempFile();
 * await atomicWriteFile(path, new Uint8Array([1, 2, 3]));
 * await atomicWriteFile(path, async (w) => {
 *   await w.write(new Uint8Array([4]));
 *   await w.write(new Uint8Array([5, 6]));
 * });
 * ```
 */
export async function atomicWriteFile(
  path: string,
  data: Uint8Array | ((writer: AtomicWriter) => Promise<void>),
): Promise<void> {
  const tmp = tempPathFor(path);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true });
  } catch (err) {
    throw new Error(`cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let closed = false;
  try {
    let written = 0;
    const writer: AtomicWriter = {
      async write(chunk: Uint8Array): Promise<void> {
        let done = 0;
        while (done < chunk.byteLength) done += await file.write(chunk.subarray(done));
        written += chunk.byteLength;
      },
      get bytesWritten(): number {
        return written;
      },
    };
    if (typeof data === "function") await data(writer);
    else await writer.write(data);
    file.close();
    closed = true;
    await Deno.rename(tmp, path);
  } catch (err) {
    if (!closed) file.close();
    await Deno.remove(tmp).catch(() => {});
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.includes(path) ? message : `cannot write ${path}: ${message}`, { cause: err });
  }
}

/**
 * Writes UTF-8 `text` to `path` atomically (see {@link atomicWriteFile}).
 *
 * @example
 * ```ts
 * import { atomicWriteTextFile } from "./atomic_write.ts";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await atomicWriteTextFile(path, JSON.stringify({ ok: true }));
 * ```
 */
export function atomicWriteTextFile(path: string, text: string): Promise<void> {
  return atomicWriteFile(path, new TextEncoder().encode(text));
}
