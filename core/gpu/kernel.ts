/**
 * Kernel specs: a WGSL body, its bindings, and a typed specialisation config from which the
 * pipeline-cache key and the WGSL constants are derived mechanically. Shapes and strides travel in a
 * per-dispatch uniform block (`meta`), so a new shape never recompiles a pipeline.
 *
 * The generated header gives every kernel:
 * - `meta`: 64 u32 words of uniforms, read with `m(i)` (u32), `mi(i)` (i32) and `mf(i)` (f32);
 * - one binding per entry of `bindings`, named as given: an `array<T>` storage buffer, or a texture when
 *   the element is a texture type (`texture_2d<f32>`, read with `textureLoad`, or a write-only
 *   `texture_storage_2d<rgba32float, write>`, written with `textureStore`);
 * - `const WG: u32` (threads per workgroup) and one `const` per config entry;
 * - `flat_id(gid, nwg)`: the linear invocation index across a 2-D dispatch grid.
 *
 * @module
 */

/** Number of u32 words in a dispatch's uniform block. */
export const META_WORDS = 64;

/**
 * Texture binding types: a sampled float texture (read with `textureLoad`; binds a texture of any
 * unfilterable float format such as `rgba32float`) and a write-only `rgba32float` storage texture
 * (written with `textureStore`).
 */
export type TextureElement = "texture_2d<f32>" | "texture_storage_2d<rgba32float, write>";

/** A binding of a kernel: a storage buffer, or a texture when `element` is a {@link TextureElement}. */
export interface BindingSpec {
  /** WGSL variable name. */
  name: string;
  /**
   * `read` for inputs, `read_write` for outputs. Textures: `read` for `texture_2d<f32>` and
   * `read_write` for a storage texture (which is declared write-only).
   */
  access: "read" | "read_write";
  /** Element type of the array (`f32` by default), or the texture type (a {@link TextureElement}). */
  element?:
    | "f32"
    | "vec4<f32>"
    | "u32"
    | "i32"
    | "atomic<u32>"
    | "texture_2d<f32>"
    | "texture_storage_2d<rgba32float, write>";
}

/**
 * True when a binding is a texture (it takes a `GPUTexture` or `GPUTextureView` at dispatch).
 *
 * @example
 * ```ts
 * import { isTextureBinding } from "./kernel.ts";
 * console.log(isTextureBinding({ name: "t", access: "read", element: "texture_2d<f32>" })); // true
 * console.log(isTextureBinding({ name: "x", access: "read" })); // false
 * ```
 */
export function isTextureBinding(binding: BindingSpec): boolean {
  return binding.element !== undefined && binding.element.startsWith("texture_");
}

function bindingDecl(b: BindingSpec, index: number): string {
  const at = `@group(0) @binding(${index})`;
  if (b.element === "texture_2d<f32>") {
    if (b.access !== "read") throw new TypeError(`binding ${b.name}: texture_2d<f32> is read-only`);
    return `${at} var ${b.name}: texture_2d<f32>;`;
  }
  if (b.element === "texture_storage_2d<rgba32float, write>") {
    if (b.access !== "read_write") {
      throw new TypeError(`binding ${b.name}: a storage texture is an output (access read_write)`);
    }
    return `${at} var ${b.name}: texture_storage_2d<rgba32float, write>;`;
  }
  return `${at} var<storage, ${b.access}> ${b.name}: array<${b.element ?? "f32"}>;`;
}

/** Values a specialisation config may hold; each becomes a WGSL `const`. */
export type ConstValue = number | boolean;

/** A compute kernel: WGSL source plus how to specialise and bind it. */
export interface KernelSpec<C extends Record<string, ConstValue> = Record<string, ConstValue>> {
  /** Unique name, `family.kernel`. */
  name: string;
  /** WGSL body (without the generated header); must define `@compute fn main`. */
  source: string;
  /** Storage bindings in binding order (binding 0 is `meta`). */
  bindings: readonly BindingSpec[];
  /** Threads per workgroup (1-D); may depend on the config. */
  workgroupSize: number | ((config: C) => number);
  /** Integer constants are `u32` unless listed here as `i32` or `f32`. */
  constTypes?: Partial<Record<keyof C, "u32" | "i32" | "f32">>;
}

/**
 * The pipeline-cache key of a spec under a config: its name plus the config's entries in key order.
 *
 * @example
 * ```ts
 * import { cacheKey } from "./kernel.ts";
 * console.log(cacheKey({ name: "ew.unary" }, { OP: 3 })); // ew.unary|OP=3
 * ```
 */
