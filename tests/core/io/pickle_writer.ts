/**
 * TEST-ONLY: a protocol-2 pickler that emits the same opcode sequences CPython's `pickle` does with
 * `protocol=2` (what torch.save uses): BINPUT after every memoizable object, BINGET for repeats,
 * EMPTY_DICT/EMPTY_LIST + batched SETITEMS/APPENDS, TUPLE1-3, BININT1/BININT2/BININT/LONG1, BINFLOAT,
 * BINUNICODE, GLOBAL + REDUCE (+ BUILD) for reduced objects, and BINPERSID for persistent ids.
 *
 * @module
 */

/** A Python float (plain JS numbers that are integers are pickled as ints). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A Python tuple (JS arrays are pickled as lists). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A reference to `module.name`, pickled with GLOBAL. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
}

/** `func(*args)` with optional BUILD state, as `__reduce__` describes it. */
export class PyReduce {
  constructor(readonly func: PyGlobal, readonly args: PyTuple, readonly state?: PyValue) {}
}

/** `cls.__new__(cls, *args)` (NEWOBJ, as copyreg.__newobj__ reductions pickle) with BUILD state. */
export class PyNewObj {
  constructor(readonly cls: PyGlobal, readonly args: PyTuple, readonly state?: PyValue) {}
}

/** `collections.OrderedDict`, pickled as GLOBAL + EMPTY_TUPLE + REDUCE, SETITEMS, then BUILD with `state`. */
export class PyOrderedDict {
  constructor(readonly entries: Map<PyValue, PyValue> = new Map(), readonly state?: PyValue) {}
}

/** A persistent id: the pid value is pickled, then BINPERSID. */
export class PyPersistent {
  constructor(readonly pid: PyValue) {}
}

/** Base class of test objects that a {@link PickleWriter} reducer turns into pickle values. */
export abstract class PyOpaque {}

/** Values the test pickler understands. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | PyTuple
  | PyGlobal
  | PyReduce
  | PyNewObj
  | PyPersistent
  | PyOrderedDict
  | PyOpaque
  | PyValue[]
  | Map<PyValue, PyValue>;

const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  NONE: 0x4e,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  BINUNICODE: 0x58,
  EMPTY_LIST: 0x5d,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  APPENDS: 0x65,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75,
  BINFLOAT: 0x47,
  EMPTY_DICT: 0x7d,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
} as const;

/** Builds one pickle (PROTO 2 … STOP). */
export class PickleWriter {
  #out: number[] = [];
  #memo = new Map<unknown, number>();
  #reduced = new Map<PyOpaque, PyValue>();
  #reducer?: (v: PyOpaque) => PyValue;

  /** `reducer` turns {@link PyOpaque} objects into pickle values (once per object, like `__reduce__`). */
  constructor(reducer?: (v: PyOpaque) => PyValue) {
    this.#reducer = reducer;
    this.#out.push(OP.PROTO, 2);
  }

  #u32(v: number): void {
    this.#out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }

