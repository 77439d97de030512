/**
 * CRC-32 (IEEE 802.3, the checksum of zip entries).
 *
 * @module
 */

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32 of `bytes`; pass the previous result as `crc` to continue over several chunks.
 *
 * @example
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * console.log(crc32(new TextEncoder().encode("123456789")).toString(16)); // cbf43926
 * ```
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = crcTable();
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
