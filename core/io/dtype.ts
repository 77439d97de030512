/**
 * Element types found in weight files and their conversion to float32.
 *
 * Names follow safetensors (`F32`, `BF16`, …); PyTorch storages map onto the same names. All multi-byte
 * values are read little-endian, the byte order both safetensors and torch.save use.
 *
 * @module
 */

/** An element type that can be converted to float32. */
export type WeightDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

const BYTE_SIZES: Record<WeightDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** True when this machine stores numbers little-endian (then float32 bytes can be copied as they are). */
export const HOST_IS_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Whether `name` is a supported element type.
 *
 * @example
 * ```ts
 * import { isWeightDType } from "./dtype.ts";
 * console.log(isWeightDType("BF16"), isWeightDType("C64")); // true false
 * ```
 */
export function isWeightDType(name: unknown): name is WeightDType {
  return typeof name === "string" && Object.hasOwn(BYTE_SIZES, name);
}

/**
 * Bytes per element of a dtype.
 *
 * @example
 * ```ts
 * import { dtypeByteSize } from "./dtype.ts";
 * console.log(dtypeByteSize("F16")); // 2
 * ```
 */
export function dtypeByteSize(dtype: WeightDType): number {
  return BYTE_SIZES[dtype];
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * Converts IEEE half-precision bits to a number (exact: every half is a float32).
 *
 * @example
 * ```ts
 * import { float16BitsToNumber } from "./dtype.ts";
 * console.log(float16BitsToNumber(0x3c00), float16BitsToNumber(0xc000)); // 1 -2
 * ```
 */
export function float16BitsToNumber(bits: number): number {
  u32Scratch[0] = float16BitsToFloat32Bits(bits);
  return f32Scratch[0];
}

/**
 * Converts bfloat16 bits (the upper half of a float32) to a number.
 *
 * @example
 * ```ts
 * import { bfloat16BitsToNumber } from "./dtype.ts";
 * console.log(bfloat16BitsToNumber(0x3f80)); // 1
 * ```
 */
export function bfloat16BitsToNumber(bits: number): number {
  u32Scratch[0] = (bits & 0xffff) << 16;
  return f32Scratch[0];
}

function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  let exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / nan
  if (exp === 0) {
    if (mant === 0) return sign >>> 0; // signed zero
    exp = 1; // subnormal: renormalize
    while ((mant & 0x400) === 0) {
      mant <<= 1;
      exp--;
    }
    mant &= 0x3ff;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/**
 * Decodes `count` little-endian elements of `dtype` from `bytes` into float32.
 *
 * `bytes` may have any alignment. Integers beyond 2^24 lose precision, as any float32 conversion does.
 *
 * @param bytes raw element bytes; at least `count * dtypeByteSize(dtype)` long
 * @param dtype element type
 * @param out destination (default: a new array of `count` elements)
 * @param count number of elements (default: all of `bytes`)
 *
 * @example
 * ```ts
 * import { decodeToFloat32 } from "./dtype.ts";
 * const half = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]); // 1.0, -2.0 as F16
 * console.log(decodeToFloat32(half, "F16")); // Float32Array [1, -2]
 * ```
 */
export function decodeToFloat32(
  bytes: Uint8Array,
  dtype: WeightDType,
  out?: Float32Array,
  count?: number,
): Float32Array {
  const size = BYTE_SIZES[dtype];
  const n = count ?? Math.floor(bytes.byteLength / size);
  if (n * size > bytes.byteLength) {
    throw new RangeError(
      `decodeToFloat32: ${n} ${dtype} elements need ${n * size} bytes, got ${bytes.byteLength}`,
    );
  }
  const dst = out ?? new Float32Array(n);
  if (dst.length < n) throw new RangeError(`decodeToFloat32: output holds ${dst.length} < ${n} elements`);
  if (dtype === "F32" && HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(dst.buffer, dst.byteOffset, n * 4).set(bytes.subarray(0, n * 4));
    return dst;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * size);
  switch (dtype) {
    case "F32":
      for (let i = 0; i < n; i++) dst[i] = view.getFloat32(i * 4, true);
      break;
    case "F64":
      for (let i = 0; i < n; i++) dst[i] = view.getFloat64(i * 8, true);
      break;
    case "F16": {
      const bits = new Uint32Array(dst.buffer, dst.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = float16BitsToFloat32Bits(view.getUint16(i * 2, true));
      break;
    }
    case "BF16": {
      const bits = new Uint32Array(dst.buffer, dst.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case "I64":
      // high word signed, low word unsigned: exact up to 2^53, then rounded like any float conversion
      for (let i = 0; i < n; i++) {
        dst[i] = view.getInt32(i * 8 + 4, true) * 4294967296 + view.getUint32(i * 8, true);
      }
      break;
    case "I32":
      for (let i = 0; i < n; i++) dst[i] = view.getInt32(i * 4, true);
      break;
    case "I16":
      for (let i = 0; i < n; i++) dst[i] = view.getInt16(i * 2, true);
      break;
    case "I8":
      for (let i = 0; i < n; i++) dst[i] = view.getInt8(i);
      break;
    case "U8":
      for (let i = 0; i < n; i++) dst[i] = bytes[i];
      break;
    case "BOOL":
      for (let i = 0; i < n; i++) dst[i] = bytes[i] === 0 ? 0 : 1;
      break;
  }
  return dst;
}