export function cacheKey(spec: { name: string }, config: Record<string, ConstValue>): string {
  const keys = Object.keys(config).sort();
  return [spec.name, ...keys.map((k) => `${k}=${Number(config[k])}`)].join("|");
}

function wgslConst(name: string, value: ConstValue, type: "u32" | "i32" | "f32" | undefined): string {
  if (typeof value === "boolean") return `const ${name}: bool = ${value};`;
  const t = type ?? "u32";
  if (t === "f32") return `const ${name}: f32 = ${Number.isInteger(value) ? value.toFixed(1) : value};`;
  if (!Number.isInteger(value)) throw new TypeError(`const ${name}=${value} must be an integer for ${t}`);
  if (t === "u32" && value < 0) throw new TypeError(`const ${name}=${value} must be >= 0 for u32`);
  return `const ${name}: ${t} = ${value}${t === "u32" ? "u" : "i"};`;
}

/**
 * Resolves the workgroup size of a spec under a config.
 *
 * @example
 * ```ts
 * import { workgroupSizeOf } from "./kernel.ts";
 * console.log(workgroupSizeOf({ workgroupSize: 64 } as never, {})); // 64
 * ```
 */
export function workgroupSizeOf<C extends Record<string, ConstValue>>(
  spec: KernelSpec<C>,
  config: C,
): number {
  return typeof spec.workgroupSize === "function" ? spec.workgroupSize(config) : spec.workgroupSize;
}

/**
 * The complete WGSL module of a spec under a config: generated header, then the spec's body.
 *
 * @example
 * ```ts
 * import { moduleCode } from "./kernel.ts";
 * const code = moduleCode({
 *   name: "t.k",
 *   source: "@compute @workgroup_size(WG) fn main() {}",
 *   bindings: [{ name: "out", access: "read_write" }],
 *   workgroupSize: 64,
 * }, {});
 * console.log(code.includes("var<storage, read_write> out")); // true
 * ```
 */
export function moduleCode<C extends Record<string, ConstValue>>(spec: KernelSpec<C>, config: C): string {
  const lines = [
    `// ${cacheKey(spec, config)} (generated header)`,
    `struct Meta { v: array<vec4<u32>, ${META_WORDS / 4}> }`,
    `@group(0) @binding(0) var<uniform> params: Meta;`,
    `fn m(i: u32) -> u32 { return params.v[i >> 2u][i & 3u]; }`,
    `fn mi(i: u32) -> i32 { return bitcast<i32>(m(i)); }`,
    `fn mf(i: u32) -> f32 { return bitcast<f32>(m(i)); }`,
    `const WG: u32 = ${workgroupSizeOf(spec, config)}u;`,
    `fn flat_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.x + gid.y * nwg.x * WG; }`,
  ];
  spec.bindings.forEach((b, i) => lines.push(bindingDecl(b, i + 1)));
  for (const [k, v] of Object.entries(config)) lines.push(wgslConst(k, v, spec.constTypes?.[k]));
  return `${lines.join("\n")}\n${spec.source}`;
}

/**
 * Packs uniform values into a dispatch's `meta` words: integers as u32 (or i32 two's complement) and
 * floats marked with {@link f32} as their bit patterns.
 *
 * @example
 * ```ts
 * import { packMeta, f32 } from "./kernel.ts";
 * const words = packMeta([3, 4, f32(0.5)]);
 * console.log(words[0], words.length); // 3 64
 * ```
 */
export function packMeta(values: readonly (number | F32Word)[]): Uint32Array {
  if (values.length > META_WORDS) {
    throw new RangeError(`meta holds ${META_WORDS} words, got ${values.length}`);
  }
  const words = new Uint32Array(META_WORDS);
  const view = new DataView(words.buffer);
  values.forEach((v, i) => {
    if (typeof v === "number") {
      if (!Number.isInteger(v)) throw new TypeError(`meta word ${i} = ${v}: wrap floats with f32()`);
      words[i] = v >>> 0;
    } else view.setFloat32(i * 4, v.value, true);
  });
  return words;
}

/** A float meta value (see {@link f32}). */
export interface F32Word {
  /** The value, stored as its float32 bit pattern. */
  value: number;
}

/**
 * Marks a meta value as a float.
 *
 * @example
 * ```ts
 * import { f32 } from "./kernel.ts";
 * console.log(f32(1e-5).value); // 0.00001
 * ```
 */
export function f32(value: number): F32Word {
  return { value };
}
