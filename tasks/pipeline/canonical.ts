/**
 * Canonical JSON and content keys. A stage's artifact key is the SHA-256 of the canonical JSON of what
 * determines its output (its name, code version, config and its dependencies' keys), so the same inputs
 * always map to the same directory and any change to them maps to a new one.
 *
 * Canonical form: object keys sorted by UTF-16 code units, no whitespace, `JSON.stringify` escaping of
 * strings and numbers, arrays in order. Values must be plain JSON: `undefined` object entries are dropped
 * (as `JSON.stringify` does); non-finite numbers, functions, symbols, bigints and class instances other
 * than plain objects/arrays are rejected with the offending path, because they would hash ambiguously.
 *
 * @module
 */

/** A plain JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function encode(v: unknown, path: string, out: string[]): void {
  if (v === null || typeof v === "boolean" || typeof v === "string") {
    out.push(JSON.stringify(v));
  } else if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: non-finite number at ${path}`);
    out.push(JSON.stringify(v));
  } else if (Array.isArray(v)) {
    out.push("[");
    v.forEach((e, i) => {
      if (i > 0) out.push(",");
      if (e === undefined) throw new TypeError(`canonicalJson: undefined at ${path}[${i}]`);
      encode(e, `${path}[${i}]`, out);
    });
    out.push("]");
  } else if (isPlainObject(v)) {
    out.push("{");
    let first = true;
    for (const k of Object.keys(v).sort()) {
      if (v[k] === undefined) continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(k), ":");
      encode(v[k], path === "$" ? `$.${k}` : `${path}.${k}`, out);
    }
    out.push("}");
  } else {
    throw new TypeError(`canonicalJson: not a plain JSON value at ${path} (${typeof v})`);
  }
}

/**
 * The canonical JSON text of `value` (sorted keys, no whitespace); throws on non-JSON values.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical.ts";
 * console.log(canonicalJson({ b: [1, { d: 2, c: 3 }], a: "x" })); // {"a":"x","b":[1,{"c":3,"d":2}]}
 * ```
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  encode(value, "$", out);
  return out.join("");
}

/**
 * Lower-case hex SHA-256 (via `crypto.subtle`) of a string's UTF-8 bytes or of raw bytes.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./canonical.ts";
 * console.log((await sha256Hex("abc")).slice(0, 8)); // "ba7816bf"
 * ```
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The SHA-256 hex key of a value's canonical JSON (see {@link canonicalJson}).
 *
 * @example
 * ```ts
 * import { contentKey } from "./canonical.ts";
 * console.log(await contentKey({ a: 1, b: 2 }) === await contentKey({ b: 2, a: 1 })); // true
 * ```
 */
export function contentKey(value: unknown): Promise<string> {
  return sha256Hex(canonicalJson(value));
}
