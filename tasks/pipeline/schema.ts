/**
 * A small validation schema for plain-JSON configuration: numbers (integer, bounds), strings (pattern),
 * booleans, enumerations, arrays (length bounds, uniqueness), objects (every field required, unknown
 * fields rejected with a suggestion) and nullable values. A failed check throws a {@link ConfigError}
 * naming the field path (`probe.losses[1]`), what was expected and what was found. Every node carries a
 * `doc` string, from which {@link schemaFields} lists the documented fields (for the presets README).
 *
 * @module
 */

/** A validation failure at a field path. */
export class ConfigError extends Error {
  /** Dotted path of the bad field (`$` for the root). */
  readonly path: string;
  /** What is wrong, without the path. */
  readonly detail: string;
  /**
   * A failure at `path`; the message becomes `'path': message`.
   *
   * @param path the field path
   * @param message what is wrong
   */
  constructor(path: string, message: string) {
    super(`${path === "$" ? "config" : `'${path}'`}: ${message}`);
    this.name = "ConfigError";
    this.path = path;
    this.detail = message;
  }
}

/** A schema node validating values of type `T`. */
export interface Schema<T> {
  /** Node kind. */
  readonly kind:
    | "number"
    | "string"
    | "boolean"
    | "enum"
    | "array"
    | "object"
    | "nullable"
    | "optional"
    | "record";
  /** Documentation of the field. */
  readonly doc: string;
  /** Short text of the accepted values, e.g. `integer >= 1`. */
  readonly type: string;
  /** Validates `value` at `path`, returning it typed (throws {@link ConfigError}). */
  check(value: unknown, path: string): T;
  /** Object fields (object nodes). */
  readonly fields?: Record<string, Schema<unknown>>;
  /** Element schema (array nodes) or inner schema (nullable nodes). */
  readonly inner?: Schema<unknown>;
}

/** The value type of a schema. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "$" ? key : `${path}.${key}`;
}

/** Options of {@link num}. */
export interface NumOptions {
  /** Documentation. */
  doc: string;
  /** Integers only. */
  int?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
}

/**
 * A finite number (optionally an integer within bounds).
 *
 * @example
 * ```ts
 * import { num } from "./schema.ts";
 * console.log(num({ doc: "epochs", int: true, min: 1 }).check(5, "epochs")); // 5
 * ```
 */
export function num(o: NumOptions): Schema<number> {
  const bounds = [o.min !== undefined ? `>= ${o.min}` : "", o.max !== undefined ? `<= ${o.max}` : ""]
    .filter((s) => s).join(", ");
  const type = `${o.int ? "integer" : "number"}${bounds ? " " + bounds : ""}`;
  return {
    kind: "number",
    doc: o.doc,
    type,
    check(v, path) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new ConfigError(path, `expected ${type}, got ${show(v)}`);
      }
      if (o.int && !Number.isInteger(v)) throw new ConfigError(path, `expected ${type}, got ${v}`);
      if (o.min !== undefined && v < o.min) throw new ConfigError(path, `expected ${type}, got ${v}`);
      if (o.max !== undefined && v > o.max) throw new ConfigError(path, `expected ${type}, got ${v}`);
      return v;
    },
  };
}

/**
 * A string, optionally matching a pattern.
 *
 * @example
 * ```ts
 * import { str } from "./schema.ts";
 * console.log(str({ doc: "name", pattern: /^[a-z]+$/ }).check("smoke", "name")); // "smoke"
 * ```
 */
export function str(o: { doc: string; pattern?: RegExp; nonEmpty?: boolean }): Schema<string> {
  const type = o.pattern ? `string matching ${o.pattern}` : o.nonEmpty ? "non-empty string" : "string";
  return {
    kind: "string",
    doc: o.doc,
    type,
    check(v, path) {
      if (typeof v !== "string") throw new ConfigError(path, `expected ${type}, got ${show(v)}`);
      if (o.nonEmpty && v === "") throw new ConfigError(path, `expected ${type}, got ""`);
      if (o.pattern && !o.pattern.test(v)) throw new ConfigError(path, `expected ${type}, got ${show(v)}`);
      return v;
    },
  };
}

/**
 * A boolean.
 *
 * @example
 * ```ts
 * import { bool } from "./schema.ts";
 * console.log(bool({ doc: "bias" }).check(true, "bias")); // true
 * ```
 */
