/**
 * `deno task reproduce [--preset smoke|fmnist|paper|FILE] [flags]`: the paper's experiment matrix end to
 * end. Stages (pre-train, train probes, explain + evaluate, then the report's qualitative maps and Figure
 * 4's equivalent probes) write artifacts keyed by a hash of their configuration under `<out>/artifacts/`;
 * a rerun skips finished stages and an interrupted run resumes.
 * When every stage is done, `<out>/results.json`, `<out>/report.md`, `<out>/tables/*.csv` and
 * `<out>/figures/*.png` are written.
 *
 * @module
 */
import { initGpu } from "../core/gpu/device.ts";
import { parsePipelineArgs, PIPELINE_FLAGS_HELP } from "./pipeline/args.ts";
import { ConfigError } from "./pipeline/schema.ts";
import { PipelineError, runPipeline } from "./pipeline/runner.ts";
import { stageTimings } from "./report/environment.ts";
import { writeReport } from "./report/report.ts";
import { RESULTS_FORMAT, writeResults } from "./report/results.ts";
import { runMain, UsageError } from "./cli.ts";
import { collectRuns } from "./reproduce/collect.ts";
import { collectExtras } from "./reproduce/collect_extras.ts";
import { buildStages } from "./reproduce/stages.ts";

const HELP = `deno task reproduce [--preset smoke|fmnist|paper|FILE.json] [flags]

Runs the How-to-Probe experiment matrix on the WebGPU adapter: pre-training, probes (linear CE/BCE,
MLP, B-cos MLP), explainers, metrics (GridPG, EPG, deletion, Gini, entropy), then results.json and a
Markdown report with tables, plots and heatmaps. Finished stages are skipped on a rerun.

${PIPELINE_FLAGS_HELP}
  --help            this text

Exit codes: 0 done, 1 error, 2 usage, 3 GPU device lost (rerun to resume), 130 interrupted.`;

/**
 * Runs the pipeline; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["--preset", "smoke"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = await parsePipelineArgs(args);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof RangeError || e instanceof TypeError) {
      throw new UsageError(e.message);
    }
    throw e;
  }
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  const { config, options } = parsed;
  if (parsed.printConfig) {
    console.log(JSON.stringify(config, null, 2));
    return 0;
  }
  const { adapter } = await initGpu();
  console.error(
    `reproduce: preset ${config.name} on ${adapter.name}${adapter.isFallback ? " (CPU fallback)" : ""}`,
  );
  const startedAt = new Date().toISOString();
  let result;
  try {
    result = await runPipeline(buildStages(config), {
      ...options,
      versions: { project: "0.1.0", deno: Deno.version.deno, v8: Deno.version.v8, adapter: adapter.name },
    });
  } catch (e) {
    if (e instanceof PipelineError) throw new UsageError(e.message);
    throw e;
  }
  if (!result.complete) {
    console.error("reproduce: this run finished its part (shard); run --merge once every shard is done");
    return 0;
  }
  const results = await writeResults(`${config.out}/results.json`, {
    format: RESULTS_FORMAT,
    preset: config.name,
    description: config.description,
    createdAt: new Date().toISOString(),
    environment: {
      adapter: { name: adapter.name, vendor: adapter.vendor, isFallback: adapter.isFallback },
      versions: { deno: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript },
      seeds: config.seeds,
      stages: await stageTimings(result.stages),
      startedAt,
      finishedAt: new Date().toISOString(),
    },
    runs: await collectRuns(config, result),
    ...await collectExtras(config, result),
  });
  const written = await writeReport(results, config.out, {
    resultsDir: config.out,
    confidence: config.report.confidence,
  });
  console.error(
    `reproduce: wrote ${config.out}/results.json and ${written.length} report files (${config.out}/report.md)`,
  );
  return 0;
}

if (import.meta.main) runMain("reproduce", main);
