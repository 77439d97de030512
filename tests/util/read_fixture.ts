/**
 * A minimal safetensors reader for the PyTorch fixtures (F32 only), kept apart from the full reader in
 * `core/io` so op tests do not depend on it.
 *
 * Format: an 8-byte little-endian header length, a JSON header `{ key: { dtype, shape, data_offsets:
 * [start, end] } }` (plus an optional `__metadata__`), then the data (offsets relative to its start).
 *
 * @module
 */
import type { HostTensor } from "../../core/host_tensor.ts";

/**
 * Reads every F32 tensor of a safetensors file.
 *
 * @example
 * ```ts ignore
 * const t = await readFixture(new URL("../fixtures/torch/bcos_small.safetensors", import.meta.url));
 * console.log(t.get("w1")?.shape); // [16, 6, 3, 3]
 * ```
 */
export async function readFixture(path: string | URL): Promise<Map<string, HostTensor>> {
  const bytes = await Deno.readFile(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLen;
  const out = new Map<string, HostTensor>();
  for (const [key, info] of Object.entries(header)) {
    if (key === "__metadata__") continue;
    if (info.dtype !== "F32") throw new Error(`readFixture: ${key} has dtype ${info.dtype}, expected F32`);
    const [start, end] = info.data_offsets;
    const data = new Float32Array((end - start) / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(base + start + 4 * i, true);
    out.set(key, { shape: info.shape, data });
  }
  return out;
}