export function bool(o: { doc: string }): Schema<boolean> {
  return {
    kind: "boolean",
    doc: o.doc,
    type: "boolean",
    check(v, path) {
      if (typeof v !== "boolean") throw new ConfigError(path, `expected true or false, got ${show(v)}`);
      return v;
    },
  };
}

/**
 * One of a fixed list of strings.
 *
 * @example
 * ```ts
 * import { oneOf } from "./schema.ts";
 * console.log(oneOf(["ce", "bce"] as const, { doc: "loss" }).check("bce", "loss")); // "bce"
 * ```
 */
export function oneOf<const T extends string>(values: readonly T[], o: { doc: string }): Schema<T> {
  const type = values.map((v) => `\`${v}\``).join(" | ");
  return {
    kind: "enum",
    doc: o.doc,
    type,
    check(v, path) {
      if (typeof v !== "string" || !(values as readonly string[]).includes(v)) {
        throw new ConfigError(path, `expected one of ${values.join(", ")}, got ${show(v)}`);
      }
      return v as T;
    },
  };
}

/**
 * An array of `elem` with optional length bounds and uniqueness.
 *
 * @example
 * ```ts
 * import { arr, num } from "./schema.ts";
 * const seeds = arr(num({ doc: "seed", int: true, min: 0 }), { doc: "seeds", min: 1, unique: true });
 * console.log(seeds.check([0, 1], "seeds")); // [0, 1]
 * ```
 */
export function arr<T>(
  elem: Schema<T>,
  o: { doc: string; min?: number; max?: number; unique?: boolean },
): Schema<T[]> {
  const len = o.min !== undefined && o.max !== undefined && o.min === o.max
    ? ` of length ${o.min}`
    : o.min
    ? ` (at least ${o.min})`
    : "";
  const type = `list of ${elem.type}${len}${o.unique ? ", distinct" : ""}`;
  return {
    kind: "array",
    doc: o.doc,
    type,
    inner: elem as Schema<unknown>,
    check(v, path) {
      if (!Array.isArray(v)) throw new ConfigError(path, `expected a ${type}, got ${show(v)}`);
      if (o.min !== undefined && v.length < o.min) {
        throw new ConfigError(path, `expected at least ${o.min} entries, got ${v.length}`);
      }
      if (o.max !== undefined && v.length > o.max) {
        throw new ConfigError(path, `expected at most ${o.max} entries, got ${v.length}`);
      }
      const out = v.map((e, i) => elem.check(e, join(path, i)));
      if (o.unique) {
        const seen = new Set<string>();
        out.forEach((e, i) => {
          const k = JSON.stringify(e);
          if (seen.has(k)) throw new ConfigError(join(path, i), `duplicate entry ${show(e)}`);
          seen.add(k);
        });
      }
      return out;
    },
  };
}

/**
 * `null` or a value of `inner`.
 *
 * @example
 * ```ts
 * import { nullable, str } from "./schema.ts";
 * console.log(nullable(str({ doc: "path" })).check(null, "root")); // null
 * ```
 */
export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    kind: "nullable",
    doc: inner.doc,
    type: `${inner.type} or null`,
    inner: inner as Schema<unknown>,
    fields: inner.fields,
    check(v, path) {
      if (v === null) return null;
      try {
        return inner.check(v, path);
      } catch (e) {
        // Name null among the accepted values when the value itself (not a field inside it) is wrong.
        if (e instanceof ConfigError && e.path === path && e.detail.startsWith(`expected ${inner.type},`)) {
          throw new ConfigError(
            path,
            e.detail.replace(`expected ${inner.type},`, `expected ${inner.type} or null,`),
          );
        }
        throw e;
      }
    },
  };
}

/**
 * An object field that may be absent (only meaningful inside {@link obj}).
 *
 * @example
 * ```ts
 * import { num, obj, optional } from "./schema.ts";
 * console.log(obj({ n: optional(num({ doc: "n" })) }, { doc: "x" }).check({}, "x")); // {}
 * ```
 */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> {
  return {
    kind: "optional",
    doc: inner.doc,
    type: `${inner.type} (optional)`,
    inner: inner as Schema<unknown>,
    fields: inner.fields,
    check: (v, path) => inner.check(v, path),
  };
}

/**
 * An object used as a map from any string key to values of `inner`.
 *
 * @example
 * ```ts
 * import { num, record } from "./schema.ts";
 * console.log(record(num({ doc: "v" }), { doc: "m" }).check({ "2x2": 50 }, "gridpg")); // { "2x2": 50 }
 * ```
 */
