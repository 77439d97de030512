/**
 * Converts a PyTorch checkpoint (`.pth`/`.pt`, zip or legacy format) or a safetensors file into an F32
 * safetensors file.
 *
 * ```sh
 * deno run -A tasks/convert.ts <checkpoint> <out.safetensors> [--strip-prefix module. ...] [--entry NAME]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename } from "node:path";
import { shapeSize } from "../core/host_tensor.ts";
import { writeSafetensors } from "../core/io/safetensors.ts";
import { STATE_DICT_ENTRIES } from "../core/io/state_dict.ts";
import { readWeights } from "../core/io/weights.ts";

const USAGE = `Usage: deno run -A tasks/convert.ts <checkpoint> <out.safetensors> [options]

Converts a PyTorch checkpoint (.pth/.pt/.bin, zip or legacy torch.save format) or a safetensors file
to float32 safetensors. Checkpoint pickles are interpreted as data only; nothing in them is executed.

Options:
  --strip-prefix P   remove prefix P from keys (repeatable, applied in order), e.g. module. backbone.
  --entry NAME       take the state dict from top-level entry NAME (default: first of
                     ${STATE_DICT_ENTRIES.join(", ")} holding tensors, else the top level);
                     for safetensors input, keep only keys under NAME. and drop that prefix
  --allow-inert C    accept class C (module.name) in non-tensor entries as inert data (repeatable)
  -h, --help         show this help`;

/**
 * Runs the converter with command-line `args`; returns the exit code (0 ok, 1 error). Errors are printed
 * as one line on stderr, without a stack trace.
 *
 * @example
 * ```ts
 * import { main } from "./convert.ts";
 * const code = await main(["model.pth", "model.safetensors", "--strip-prefix", "module."]);
 * console.log(code); // 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let input: string;
  let output: string;
  let stripPrefixes: string[];
  let entry: string | undefined;
  let allowInert: string[];
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        "strip-prefix": { type: "string", multiple: true },
        "entry": { type: "string" },
        "allow-inert": { type: "string", multiple: true },
        "help": { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (positionals.length !== 2) {
      throw new Error(
        `expected <checkpoint> <out.safetensors>, got ${positionals.length} positional argument(s)`,
      );
    }
    [input, output] = positionals;
    stripPrefixes = values["strip-prefix"] ?? [];
    entry = values.entry;
    allowInert = values["allow-inert"] ?? [];
  } catch (err) {
    console.error(`convert: ${oneLine(err)} (see --help)`);
    return 1;
  }
  try {
    const tensors = await readWeights(input, { stripPrefixes, entry, allowInertGlobals: allowInert });
    let params = 0;
    for (const t of tensors.values()) params += shapeSize(t.shape);
    await writeSafetensors(output, tensors, { format: "pt", converted_from: basename(input) });
    console.log(`${output}: wrote ${tensors.size} tensors, ${params} parameters (from ${input})`);
    return 0;
  } catch (err) {
    const message = oneLine(err);
    const hint = message.includes("is not in the allowlist")
      ? " (if it is a harmless class in a non-tensor entry, pass --allow-inert module.Name)"
      : "";
    console.error(`convert: error: ${message}${hint}`);
    return 1;
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
