/**
 * A data-only pickle virtual machine: it interprets the opcodes that state dicts use (protocols 0–5,
 * binary forms) and builds plain values. Nothing in the pickle is ever executed: every `GLOBAL` /
 * `STACK_GLOBAL` is resolved through a caller-supplied allowlist of pure data constructors, and anything
 * not on it is refused with an error naming the global.
 *
 * Python values map to: `None` → `null`, `bool` → boolean, `int` → number (bigint beyond 2^53),
 * `float` → number, `str` → string, `bytes`/`bytearray` → Uint8Array, `list`/`tuple` → Array,
 * `dict` → Map, `set`/`frozenset` → Set.
 *
 * @module
 */

/** What an allowlisted global may do. A global with neither hook can only be passed around as a marker. */
export interface GlobalBehaviour {
  /** Result of `global(*args)` (opcode REDUCE). */
  call?: (args: unknown[]) => unknown;
  /** Result of `cls.__new__(cls, *args, **kwargs)` (opcodes NEWOBJ, NEWOBJ_EX). */
  construct?: (args: unknown[], kwargs: Map<unknown, unknown>) => unknown;
}

/** A resolved global reference on the pickle stack. */
export class PickleGlobal {
  /** Module part, e.g. `collections`. */
  readonly module: string;
  /** Attribute part, e.g. `OrderedDict`. */
  readonly name: string;
  /** The allowlisted behaviour. */
  readonly behaviour: GlobalBehaviour;

  /**
   * Creates a reference (done by the VM when the allowlist accepts a global).
   *
   * @example
   * ```ts
   * import { PickleGlobal } from "./pickle.ts";
   * const g = new PickleGlobal("collections", "OrderedDict", { call: () => new Map() });
   * console.log(g.qualifiedName); // collections.OrderedDict
   * ```
   */
  constructor(module: string, name: string, behaviour: GlobalBehaviour) {
    this.module = module;
    this.name = name;
    this.behaviour = behaviour;
  }

  /** `module.name`. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Objects built by allowlisted globals implement this to accept a BUILD opcode's state. */
export const SET_STATE: unique symbol = Symbol("pickle.setState");

/** An object that accepts BUILD state. */
export interface StatefulObject {
  /** Receives the state (the argument of `__setstate__`). */
  [SET_STATE](state: unknown): void;
}

/**
 * An instance of an allowlisted, harmless class kept as inert data: its class name, constructor
 * arguments and BUILD state. No code of the class is run.
 */
export class InertObject implements StatefulObject {
  /** `module.name` of the class. */
  readonly className: string;
  /** Arguments given to the class (REDUCE / NEWOBJ). */
  readonly args: unknown[];
  /** State set by BUILD (`undefined` when there was none). */
  state: unknown = undefined;

  /**
   * Creates an inert instance.
   *
   * @example
   * ```ts
   * import { InertObject } from "./pickle.ts";
   * const ns = new InertObject("argparse.Namespace", []);
   * console.log(ns.className); // argparse.Namespace
   * ```
   */
  constructor(className: string, args: unknown[]) {
    this.className = className;
    this.args = args;
  }

