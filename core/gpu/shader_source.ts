/**
 * Loads hand-written WGSL from the repository's `shaders/` folder, relative to this module's URL, so
 * that the toolkit works when imported by `file:` or `https:` URL alike.
 *
 * A shader file holds one kernel family. Text before the first `// @kernel NAME` line is shared by all
 * kernels of the file; each `// @kernel NAME` line starts the section of one kernel.
 *
 * @module
 */

const SHADER_ROOT = new URL("../../shaders/", import.meta.url);
const families = new Map<string, Promise<Map<string, string>>>();

/**
 * Splits a family file into its kernels' sources (common text + the kernel's section).
 *
 * @example
 * ```ts
 * import { splitKernels } from "./shader_source.ts";
 * const k = splitKernels("fn c() {}\n// @kernel a\nfn a() {}\n");
 * console.log(k.get("a")?.includes("fn c")); // true
 * ```
 */
export function splitKernels(text: string): Map<string, string> {
  const parts = text.split(/^\/\/ @kernel[ \t]+/m);
  const common = parts[0];
  const out = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const nl = part.indexOf("\n");
    const name = part.slice(0, nl).trim();
    out.set(name, `${common}\n${part.slice(nl + 1)}`);
  }
  return out;
}

async function fetchFamily(file: string): Promise<Map<string, string>> {
  const url = new URL(file, SHADER_ROOT);
  let text: string;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (e) {
    throw new Error(`cannot load shader ${url.href}: ${(e as Error).message}`);
  }
  return splitKernels(text);
}

/**
 * Returns the WGSL source of kernel `kernel` in `shaders/<file>`.
 *
 * @example
 * ```ts ignore
 * const src = await kernelSource("elementwise.wgsl", "binary");
 * ```
 */
export async function kernelSource(file: string, kernel: string): Promise<string> {
  let family = families.get(file);
  if (!family) families.set(file, family = fetchFamily(file));
  const src = (await family).get(kernel);
  if (src === undefined) throw new Error(`shaders/${file} has no '// @kernel ${kernel}' section`);
  return src;
}
