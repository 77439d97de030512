/**
 * The allowlist of globals a PyTorch checkpoint's pickle may reference, and the plain-data records the
 * pickle VM builds for storages and tensors. Every entry only assembles data: tensors become
 * {@link TensorRef}s (storage, offset, size, stride) that are materialized later, and harmless
 * non-tensor classes (`argparse.Namespace`, numpy scalars, …) become inert values.
 *
 * @module
 */
import type { WeightDType } from "./dtype.ts";
import {
  describePickleValue,
  type GlobalBehaviour,
  InertObject,
  PickleGlobal,
  type PickleOptions,
  SET_STATE,
  type StatefulObject,
} from "./pickle.ts";

/** A reference to (part of) a storage record in the checkpoint container. */
export class StorageRef {
  /** Storage key (the file name under `data/` in zip checkpoints). */
  readonly key: string;
  /** Element type. */
  readonly dtype: WeightDType;
  /** Number of elements visible through this reference. */
  readonly numel: number;
  /** First element of this reference within the stored record (non-zero only for legacy views). */
  readonly elementOffset: number;

  /**
   * Describes `numel` elements of `dtype` in storage record `key`, starting `elementOffset` elements in.
   *
   * @example
   * ```ts
   * import { StorageRef } from "./torch_pickle.ts";
   * const s = new StorageRef("0", "F32", 6);
   * console.log(s.numel); // 6
   * ```
   */
  constructor(key: string, dtype: WeightDType, numel: number, elementOffset = 0) {
    this.key = key;
    this.dtype = dtype;
    this.numel = numel;
    this.elementOffset = elementOffset;
  }
}

/** A tensor as described by the pickle: a strided view into a storage. Data is read on demand. */
export class TensorRef {
  /** The storage viewed. */
  readonly storage: StorageRef;
  /** Offset (in elements) of the first element. */
  readonly offset: number;
  /** Dimensions. */
  readonly size: number[];
  /** Element strides per dimension. */
  readonly stride: number[];

  /**
   * Describes the view `storage[offset + sum_d i_d * stride[d]]` for `0 <= i_d < size[d]`.
   *
   * @example
   * ```ts
   * import { StorageRef, TensorRef } from "./torch_pickle.ts";
   * const t = new TensorRef(new StorageRef("0", "F32", 6), 0, [3, 2], [1, 3]); // a transposed 2x3
   * console.log(t.size); // [3, 2]
   * ```
   */
  constructor(storage: StorageRef, offset: number, size: number[], stride: number[]) {
    this.storage = storage;
    this.offset = offset;
    this.size = size;
    this.stride = stride;
  }
}

const STORAGE_DTYPES: Record<string, WeightDType> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
  UntypedStorage: "U8",
};

/**
 * Element type of a storage class global (`torch.FloatStorage` → `F32`), or undefined.
 *
 * @example
 * ```ts
 * import { PickleGlobal } from "./pickle.ts";
 * import { storageDType } from "./torch_pickle.ts";
 * console.log(storageDType(new PickleGlobal("torch", "HalfStorage", {}))); // F16
 * ```
 */
export function storageDType(g: unknown): WeightDType | undefined {
  if (!(g instanceof PickleGlobal) || (g.module !== "torch" && g.module !== "torch.cuda")) return undefined;
  return Object.hasOwn(STORAGE_DTYPES, g.name) ? STORAGE_DTYPES[g.name] : undefined;
}

function intList(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((d) => typeof d === "number" && Number.isSafeInteger(d))) {
    throw new Error(`${what} must be a tuple of integers, got ${describePickleValue(v)}`);
  }
  return v as number[];
}

function rebuildTensor(args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) {
    throw new Error(`_rebuild_tensor: first argument must be a storage, got ${describePickleValue(storage)}`);
  }
  if (typeof offset !== "number" || !Number.isSafeInteger(offset)) {
    throw new Error(`_rebuild_tensor: storage offset must be an integer, got ${describePickleValue(offset)}`);
  }
  return new TensorRef(storage, offset, intList(size, "tensor size"), intList(stride, "tensor stride"));
}

function firstTensorArg(name: string): GlobalBehaviour {
  return {
    call: (args) => {
      if (!(args[0] instanceof TensorRef)) {
        throw new Error(`${name}: expected a tensor, got ${describePickleValue(args[0])}`);
      }
      return args[0];
    },
  };
}

/** `numpy.dtype(descr, align, copy)`; BUILD state carries the byte order. */
class NumpyDType implements StatefulObject {
  byteOrder = "<";
  constructor(readonly descr: string) {}
  [SET_STATE](state: unknown): void {
    if (Array.isArray(state) && typeof state[1] === "string") this.byteOrder = state[1];
  }
}

function numpyScalar(args: unknown[]): number | bigint | boolean {
  const [dtype, raw] = args;
  if (!(dtype instanceof NumpyDType) || !(raw instanceof Uint8Array)) {
    throw new Error("numpy scalar: expected (dtype, bytes) arguments");
  }
  const le = dtype.byteOrder !== ">";
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const need = (n: number) => {
    if (raw.byteLength < n) throw new Error(`numpy scalar of type ${dtype.descr}: needs ${n} bytes`);
  };
  switch (dtype.descr) {
    case "f8":
      need(8);
      return v.getFloat64(0, le);
    case "f4":
      need(4);
      return v.getFloat32(0, le);
    case "i8":
      need(8);
      return v.getBigInt64(0, le);
    case "u8":
      need(8);
      return v.getBigUint64(0, le);
    case "i4":
      need(4);
      return v.getInt32(0, le);
    case "u4":
      need(4);
      return v.getUint32(0, le);
    case "i2":
      need(2);
      return v.getInt16(0, le);
    case "u2":
      need(2);
      return v.getUint16(0, le);
    case "i1":
      need(1);
      return v.getInt8(0);
    case "u1":
      need(1);
      return v.getUint8(0);
    case "b1":
      need(1);
      return v.getUint8(0) !== 0;
    default:
      throw new Error(`numpy scalar of type '${dtype.descr}' is not supported`);
  }
}