  #bytes(b: Uint8Array): void {
    for (const x of b) this.#out.push(x);
  }

  #memoize(key: unknown): void {
    const i = this.#memo.size;
    this.#memo.set(key, i);
    if (i < 256) this.#out.push(OP.BINPUT, i);
    else {
      this.#out.push(OP.LONG_BINPUT);
      this.#u32(i);
    }
  }

  #get(key: unknown): boolean {
    const i = this.#memo.get(key);
    if (i === undefined) return false;
    if (i < 256) this.#out.push(OP.BINGET, i);
    else {
      this.#out.push(OP.LONG_BINGET);
      this.#u32(i);
    }
    return true;
  }

  #int(v: number | bigint): void {
    if (typeof v === "number" && v >= 0 && v <= 0xff) this.#out.push(OP.BININT1, v);
    else if (typeof v === "number" && v >= 0 && v <= 0xffff) this.#out.push(OP.BININT2, v & 0xff, v >> 8);
    else if (typeof v === "number" && v >= -0x80000000 && v <= 0x7fffffff) {
      this.#out.push(OP.BININT);
      this.#u32(v);
    } else {
      let n = BigInt(v);
      const bytes: number[] = [];
      // minimal two's complement little-endian, as CPython's encode_long
      for (;;) {
        bytes.push(Number(n & 0xffn));
        n >>= 8n;
        const top = bytes[bytes.length - 1];
        if ((n === 0n && (top & 0x80) === 0) || (n === -1n && (top & 0x80) !== 0)) break;
      }
      this.#out.push(OP.LONG1, bytes.length, ...bytes);
    }
  }

  #tuple(t: PyTuple): void {
    const n = t.items.length;
    if (n === 0) {
      this.#out.push(OP.EMPTY_TUPLE);
      return;
    }
    if (this.#get(t)) return;
    if (n > 3) this.#out.push(OP.MARK);
    for (const item of t.items) this.save(item);
    this.#out.push(n === 1 ? OP.TUPLE1 : n === 2 ? OP.TUPLE2 : n === 3 ? OP.TUPLE3 : OP.TUPLE);
    this.#memoize(t);
  }

  #setItems(entries: [PyValue, PyValue][]): void {
    for (let i = 0; i < entries.length; i += 1000) {
      const batch = entries.slice(i, i + 1000);
      if (batch.length > 1) this.#out.push(OP.MARK);
      for (const [k, v] of batch) {
        this.save(k);
        this.save(v);
      }
      this.#out.push(batch.length > 1 ? OP.SETITEMS : OP.SETITEM);
    }
  }

  /** Appends the opcodes for `v`. */
  save(v: PyValue): void {
    if (v === null) this.#out.push(OP.NONE);
    else if (v === true) this.#out.push(OP.NEWTRUE);
    else if (v === false) this.#out.push(OP.NEWFALSE);
    else if (typeof v === "number") {
      if (Number.isInteger(v)) this.#int(v);
      else this.save(new PyFloat(v));
    } else if (typeof v === "bigint") this.#int(v);
    else if (v instanceof PyFloat) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v.value, false);
      this.#out.push(OP.BINFLOAT);
      this.#bytes(b);
    } else if (typeof v === "string") {
      if (this.#get(`str:${v}`)) return;
      const b = new TextEncoder().encode(v);
      this.#out.push(OP.BINUNICODE);
      this.#u32(b.length);
      this.#bytes(b);
      this.#memoize(`str:${v}`);
    } else if (v instanceof PyTuple) this.#tuple(v);
    else if (v instanceof PyGlobal) {
      const key = `global:${v.module}\n${v.name}`;
      if (this.#get(key)) return;
      this.#out.push(OP.GLOBAL);
      this.#bytes(new TextEncoder().encode(`${v.module}\n${v.name}\n`));
      this.#memoize(key);
    } else if (v instanceof PyPersistent) {
      this.save(v.pid);
      this.#out.push(OP.BINPERSID);
    } else if (v instanceof PyReduce || v instanceof PyNewObj) {
      if (this.#get(v)) return;
      if (v instanceof PyReduce) {
        this.save(v.func);
        this.#tuple(v.args);
        this.#out.push(OP.REDUCE);
      } else {
        this.save(v.cls);
        this.#tuple(v.args);
        this.#out.push(OP.NEWOBJ);
      }
      this.#memoize(v);
      if (v.state !== undefined) {
        this.save(v.state);
        this.#out.push(OP.BUILD);
      }
    } else if (v instanceof PyOpaque) {
      let r = this.#reduced.get(v);
      if (r === undefined) {
        if (!this.#reducer) throw new Error("PickleWriter: no reducer for an opaque object");
        r = this.#reducer(v);
        // persistent ids are recomputed on every reference, as Pickler.persistent_id is
        if (!(r instanceof PyPersistent)) this.#reduced.set(v, r);
      }
      this.save(r);
    } else if (v instanceof PyOrderedDict) {
      this.saveReducedDict(new PyGlobal("collections", "OrderedDict"), [...v.entries.entries()], v, v.state);
    } else if (Array.isArray(v)) {
      if (this.#get(v)) return;
      this.#out.push(OP.EMPTY_LIST);
      this.#memoize(v);
      for (let i = 0; i < v.length; i += 1000) {
        const batch = v.slice(i, i + 1000);
        if (batch.length > 1) this.#out.push(OP.MARK);
        for (const item of batch) this.save(item);
        this.#out.push(batch.length > 1 ? OP.APPENDS : OP.APPEND);
      }
    } else if (v instanceof Map) {
      if (this.#get(v)) return;
      this.#out.push(OP.EMPTY_DICT);
      this.#memoize(v);
      this.#setItems([...v.entries()]);
    } else {
      throw new Error(`PickleWriter: cannot pickle ${String(v)}`);
    }
  }

  /** Saves a reduced object, then its dict items with SETITEMS (how an OrderedDict pickles). */
  saveReducedDict(func: PyGlobal, entries: [PyValue, PyValue][], identity: object, state?: PyValue): void {
    if (this.#get(identity)) return;
    this.save(func);
    this.#out.push(OP.EMPTY_TUPLE, OP.REDUCE);
    this.#memoize(identity);
    if (entries.length > 0) this.#setItems(entries);
    if (state !== undefined) {
      this.save(state);
      this.#out.push(OP.BUILD);
    }
  }

  /** Appends raw opcode bytes (for hand-made malicious pickles). */
  raw(...bytes: number[]): void {
    this.#out.push(...bytes);
  }

  /** Writes STOP and returns the pickle. */
  finish(): Uint8Array {
    this.#out.push(OP.STOP);
    return Uint8Array.from(this.#out);
  }
}

/**
 * Pickles one value with protocol 2.
 *
 * @example
 * ```ts
 * import { pickleDumps } from "./pickle_writer.ts";
 * const bytes = pickleDumps(new Map([["a", 1]]));
 * ```
 */
export function pickleDumps(v: PyValue, reducer?: (v: PyOpaque) => PyValue): Uint8Array {
  const w = new PickleWriter(reducer);
  w.save(v);
  return w.finish();
}
