/**
 * Gzip detection and decompression with the web-standard `DecompressionStream`.
 *
 * @module
 */

/**
 * True when the bytes start with the gzip magic `1f 8b`.
 *
 * @example
 * ```ts
 * import { isGzip } from "./gzip.ts";
 * console.log(isGzip(new Uint8Array([0x1f, 0x8b, 8]))); // true
 * ```
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses gzip bytes; a truncated or corrupt stream raises an error naming `name` (the file).
 *
 * @example
 * ```ts
 * import { gunzip } from "./gzip.ts";
 * const packed = new Uint8Array(
 *   await new Response(new Blob([new Uint8Array([1, 2, 3])]).stream()
 *     .pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
 * );
 * console.log(await gunzip(packed, "x.gz")); // Uint8Array [1, 2, 3]
 * ```
 */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${name}: corrupt or truncated gzip data (${(e as Error).message})`, { cause: e });
  }
}

/**
 * Returns the bytes decompressed when they are gzip, unchanged otherwise.
 *
 * @example
 * ```ts
 * import { maybeGunzip } from "./gzip.ts";
 * console.log(await maybeGunzip(new Uint8Array([0, 0, 8, 1]), "raw.idx")); // unchanged
 * ```
 */
export function maybeGunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes, name) : Promise.resolve(bytes);
}
