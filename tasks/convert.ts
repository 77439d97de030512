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
import { basename } from "node:path";
import { shapeSize } from "../core/host_tensor.ts";
import { writeSafetensors } from "../core/io/safetensors.ts";
import { STATE_DICT_ENTRIES } from "../core/io/state_dict.ts";
import { readWeights } from "../core/io/weights.ts";
import { parseFlags, runMain, UsageError } from "./cli.ts";

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
 * Runs the converter with command-line `args`; returns 0, or throws: a {@link UsageError} for bad
 * arguments (exit code 2 under {@link runMain}), an `Error` naming the file for unreadable input.
 *
 * @example
 * ```ts
 * import { main } from "./convert.ts";
 * const code = await main(["model.pth", "model.safetensors", "--strip-prefix", "module."]);
 * console.log(code); // 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
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
    throw new UsageError(
      `expected <checkpoint> <out.safetensors>, got ${positionals.length} positional argument(s)`,
    );
  }
  const [input, output] = positionals;
  let tensors;
  try {
    tensors = await readWeights(input, {
      stripPrefixes: values["strip-prefix"] ?? [],
      entry: values.entry,
      allowInertGlobals: values["allow-inert"] ?? [],
    });
  } catch (err) {
    const message = (err as Error).message;
    if (!message.includes("is not in the allowlist")) throw err;
    throw new Error(
      `${message} (if it is a harmless class in a non-tensor entry, pass --allow-inert module.Name)`,
    );
  }
  let params = 0;
  for (const t of tensors.values()) params += shapeSize(t.shape);
  await writeSafetensors(output, tensors, { format: "pt", converted_from: basename(input) });
  console.log(`${output}: wrote ${tensors.size} tensors, ${params} parameters (from ${input})`);
  return 0;
}

if (import.meta.main) runMain("convert", main);
