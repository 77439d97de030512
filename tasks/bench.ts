/**
 * `deno task bench [--only GROUP] [--repeat N] [--json]`: prints the adapter (name and fallback flag),
 * then milliseconds and GFLOP/s of the registered bench groups: `matmul` (square 512, 1024, 2048,
 * and `matmul.tB` at 1024 with the second operand stored transposed, as `linear` has it), `conv`
 * (conv2d forward / backward to data / backward to weights at ResNet-50 layer shapes, batch 2),
 * `explainers` (images per second of each explainer on a small ResNet), plus any group
 * another module under `tasks/bench/` registers with `registerBench`.
 *
 * Each row warms up once, then records N iterations back to back and waits for the queue once, so no
 * readback sits inside the timing; the row shows the mean milliseconds per iteration.
 *
 * @module
 */
import { initGpu } from "../core/gpu/device.ts";
import { parseFlags, runMain, UsageError } from "./cli.ts";
import { benchContext, benchGroups, type BenchRow } from "./bench/registry.ts";

const HELP = `deno task bench [--only GROUP] [--repeat N] [--json]

Times GPU kernels on the current WebGPU adapter (printed first, with its fallback flag).

  --only GROUP   run one group: matmul, conv, or one a tasks/bench/ module registers
  --repeat N     timed iterations per row, recorded back to back with one sync (default 3)
  --json         one JSON object per line: the adapter, then {name, shape, ms, gflops} per row
  --help         this text`;

/** Built-in groups, in the order they run; other modules in tasks/bench/ follow in name order. */
const BUILT_IN = ["matmul.ts", "conv.ts"];

async function loadGroups(): Promise<void> {
  for (const file of BUILT_IN) await import(`./bench/${file}`);
  const dir = new URL("./bench/", import.meta.url);
  if (dir.protocol !== "file:") return;
  const extra: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const name = entry.name;
    if (entry.isFile && name.endsWith(".ts") && name !== "registry.ts" && !BUILT_IN.includes(name)) {
      extra.push(name);
    }
  }
  for (const file of extra.sort()) await import(new URL(file, dir).href);
}

function formatRow(row: BenchRow): string {
  const rate = row.gflops === null ? "" : `${row.gflops.toFixed(2).padStart(9)} GFLOP/s`;
  const extra = row.throughput ? `  ${row.throughput.value.toFixed(2)} ${row.throughput.unit}` : "";
  return `${row.name.padEnd(24)} ${row.shape.padEnd(28)} ${
    row.ms.toFixed(2).padStart(10)
  } ms ${rate}${extra}`;
}

/**
 * Runs the bench with command-line arguments; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["--only", "matmul", "--repeat", "5"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      only: { type: "string" },
      repeat: { type: "string", default: "3" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat must be a positive integer`);
  await loadGroups();
  const groups = benchGroups().filter(([name]) => !values.only || name === values.only);
  if (groups.length === 0) {
    throw new UsageError(
      `unknown group '${values.only}' (have: ${benchGroups().map(([n]) => n).join(", ")})`,
    );
  }
  const { adapter } = await initGpu();
  const json = values.json;
  if (json) console.log(JSON.stringify({ adapter: adapter.name, isFallback: adapter.isFallback }));
  else console.log(`adapter: ${adapter.name} (fallback: ${adapter.isFallback})`);
  const ctx = benchContext(
    repeat,
    (row) => console.log(json ? JSON.stringify(row) : formatRow(row)),
    (text) => console.log(json ? JSON.stringify({ note: text }) : `note: ${text}`),
  );
  for (const [, run] of groups) await run(ctx);
  return 0;
}

if (import.meta.main) runMain("bench", main);