function inert(className: string): GlobalBehaviour {
  return {
    call: (args) => new InertObject(className, args),
    construct: (args) => new InertObject(className, args),
  };
}

const MARKER: GlobalBehaviour = {};

const ALLOWLIST: Record<string, GlobalBehaviour> = {
  "collections.OrderedDict": {
    call: (args) => new Map(Array.isArray(args[0]) ? (args[0] as [unknown, unknown][]) : []),
    construct: () => new Map(),
  },
  "torch._utils._rebuild_tensor_v2": { call: rebuildTensor },
  "torch._utils._rebuild_tensor": { call: rebuildTensor },
  "torch._utils._rebuild_parameter": firstTensorArg("_rebuild_parameter"),
  "torch._utils._rebuild_parameter_with_state": firstTensorArg("_rebuild_parameter_with_state"),
  "torch._tensor._rebuild_from_type_v2": {
    // (func, new_type, args, state): a tensor subclass; rebuild the plain tensor, drop type and state
    call: (args) => {
      const [func, , inner] = args;
      if (!(func instanceof PickleGlobal) || !func.behaviour.call || !Array.isArray(inner)) {
        throw new Error("_rebuild_from_type_v2: expected an allowlisted rebuild function and its arguments");
      }
      return func.behaviour.call(inner);
    },
  },
  "torch.Tensor": MARKER,
  "torch.nn.parameter.Parameter": MARKER,
  "torch.Size": { call: (args) => intList(args[0] ?? [], "torch.Size") },
  "builtins.set": { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) },
  "builtins.frozenset": { call: (args) => new Set(Array.isArray(args[0]) ? args[0] : []) },
  "builtins.bytes": { call: (args) => (args.length === 0 ? new Uint8Array() : bytesFrom(args[0], "bytes")) },
  "_codecs.encode": {
    call: (args) => {
      if (typeof args[0] !== "string" || (args[1] !== "latin1" && args[1] !== "latin-1")) {
        throw new Error("_codecs.encode: only (str, 'latin1'), the protocol-2 encoding of bytes, is allowed");
      }
      return bytesFrom(args[0], "_codecs.encode");
    },
  },
  "argparse.Namespace": inert("argparse.Namespace"),
  "numpy.dtype": { call: (args) => new NumpyDType(String(args[0])) },
  "numpy.core.multiarray.scalar": { call: numpyScalar },
  "numpy._core.multiarray.scalar": { call: numpyScalar },
};

function bytesFrom(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v !== "string") throw new Error(`${what}: expected a string`);
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c > 255) throw new Error(`${what}: character U+${c.toString(16)} is not latin-1`);
    out[i] = c;
  }
  return out;
}

/**
 * Builds the global resolver for checkpoint pickles: the fixed allowlist (including the
 * `torch.*Storage` type markers), plus `extraInert` class names (`module.name`) to be kept as
 * {@link InertObject}s. Python 2 pickles' `__builtin__` module is treated as `builtins`.
 *
 * @example
 * ```ts
 * import { torchGlobalResolver } from "./torch_pickle.ts";
 * const resolve = torchGlobalResolver(["omegaconf.dictconfig.DictConfig"]);
 * console.log(resolve("os", "system")); // undefined: refused
 * ```
 */
export function torchGlobalResolver(
  extraInert: readonly string[] = [],
): (module: string, name: string) => GlobalBehaviour | undefined {
  const extra = new Set(extraInert);
  return (module, name) => {
    const mod = module === "__builtin__" ? "builtins" : module;
    const qualified = `${mod}.${name}`;
    if (Object.hasOwn(ALLOWLIST, qualified)) return ALLOWLIST[qualified];
    if ((mod === "torch" || mod === "torch.cuda") && Object.hasOwn(STORAGE_DTYPES, name)) return MARKER;
    if (extra.has(qualified)) return inert(qualified);
    return undefined;
  };
}

/**
 * Pickle options for a checkpoint file: the allowlist above (plus `allowInertGlobals`), errors naming
 * `checkpoint <path>`, and the container's persistent-id loader.
 *
 * @example
 * ```ts
 * import { loadPickle } from "./pickle.ts";
 * import { checkpointPickleOptions } from "./torch_pickle.ts";
 * const evil = new TextEncoder().encode("cos\nsystem\n(S'ls'\ntR.");
 * try {
 *   loadPickle(evil, checkpointPickleOptions("evil.pth", []));
 * } catch (err) {
 *   console.log(String(err)); // refusing to load checkpoint evil.pth: pickle references os.system, …
 * }
 * ```
 */
export function checkpointPickleOptions(
  path: string,
  allowInertGlobals: readonly string[] = [],
  persistentLoad?: (pid: unknown) => unknown,
): PickleOptions {
  return {
    source: `checkpoint ${path}`,
    allowlistName: "state-dict types",
    resolveGlobal: torchGlobalResolver(allowInertGlobals),
    persistentLoad,
  };
}
