/**
 * float32 GPU tensors: a pooled storage buffer plus a shape, always contiguous and row-major.
 * Creation, readback, and scopes that free temporaries.
 *
 * Every tensor created inside {@link tidy} is disposed when the scope ends, except the values the
 * scope returns and tensors marked with {@link keep}. Tensors created outside any scope live until
 * `dispose()`.
 *
 * @module
 */
import { gpu } from "./gpu/device.ts";
import type { HostTensor } from "./host_tensor.ts";
import { shapeSize } from "./host_tensor.ts";
import type { TapeNode } from "./autograd_types.ts";

let nextId = 1;

/** A buffer shared by a tensor and its reshaped views; released to the pool when the last goes. */
class Storage {
  refs = 1;
  constructor(readonly buffer: GPUBuffer) {}
}

interface Scope {
  tensors: Tensor[];
}
const scopes: Scope[] = [];

/** A float32 tensor on the GPU. */
export class Tensor {
  /** Unique id, increasing in creation order. */
  readonly id: number = nextId++;
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** Whether gradients flow to (or through) this tensor. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The tape node that produced this tensor, when recorded. */
  node: TapeNode | null = null;
  /** Optional name (parameters carry their state-dict key). */
  name: string | undefined;
  #storage: Storage | null;
  #kept = false;

  /**
   * Wraps a buffer; prefer the creation functions ({@link zeros}, {@link fromArray}, ...).
   *
   * @param buffer a pooled buffer of at least `4 * size(shape)` bytes, owned by the tensor from now on
   * @param shape the dimensions
   */
  constructor(buffer: GPUBuffer | Tensor, shape: readonly number[]) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid tensor shape [${shape}]`);
    }
    if (buffer instanceof Tensor) {
      const storage = buffer.#storage;
      if (!storage) throw new Error(`cannot view ${buffer}: it was disposed`);
      storage.refs++;
      this.#storage = storage;
    } else this.#storage = new Storage(buffer);
    this.shape = Object.freeze([...shape]);
    this.size = shapeSize(shape);
    const scope = scopes[scopes.length - 1];
    if (scope) scope.tensors.push(this);
  }

  /** Rank (number of dimensions). */
  get rank(): number {
    return this.shape.length;
  }

  /** The storage buffer; throws if the tensor was disposed. */
  get buffer(): GPUBuffer {
    if (!this.#storage) {
      throw new Error(`tensor #${this.id}${this.name ? ` (${this.name})` : ""} was disposed`);
    }
    return this.#storage.buffer;
  }

  /** True once `dispose()` has run. */
  get disposed(): boolean {
    return this.#storage === null;
  }

  /** True if {@link keep} exempted this tensor from scope disposal. */
  get kept(): boolean {
    return this.#kept;
  }

  /** Marks this tensor as outliving every scope (see {@link keep}). */
  keep(): this {
    this.#kept = true;
    return this;
  }

  /** Returns the buffer to the pool; safe to call twice. */
  dispose(): void {
    const storage = this.#storage;
    if (!storage) return;
    this.#storage = null;
    this.node = null;
    if (--storage.refs === 0) gpu().runtime.pool.release(storage.buffer);
  }

  /**
   * Reads the values back to the host (flushes recorded work and waits).
   *
   * @example
   * ```ts ignore
   * const values = await fromArray([2], [1, 2]).read(); // Float32Array [1, 2]
   * ```
   */
  async read(): Promise<Float32Array> {
    if (this.size === 0) return new Float32Array(0);
    return new Float32Array(await gpu().runtime.read(this.buffer, this.size * 4));
  }

  /** Reads the tensor back as a {@link HostTensor}. */
  async toHost(): Promise<HostTensor> {
    return { shape: [...this.shape], data: await this.read() };
  }

  /** A short description for error messages. */
  toString(): string {
    return `Tensor#${this.id}[${this.shape.join(", ")}]${this.name ? ` ${this.name}` : ""}`;
  }
}

/**
 * A tensor with a new shape of the same size sharing `t`'s buffer (no copy, no tape record; use the
 * `reshape` op for a differentiable reshape).
 *
 * @example
 * ```ts ignore
 * const flat = view(t, [t.size]);
 * ```
 */
export function view(t: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveShape(shape, t.size);
  return new Tensor(t, resolved);
}

/**
 * Resolves one `-1` entry of a shape from the element count and checks the size.
 *
 * @example
 * ```ts
 * import { resolveShape } from "./tensor.ts";
 * console.log(resolveShape([2, -1], 6)); // [2, 3]
 * ```
 */
