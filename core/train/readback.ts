/**
 * Reads many GPU tensors back with one readback: the tensors are copied into one packed buffer on the
 * GPU, which is read once (each separate readback blocks ~11 ms in Deno).
 *
 * @module
 */
import { gpu } from "../gpu/device.ts";
import type { HostTensor } from "../host_tensor.ts";
import { empty, type Tensor } from "../tensor.ts";

/**
 * Host copies of `tensors`, in order, through one packed readback.
 *
 * @example
 * ```ts ignore
 * const [w, b] = await readTensors([layer.weight, layer.bias]);
 * ```
 */
export async function readTensors(tensors: readonly Tensor[]): Promise<Float32Array[]> {
  const total = tensors.reduce((s, t) => s + t.size, 0);
  if (total === 0) return tensors.map(() => new Float32Array(0));
  const rt = gpu().runtime;
  const packed = empty([total]);
  try {
    let offset = 0;
    for (const t of tensors) {
      if (t.size > 0) rt.copy(t.buffer, 0, packed.buffer, offset * 4, t.size * 4);
      offset += t.size;
    }
    const all = await packed.read();
    offset = 0;
    return tensors.map((t) => {
      const part = all.slice(offset, offset + t.size);
      offset += t.size;
      return part;
    });
  } finally {
    packed.dispose();
  }
}

/**
 * Host copies of named tensors (a state dict) through one packed readback.
 *
 * @example
 * ```ts ignore
 * const host = await readStateDict(model.stateDict());
 * ```
 */
export async function readStateDict(tensors: Map<string, Tensor>): Promise<Map<string, HostTensor>> {
  const entries = [...tensors];
  const data = await readTensors(entries.map(([, t]) => t));
  return new Map(entries.map(([k, t], i) => [k, { shape: [...t.shape], data: data[i] }]));
}
