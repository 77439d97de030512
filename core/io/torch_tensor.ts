/**
 * Materializes a {@link TensorRef} (a strided view into a checkpoint storage) as a dense row-major
 * float32 {@link HostTensor}, reading only the bytes the view covers.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import { decodeToFloat32, dtypeByteSize, HOST_IS_LITTLE_ENDIAN } from "./dtype.ts";
import type { StorageRef, TensorRef } from "./torch_pickle.ts";

/** Largest float32 array allocated for one tensor (16 GiB). */
const MAX_ELEMENTS = 2 ** 32;

/** Reads `dest.length` bytes of a storage record, starting `byteOffset` bytes into it. */
export type StorageReader = (storage: StorageRef, byteOffset: number, dest: Uint8Array) => Promise<void>;

function isContiguous(size: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}

/**
 * Reads the elements of `ref` into a new float32 tensor, honouring its storage offset and strides
 * (non-contiguous views such as transposes come out in row-major order). `what` names the tensor in
 * errors, e.g. `model.pth: tensor 'fc.weight'`.
 *
 * @example
 * ```ts
 * import { materializeTensor } from "./torch_tensor.ts";
 * import { StorageRef, TensorRef } from "./torch_pickle.ts";
 * const storage = new Float32Array([0, 1, 2, 3, 4, 5]);
 * const ref = new TensorRef(new StorageRef("0", "F32", 6), 0, [3, 2], [1, 3]);
 * const t = await materializeTensor(ref, (_s, off, dest) => {
 *   dest.set(new Uint8Array(storage.buffer, off, dest.length));
 *   return Promise.resolve();
 * }, "example");
 * console.log(t.data); // Float32Array [0, 3, 1, 4, 2, 5]
 * ```
 */
export async function materializeTensor(
  ref: TensorRef,
  read: StorageReader,
  what: string,
): Promise<HostTensor> {
  const { storage, offset, size, stride } = ref;
  if (size.length !== stride.length) {
    throw new Error(`${what}: size [${size}] and stride [${stride}] have different lengths`);
  }
  if (offset < 0 || size.some((d) => d < 0) || stride.some((s) => s < 0)) {
    throw new Error(
      `${what}: negative offset, size or stride (offset ${offset}, size [${size}], stride [${stride}])`,
    );
  }
  let numel = 1;
  let last = offset;
  for (let d = 0; d < size.length; d++) {
    numel *= size[d];
    last += (size[d] - 1) * stride[d];
  }
  const shape = [...size];
  if (numel === 0) return { shape, data: new Float32Array(0) };
  if (numel > MAX_ELEMENTS) {
    throw new Error(`${what}: ${numel} elements exceed the ${MAX_ELEMENTS} a host tensor can hold`);
  }
  if (last >= storage.numel) {
    throw new Error(
      `${what}: view (offset ${offset}, size [${size}], stride [${stride}]) reaches element ${last} ` +
        `but its storage '${storage.key}' has ${storage.numel} elements`,
    );
  }
  const es = dtypeByteSize(storage.dtype);
  const firstByte = (storage.elementOffset + offset) * es;
  const out = new Float32Array(numel);
  try {
    if (isContiguous(size, stride)) {
      if (storage.dtype === "F32" && HOST_IS_LITTLE_ENDIAN) {
        await read(storage, firstByte, new Uint8Array(out.buffer));
      } else {
        const raw = new Uint8Array(numel * es);
        await read(storage, firstByte, raw);
        decodeToFloat32(raw, storage.dtype, out);
      }
      return { shape, data: out };
    }
    const spanLength = last - offset + 1;
    const raw = new Uint8Array(spanLength * es);
    await read(storage, firstByte, raw);
    const span = decodeToFloat32(raw, storage.dtype);
    gather(span, size, stride, out);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message} (reading ${what})`, { cause: err });
  }
  return { shape, data: out };
}

/** Copies a strided view starting at `span[0]` into row-major `out`. */
function gather(span: Float32Array, size: number[], stride: number[], out: Float32Array): void {
  const nd = size.length;
  const index = new Array<number>(nd).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = span[src];
    for (let d = nd - 1; d >= 0; d--) {
      index[d]++;
      src += stride[d];
      if (index[d] < size[d]) break;
      src -= stride[d] * size[d];
      index[d] = 0;
    }
  }
}

/** An opened checkpoint container: the unpickled object tree and access to its storage records. */
export interface TorchCheckpointContents {
  /** The unpickled top-level object (tensors appear as `TensorRef`s). */
  root: unknown;
  /** Reads bytes of a storage record. */
  readStorage: StorageReader;
}