  /** Stores the BUILD state. */
  [SET_STATE](state: unknown): void {
    this.state = state;
  }
}

/** Thrown when the pickle ends before STOP (a caller reading a stream may retry with more bytes). */
export class PickleTruncatedError extends Error {
  /**
   * Creates the error with its message.
   *
   * @example
   * ```ts
   * import { PickleTruncatedError } from "./pickle.ts";
   * const err = new PickleTruncatedError("pickle ends early");
   * console.log(err instanceof Error); // true
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "PickleTruncatedError";
  }
}

/** Options of {@link loadPickle}. */
export interface PickleOptions {
  /** How the data is named in errors, e.g. `checkpoint model.pth` (default `pickle data`). */
  source?: string;
  /** The allowlist: behaviour of `module.name`, or undefined to refuse it. Default: refuse all. */
  resolveGlobal?: (module: string, name: string) => GlobalBehaviour | undefined;
  /** What the allowlist is called in the refusal message (default `permitted globals`). */
  allowlistName?: string;
  /** Resolves persistent ids (PERSID / BINPERSID); without it they are an error. */
  persistentLoad?: (pid: unknown) => unknown;
}

/** Result of {@link loadPickle}. */
export interface PickleResult {
  /** The unpickled value. */
  value: unknown;
  /** Offset just past the STOP opcode. */
  end: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Longest integer accepted (in bytes or digits): state dicts hold small ints; this bounds the work. */
const MAX_LONG_BYTES = 4096;

function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/** Short description of a value's type for error messages. */
export function describePickleValue(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof PickleGlobal) return v.qualifiedName;
  if (v instanceof InertObject) return `${v.className} instance`;
  if (Array.isArray(v)) return "list/tuple";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  if (v instanceof Uint8Array) return "bytes";
  if (typeof v === "object") return v.constructor?.name ?? "object";
  return typeof v;
}

const utf8 = new TextDecoder();

class Unpickler {
  pos: number;
  /** Offset of the opcode being executed (for error messages). */
  opStart: number;
  stack: unknown[] = [];
  metastack: unknown[][] = [];
  memo = new Map<number, unknown>();
  readonly view: DataView;
  readonly source: string;

  constructor(readonly bytes: Uint8Array, start: number, readonly options: PickleOptions) {
    this.pos = start;
    this.opStart = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.source = options.source ?? "pickle data";
  }

  fail(message: string, at = this.opStart): never {
    throw new Error(`${this.source}: corrupt or unsupported pickle at byte ${at}: ${message}`);
  }

  need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new PickleTruncatedError(
        `${this.source}: pickle data is truncated (needed ${n} bytes at byte ${this.pos}, ` +
          `${this.bytes.length - this.pos} left)`,
      );
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }

  u8(): number {
    return this.bytes[this.need(1)];
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  u64(): number {
    const p = this.need(8);
    const hi = this.view.getUint32(p + 4, true);
    if (hi >= 0x200000) this.fail("8-byte length exceeds 2^53", p);
    return hi * 4294967296 + this.view.getUint32(p, true);
  }
  take(n: number): Uint8Array {
    const p = this.need(n);
    return this.bytes.subarray(p, p + n);
  }
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) {
      throw new PickleTruncatedError(
        `${this.source}: pickle data is truncated (unterminated line at byte ${this.pos})`,
      );
    }
    const s = utf8.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  pop(): unknown {
    if (this.stack.length === 0) this.fail("stack underflow");
    return this.stack.pop();
  }
  top(): unknown {
    if (this.stack.length === 0) this.fail("stack underflow");
    return this.stack[this.stack.length - 1];
  }
  popMark(): unknown[] {
    const items = this.stack;
    const prev = this.metastack.pop();
    if (!prev) this.fail("no MARK for this opcode");
    this.stack = prev;
    return items;
  }
  push(v: unknown): void {
    this.stack.push(v);
  }

  memoGet(i: number): void {
    if (!this.memo.has(i)) this.fail(`memo entry ${i} is not defined`);
    this.push(this.memo.get(i));
  }

  global(module: string, name: string): PickleGlobal {
    const behaviour = this.options.resolveGlobal?.(module, name);
    if (!behaviour) {
      throw new Error(
        `refusing to load ${this.source}: pickle references ${module}.${name}, which is not in the allowlist of ` +
          `${this.options.allowlistName ?? "permitted globals"}`,
      );
    }
    return new PickleGlobal(module, name, behaviour);
  }

  persistent(pid: unknown): unknown {
    if (!this.options.persistentLoad) this.fail("persistent id found but no persistent loader was given");
    return this.options.persistentLoad(pid);
  }