export function record<T>(inner: Schema<T>, o: { doc: string }): Schema<Record<string, T>> {
  return {
    kind: "record",
    doc: o.doc,
    type: `map of ${inner.type}`,
    inner: inner as Schema<unknown>,
    check(v, path) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new ConfigError(path, `expected an object (map), got ${show(v)}`);
      }
      const out: Record<string, T> = {};
      for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
        out[k] = inner.check(e, join(path, k));
      }
      return out;
    },
  };
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/**
 * An object whose fields are all required and whose unknown fields are errors (with a "did you mean"
 * suggestion).
 *
 * @example
 * ```ts
 * import { num, obj } from "./schema.ts";
 * const s = obj({ epochs: num({ doc: "epochs", int: true, min: 1 }) }, { doc: "probe" });
 * try {
 *   s.check({ epoch: 3 }, "probe");
 * } catch (e) {
 *   console.log((e as Error).message); // 'probe.epoch': unknown field (did you mean 'epochs'?)
 * }
 * ```
 */
export function obj<F extends Record<string, Schema<unknown>>>(
  fields: F,
  o: { doc: string },
): Schema<{ [K in keyof F]: Infer<F[K]> }> {
  return {
    kind: "object",
    doc: o.doc,
    type: "object",
    fields,
    check(v, path) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new ConfigError(path, `expected an object, got ${show(v)}`);
      }
      const rec = v as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        if (!(k in fields)) {
          const near = Object.keys(fields).filter((f) => editDistance(f, k) <= 2);
          throw new ConfigError(
            join(path, k),
            `unknown field${
              near.length ? ` (did you mean '${near[0]}'?)` : ` (known: ${Object.keys(fields).join(", ")})`
            }`,
          );
        }
      }
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(fields)) {
        if (!(k in rec) || rec[k] === undefined) {
          if (s.kind === "optional") continue;
          throw new ConfigError(join(path, k), `missing field (${s.type}: ${s.doc})`);
        }
        out[k] = s.check(rec[k], join(path, k));
      }
      return out as { [K in keyof F]: Infer<F[K]> };
    },
  };
}

/** One documented field. */
export interface FieldDoc {
  /** Dotted path; array elements as `[]`. */
  path: string;
  /** Accepted values. */
  type: string;
  /** Documentation. */
  doc: string;
}

/**
 * Every field of a schema, depth first, for documentation.
 *
 * @example
 * ```ts
 * import { num, obj, schemaFields } from "./schema.ts";
 * const s = obj({ probe: obj({ epochs: num({ doc: "epochs", int: true }) }, { doc: "probe" }) }, { doc: "root" });
 * console.log(schemaFields(s).map((f) => f.path)); // ["probe", "probe.epochs"]
 * ```
 */
export function schemaFields(schema: Schema<unknown>, prefix = ""): FieldDoc[] {
  const out: FieldDoc[] = [];
  const fields = schema.fields;
  if (fields) {
    for (const [k, s] of Object.entries(fields)) {
      const path = prefix ? `${prefix}.${k}` : k;
      out.push({
        path,
        type: s.fields ? (s.kind === "nullable" ? "object or null" : "object") : s.type,
        doc: s.doc,
      });
      out.push(...schemaFields(s, path));
    }
  } else if (schema.kind === "array" && schema.inner?.fields) {
    out.push(...schemaFields(schema.inner, `${prefix}[]`));
  }
  return out;
}

/**
 * The schema node at a field path (`a.b[0].c` or `a.b.0.c`), or null when there is none.
 *
 * @example
 * ```ts
 * import { arr, num, obj, schemaAt } from "./schema.ts";
 * const s = obj({ seeds: arr(num({ doc: "seed", int: true }), { doc: "seeds" }) }, { doc: "root" });
 * console.log(schemaAt(s, ["seeds", 0])?.type); // "integer"
 * ```
 */
export function schemaAt(
  schema: Schema<unknown>,
  path: readonly (string | number)[],
): Schema<unknown> | null {
  let s: Schema<unknown> | undefined = schema;
  for (const seg of path) {
    if (!s) return null;
    while (s && (s.kind === "nullable" || s.kind === "optional")) s = s.inner;
    if (!s) return null;
    if (typeof seg === "number") s = s.kind === "array" ? s.inner : undefined;
    else s = s.kind === "record" ? s.inner : s.fields?.[seg];
  }
  return s ?? null;
}