export function resolveShape(shape: readonly number[], size: number): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free >= 0) {
    const rest = shapeSize(out.filter((_, i) => i !== free));
    if (rest === 0 || size % rest !== 0) {
      throw new RangeError(`cannot reshape ${size} elements to [${shape}]`);
    }
    out[free] = size / rest;
  }
  if (shapeSize(out) !== size) throw new RangeError(`cannot reshape ${size} elements to [${shape}]`);
  return out;
}

/**
 * Allocates an uninitialised tensor from the buffer pool (kernels write every element).
 *
 * @example
 * ```ts ignore
 * const out = empty([2, 3]);
 * ```
 */
export function empty(shape: readonly number[]): Tensor {
  const bytes = Math.max(4, shapeSize(shape) * 4);
  return new Tensor(gpu().runtime.pool.acquire(bytes), shape);
}

/**
 * Uploads host values as a new tensor.
 *
 * @example
 * ```ts ignore
 * const t = fromArray([2, 2], [1, 2, 3, 4]);
 * ```
 */
export function fromArray(shape: readonly number[], values: ArrayLike<number>): Tensor {
  const n = shapeSize(shape);
  if (values.length !== n) {
    throw new RangeError(`fromArray: shape [${shape}] needs ${n} values, got ${values.length}`);
  }
  const t = empty(shape);
  if (n > 0) {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    gpu().runtime.upload(t.buffer, data);
  }
  return t;
}

/**
 * Uploads a {@link HostTensor}.
 *
 * @example
 * ```ts ignore
 * const t = fromHost({ shape: [3], data: new Float32Array([1, 2, 3]) });
 * ```
 */
export function fromHost(host: HostTensor): Tensor {
  return fromArray(host.shape, host.data);
}

/**
 * Runs `fn` in a scope: tensors it creates are disposed at the end, except those reachable from its
 * return value (a tensor, an array, or a plain object of tensors) and those marked with {@link keep}.
 * Returned tensors move to the enclosing scope.
 *
 * @example
 * ```ts ignore
 * const y = tidy(() => relu(matmul(x, w))); // the matmul output is freed, y survives
 * ```
 */
export function tidy<T>(fn: () => T): T {
  scopes.push({ tensors: [] });
  let result: T;
  try {
    result = fn();
  } catch (e) {
    endScope(new Set());
    throw e;
  }
  if (result instanceof Promise) {
    endScope(new Set());
    throw new TypeError("tidy() takes a synchronous function; use tidyAsync() for async work");
  }
  endScope(collectTensors(result));
  return result;
}

/**
 * Like {@link tidy} for an async function. Tensors created by other code while `fn` awaits are
 * attributed to this scope too, so do not interleave independent async scopes.
 *
 * @example
 * ```ts ignore
 * const v = await tidyAsync(async () => await relu(x).read());
 * ```
 */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  const scope: Scope = { tensors: [] };
  scopes.push(scope);
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    endScope(new Set(), scope);
    throw e;
  }
  endScope(collectTensors(result), scope);
  return result;
}

function endScope(survivors: Set<Tensor>, scope = scopes[scopes.length - 1]): void {
  const idx = scopes.lastIndexOf(scope);
  if (idx >= 0) scopes.splice(idx, 1);
  const parent = scopes[idx - 1];
  for (const t of scope.tensors) {
    if (survivors.has(t)) {
      if (parent && !t.kept) parent.tensors.push(t);
    } else if (!t.kept) t.dispose();
  }
}

function collectTensors(value: unknown, out = new Set<Tensor>(), depth = 0): Set<Tensor> {
  if (value instanceof Tensor) out.add(value);
  else if (depth < 4 && Array.isArray(value)) { for (const v of value) collectTensors(v, out, depth + 1); }
  else if (
    depth < 4 && value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
  }
  return out;
}

/**
 * Exempts tensors from scope disposal (parameters, optimiser state, accumulated gradients).
 *
 * @example
 * ```ts ignore
 * const w = keep(randn([4, 4], 0));
 * ```
 */
export function keep<T extends Tensor>(t: T): T {
  return t.keep();
}

/**
 * Asserts two shapes are equal, naming the operation in the error.
 *
 * @example
 * ```ts
 * import { assertSameShape } from "./tensor.ts";
 * assertSameShape("add", [2, 3], [2, 3]);
 * ```
 */
export function assertSameShape(op: string, a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new RangeError(`${op}: shapes [${a}] and [${b}] differ`);
  }
}