  setItems(target: unknown, items: unknown[]): void {
    if (!(target instanceof Map)) this.fail(`SETITEM(S) on a ${describePickleValue(target)}, not a dict`);
    if (items.length % 2 !== 0) this.fail("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  }

  append(target: unknown, items: unknown[]): void {
    if (!Array.isArray(target)) this.fail(`APPEND(S) on a ${describePickleValue(target)}, not a list`);
    for (const item of items) target.push(item);
  }

  run(): unknown {
    for (;;) {
      const at = (this.opStart = this.pos);
      const op = this.u8();
      switch (op) {
        case 0x80: { // PROTO
          const proto = this.u8();
          if (proto > 5) this.fail(`pickle protocol ${proto} is not supported (max 5)`, at);
          break;
        }
        case 0x95: // FRAME: framing is transparent to the reader
          this.u64();
          break;
        case 0x2e: // STOP
          return this.pop();
        case 0x28: // MARK
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4a: // BININT
          this.push(this.view.getInt32(this.need(4), true));
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x8a: // LONG1
          this.push(decodeLong(this.take(this.u8())));
          break;
        case 0x8b: { // LONG4
          const n = this.u32();
          if (n > MAX_LONG_BYTES) this.fail(`integer of ${n} bytes is too long`, at);
          this.push(decodeLong(this.take(n)));
          break;
        }
        case 0x49: { // INT (text)
          const s = this.line();
          if (s === "00" || s === "01") this.push(s === "01");
          else if (/^[+-]?\d+$/.test(s) && s.length <= MAX_LONG_BYTES) this.push(decodeText(s));
          else this.fail(`bad INT literal '${s.slice(0, 40)}'`, at);
          break;
        }
        case 0x4c: { // LONG (text)
          const s = this.line().replace(/L$/, "");
          if (!/^[+-]?\d+$/.test(s) || s.length > MAX_LONG_BYTES) {
            this.fail(`bad LONG literal '${s.slice(0, 40)}'`, at);
          }
          this.push(decodeText(s));
          break;
        }
        case 0x47: // BINFLOAT (big-endian)
          this.push(this.view.getFloat64(this.need(8), false));
          break;
        case 0x46: { // FLOAT (text)
          const s = this.line();
          const v = Number(s);
          if (Number.isNaN(v) && !/nan/i.test(s)) this.fail(`bad FLOAT literal '${s}'`, at);
          this.push(v);
          break;
        }
        case 0x58: // BINUNICODE
          this.push(utf8.decode(this.take(this.u32())));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(utf8.decode(this.take(this.u8())));
          break;
        case 0x8d: // BINUNICODE8
          this.push(utf8.decode(this.take(this.u64())));
          break;
        case 0x54: { // BINSTRING (Python 2 str, decoded as UTF-8 like torch.load)
          const n = this.view.getInt32(this.need(4), true);
          if (n < 0) this.fail("negative BINSTRING length", at);
          this.push(utf8.decode(this.take(n)));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.push(utf8.decode(this.take(this.u8())));
          break;
        case 0x42: // BINBYTES
          this.push(this.take(this.u32()).slice());
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.take(this.u8()).slice());
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.push(this.take(this.u64()).slice());
          break;
        case 0x29: // EMPTY_TUPLE
          this.push([]);
          break;
        case 0x85: // TUPLE1
          this.push([this.pop()]);
          break;
        case 0x86: { // TUPLE2
          const b = this.pop();
          this.push([this.pop(), b]);
          break;
        }
        case 0x87: { // TUPLE3
          const c = this.pop();
          const b = this.pop();
          this.push([this.pop(), b, c]);
          break;
        }
        case 0x74: // TUPLE
        case 0x6c: // LIST
          this.push(this.popMark());
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x61: { // APPEND
          const v = this.pop();
          this.append(this.top(), [v]);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(new Map());
          break;
        case 0x64: { // DICT
          const m = new Map();
          this.setItems(m, this.popMark());
          this.push(m);
          break;
        }
        case 0x73: { // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new Set());
          break;
        case 0x90: { // ADDITEMS
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof Set)) this.fail(`ADDITEMS on a ${describePickleValue(s)}, not a set`, at);
          for (const item of items) s.add(item);
          break;
        }
        case 0x91: // FROZENSET
          this.push(new Set(this.popMark()));
          break;
        case 0x71: // BINPUT
          this.memo.set(this.u8(), this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.u32(), this.top());
          break;
        case 0x70: { // PUT (text)
          const i = Number(this.line());
          if (!Number.isSafeInteger(i)) this.fail("bad PUT index", at);
          this.memo.set(i, this.top());
          break;
        }
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case 0x68: // BINGET
          this.memoGet(this.u8());
          break;
        case 0x6a: // LONG_BINGET
          this.memoGet(this.u32());
          break;
        case 0x67: // GET (text)
          this.memoGet(Number(this.line()));
          break;
        case 0x63: { // GLOBAL
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== "string" || typeof name !== "string") {
            this.fail("STACK_GLOBAL needs two strings", at);
          }
          this.push(this.global(module, name));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.pop();
          const f = this.pop();
          if (!(f instanceof PickleGlobal)) this.fail(`REDUCE applied to a ${describePickleValue(f)}`, at);
          if (!f.behaviour.call) this.fail(`${f.qualifiedName} may not be called`, at);
          if (!Array.isArray(args)) this.fail(`REDUCE arguments for ${f.qualifiedName} are not a tuple`, at);
          this.push(f.behaviour.call(args));
          break;
        }
        case 0x81: // NEWOBJ
        case 0x92: { // NEWOBJ_EX
          const kwargs = op === 0x92 ? this.pop() : new Map();
          const args = this.pop();
          const cls = this.pop();
          if (!(cls instanceof PickleGlobal)) {
            this.fail(`NEWOBJ applied to a ${describePickleValue(cls)}`, at);
          }
          if (!cls.behaviour.construct) this.fail(`${cls.qualifiedName} may not be instantiated`, at);
          if (!Array.isArray(args) || !(kwargs instanceof Map)) {
            this.fail(`bad NEWOBJ arguments for ${cls.qualifiedName}`, at);
          }
          this.push(cls.behaviour.construct(args, kwargs));
          break;
        }
        case 0x62: { // BUILD
          const state = this.pop();
          const obj = this.top();
          if (typeof obj === "object" && obj !== null && SET_STATE in obj) {
            (obj as StatefulObject)[SET_STATE](state);
          } else if (!(obj instanceof Map)) {
            // attributes of a dict subclass (an OrderedDict's `_metadata`) are dropped
            this.fail(`BUILD (setting state) on a ${describePickleValue(obj)} is not supported`, at);
          }
          break;
        }
        case 0x51: // BINPERSID
          this.push(this.persistent(this.pop()));
          break;
        case 0x50: // PERSID
          this.push(this.persistent(this.line()));
          break;
        default:
          this.fail(
            `unsupported opcode 0x${op.toString(16).padStart(2, "0")}` +
              (op >= 0x20 && op < 0x7f ? ` ('${String.fromCharCode(op)}')` : ""),
            at,
          );
      }
    }
  }
}

function decodeText(s: string): number | bigint {
  const v = BigInt(s);
  return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/**
 * Unpickles one value starting at `start`, building plain data only. Globals are resolved through
 * `options.resolveGlobal`; any other global is refused with
 * `refusing to load <source>: pickle references <module.name>, which is not in the allowlist of …`.
 * Throws {@link PickleTruncatedError} when the data ends before STOP.
 *
 * @example
 * ```ts
 * import { loadPickle } from "./pickle.ts";
 * // pickle.dumps({"a": 1}, protocol=2)
 * const bytes = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x73, 0x2e]);
 * const { value } = loadPickle(bytes);
 * console.log((value as Map<string, number>).get("a")); // 1
 * ```
 */
export function loadPickle(bytes: Uint8Array, options: PickleOptions = {}, start = 0): PickleResult {
  const vm = new Unpickler(bytes, start, options);
  const value = vm.run();
  return { value, end: vm.pos };
}
