/**
 * Presets: plain JSON configuration files (`presets/<name>.json`, or any path), loaded, overridden
 * field by field (`--set key.path=value`) and validated against the configuration schema.
 *
 * Override values are read according to the field's type: numbers and booleans parse, strings are
 * taken verbatim (a JSON string literal also works), lists accept JSON (`[0,1]`) or comma-separated
 * entries (`ce,bce`), `null` sets a nullable field to null, and objects take JSON. Paths use dots and
 * either `[i]` or `.i` for list entries (`backbones[0].checkpoint`).
 *
 * @module
 */
import { CONFIG_SCHEMA, type PipelineConfig, validateConfig } from "./config.ts";
import { ConfigError, type Schema, schemaAt } from "./schema.ts";

/** Names of the presets shipped in `presets/`. */
export const PRESET_NAMES = ["smoke", "fmnist", "paper"] as const;

/** The default preset. */
export const DEFAULT_PRESET = "fmnist";

/**
 * The URL of a preset: a shipped name, or a file path (relative to the working directory).
 *
 * @example
 * ```ts
 * import { presetUrl } from "./preset.ts";
 * console.log(presetUrl("smoke").pathname.endsWith("/presets/smoke.json")); // true
 * ```
 */
export function presetUrl(nameOrPath: string): URL {
  if ((PRESET_NAMES as readonly string[]).includes(nameOrPath)) {
    return new URL(`../../presets/${nameOrPath}.json`, import.meta.url);
  }
  const abs = nameOrPath.startsWith("/") ? nameOrPath : `${Deno.cwd()}/${nameOrPath}`;
  return new URL(`file://${abs.split("/").map(encodeURIComponent).join("/")}`);
}

/**
 * Reads a preset's raw JSON (unvalidated): a shipped name (`smoke`, `fmnist`, `paper`) or a path.
 *
 * @example
 * ```ts
 * import { readPresetJson } from "./preset.ts";
 * const raw = await readPresetJson("smoke") as { name: string };
 * console.log(raw.name); // "smoke"
 * ```
 */
export async function readPresetJson(nameOrPath: string): Promise<unknown> {
  const url = presetUrl(nameOrPath);
  let text: string;
  try {
    text = url.protocol === "file:" ? await Deno.readTextFile(url) : await (await fetch(url)).text();
  } catch (e) {
    const known = (PRESET_NAMES as readonly string[]).includes(nameOrPath);
    throw new ConfigError(
      "$",
      `cannot read preset ${known ? nameOrPath : `file ${nameOrPath}`} (${(e as Error).message}); ` +
        `presets: ${PRESET_NAMES.join(", ")} or a JSON file path`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError("$", `${nameOrPath}: invalid JSON (${(e as Error).message})`);
  }
}

/**
 * Splits a field path into keys and list indices: `backbones[0].arch` and `backbones.0.arch` both give
 * `["backbones", 0, "arch"]`.
 *
 * @example
 * ```ts
 * import { parseFieldPath } from "./preset.ts";
 * console.log(parseFieldPath("evaluate.gridpg.sizes[1]")); // ["evaluate", "gridpg", "sizes", 1]
 * ```
 */
export function parseFieldPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === "" && m[2] === "")) throw new ConfigError(path, "malformed field path");
    if (m[1] !== "") out.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

function coerce(text: string, schema: Schema<unknown> | null, path: string): unknown {
  const json = (): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  if (schema === null) {
    const v = json();
    return v === undefined ? text : v;
  }
  if (schema.kind === "nullable") {
    if (text === "null") return null;
    return coerce(text, schema.inner ?? null, path);
  }
  switch (schema.kind) {
    case "number": {
      const v = Number(text);
      if (text.trim() === "" || !Number.isFinite(v)) {
        throw new ConfigError(path, `expected ${schema.type}, got '${text}'`);
      }
      return v;
    }
    case "boolean":
      if (text === "true" || text === "false") return text === "true";
      throw new ConfigError(path, `expected true or false, got '${text}'`);
    case "string":
    case "enum": {
      if (text.startsWith('"')) {
        const v = json();
        if (typeof v === "string") return v;
      }
      return text;
    }
    case "array": {
      const v = text.trim().startsWith("[") ? json() : undefined;
      if (Array.isArray(v)) return v;
      if (text.trim() === "") return [];
      return text.split(",").map((e, i) => coerce(e.trim(), schema.inner ?? null, `${path}[${i}]`));
    }
    default: {
      const v = json();
      if (v === undefined) throw new ConfigError(path, `expected JSON for an ${schema.type}, got '${text}'`);
      return v;
    }
  }
}

/**
 * Applies one `key.path=value` override to a raw configuration object (in place), reading `value`
 * according to the field's schema type (see the module doc). Unknown intermediate fields are reported.
 *
 * @example
 * ```ts
 * import { applyOverride } from "./preset.ts";
 * const raw = { probe: { losses: ["ce"], epochs: 3 } };
 * applyOverride(raw, "probe.losses=ce,bce");
 * applyOverride(raw, "probe.epochs=7");
 * console.log(raw.probe); // { losses: ["ce", "bce"], epochs: 7 }
 * ```
 */
export function applyOverride(
  raw: unknown,
  assignment: string,
  schema: Schema<unknown> = CONFIG_SCHEMA as Schema<unknown>,
): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new ConfigError("$", `--set expects key.path=value, got '${assignment}'`);
  const pathText = assignment.slice(0, eq).trim();
  const path = parseFieldPath(pathText);
  const value = coerce(assignment.slice(eq + 1), schemaAt(schema, path), pathText);
  let node = raw as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const next = node?.[path[i]];
    if (typeof next !== "object" || next === null) {
      const where = path.slice(0, i + 1).map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")
        .slice(1);
      throw new ConfigError(
        where,
        `cannot set '${pathText}': '${where}' is not an object or list in this config`,
      );
    }
    node = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (Array.isArray(node) && typeof last === "number" && last > node.length) {
    throw new ConfigError(pathText, `index ${last} is past the end of the list (length ${node.length})`);
  }
  node[last] = value;
}

/** How to build a configuration. */
export interface ConfigSource {
  /** Preset name or JSON file path (default {@link DEFAULT_PRESET}). */
  preset?: string;
  /** `key.path=value` overrides, applied in order. */
  set?: readonly string[];
  /** Shorthand for `seeds`. */
  seeds?: readonly number[];
  /** Shorthand for `out`. */
  out?: string;
}

/**
 * Loads a preset, applies the overrides (`set`, then `seeds` and `out`) and validates the result.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./preset.ts";
 * const c = await loadConfig({ preset: "smoke", seeds: [3], set: ["probe.epochs=2"] });
 * console.log(c.seeds, c.probe.epochs); // [3] 2
 * ```
 */
export async function loadConfig(source: ConfigSource = {}): Promise<PipelineConfig> {
  const raw = await readPresetJson(source.preset ?? DEFAULT_PRESET);
  for (const s of source.set ?? []) applyOverride(raw, s);
  const rec = raw as Record<string, unknown>;
  if (source.seeds) rec.seeds = [...source.seeds];
  if (source.out !== undefined) rec.out = source.out;
  return validateConfig(raw);
}
