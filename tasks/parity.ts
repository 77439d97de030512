/**
 * `deno task parity <fixture.json> [--weights FILE] [--strip-prefix P ...]`: builds the model a
 * PyTorch fixture describes (torchvision ResNet of any widths/blocks/sizes, torchvision ViT, or the
 * two-layer B-cos network), loads its weights from the fixture's safetensors or from FILE
 * (safetensors or a PyTorch checkpoint), recomputes every expected tensor the fixture holds, prints
 * the max relative error of each as JSON, and exits 1 if any is above tolerance.
 *
 * @module
 */
import { initGpu } from "../core/gpu/device.ts";
import type { HostTensor } from "../core/host_tensor.ts";
import { readSafetensors } from "../core/io/safetensors.ts";
import { readWeights } from "../core/io/weights.ts";
import { parseFlags, runMain, UsageError } from "./cli.ts";
import type { ParityRow } from "./parity/compare.ts";
import { bcosSmallParity } from "./parity/bcos_small.ts";
import { resnetParity } from "./parity/resnet.ts";
import { vitParity } from "./parity/vit.ts";

const HELP = `deno task parity <fixture.json> [--weights FILE] [--strip-prefix P ...]

Recomputes a PyTorch fixture's expected tensors on the WebGPU adapter and prints, as JSON, the max
relative error of each (max |a-b| / (max |b| + 1e-6)); exits 1 if any exceeds its tolerance
(1e-4 forward, 1e-3 gradients). The fixture's safetensors must sit beside its JSON.

  --weights FILE       weights from FILE (safetensors or .pth/.pt) instead of the fixture's
  --strip-prefix P     strip a key prefix from FILE's keys (repeatable; e.g. module.)
  --entry NAME         the checkpoint entry holding the state dict (e.g. state_dict)
  --help               this text`;

/** The result of a parity run. */
export interface ParityReport {
  /** The fixture's JSON path. */
  fixture: string;
  /** The model family detected. */
  model: "resnet" | "vit" | "bcos_small";
  /** One row per compared tensor. */
  rows: ParityRow[];
  /** True when every row is within tolerance. */
  ok: boolean;
}

/**
 * Runs the parity check of one fixture.
 *
 * @example
 * ```ts ignore
 * const report = await runParity("tests/fixtures/torch/vit_small.json");
 * console.log(report.ok);
 * ```
 */
export async function runParity(
  fixturePath: string,
  opts: { weights?: string; stripPrefixes?: string[]; entry?: string } = {},
): Promise<ParityReport> {
  let spec: Record<string, unknown>;
  try {
    spec = JSON.parse(await Deno.readTextFile(fixturePath));
  } catch (e) {
    throw new Error(`cannot read fixture ${fixturePath}: ${(e as Error).message}`);
  }
  const tensorsPath = fixturePath.replace(/\.json$/, ".safetensors");
  const tensors = await readSafetensors(tensorsPath);
  let weights: Map<string, HostTensor>;
  if (opts.weights) {
    weights = await readWeights(opts.weights, { stripPrefixes: opts.stripPrefixes, entry: opts.entry });
  } else {
    weights = new Map();
    for (const [k, v] of tensors) if (k.startsWith("weights.")) weights.set(k.slice("weights.".length), v);
  }
  await initGpu();
  let model: ParityReport["model"];
  let rows: ParityRow[];
  if (Array.isArray(spec.widths) && Array.isArray(spec.layers)) {
    model = "resnet";
    rows = await resnetParity(spec as never, tensors, weights);
  } else if (typeof spec.patch_size === "number") {
    model = "vit";
    rows = await vitParity(spec as never, tensors, weights);
  } else if (tensors.has("w1") && tensors.has("w2") && typeof spec.target === "number") {
    model = "bcos_small";
    rows = await bcosSmallParity(spec as never, tensors);
  } else {
    throw new Error(
      `${fixturePath}: not a ResNet, ViT or B-cos fixture (no widths/layers, patch_size, or w1/w2)`,
    );
  }
  if (rows.length === 0) {
    throw new Error(`${fixturePath}: the fixture holds no expected tensor this task computes`);
  }
  return { fixture: fixturePath, model, rows, ok: rows.every((r) => r.ok) };
}

/**
 * CLI entry point; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["tests/fixtures/torch/resnet_bottleneck_small.json"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const parsed = parseFlags({
    args,
    allowPositionals: true,
    options: {
      weights: { type: "string" },
      "strip-prefix": { type: "string", multiple: true },
      entry: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError("expected exactly one fixture JSON path");
  const report = await runParity(parsed.positionals[0], {
    weights: parsed.values.weights,
    stripPrefixes: parsed.values["strip-prefix"],
    entry: parsed.values.entry,
  });
  const errors = Object.fromEntries(report.rows.map((r) => [r.name, Number(r.maxRelError.toExponential(3))]));
  console.log(
    JSON.stringify(
      { fixture: report.fixture, model: report.model, ok: report.ok, maxRelError: errors },
      null,
      1,
    ),
  );
  for (const r of report.rows.filter((r) => !r.ok)) {
    console.error(`parity: ${r.name}: max relative error ${r.maxRelError.toExponential(3)} > ${r.tolerance}`);
  }
  return report.ok ? 0 : 1;
}

if (import.meta.main) runMain("parity", main);
