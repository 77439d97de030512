/**
 * The report's environment section: the WebGPU adapter, runtime and project versions, seeds, host
 * facts, and the time spent per stage (also written as `tables/stage_timings.csv`).
 *
 * @module
 */
import { formatDuration } from "../pipeline/progress.ts";
import { readDone, type StageOutcome } from "../pipeline/runner.ts";
import type { Environment, StageTiming } from "./results.ts";

const esc = (s: string) => s.replace(/\|/g, "\\|");

/**
 * The environment section's Markdown (without its heading).
 *
 * @example
 * ```ts
 * import { environmentMarkdown } from "./environment.ts";
 * const md = environmentMarkdown({ adapter: { name: "llvmpipe", isFallback: true }, versions: { deno: "2.1" }, seeds: [0, 1],
 *   stages: [{ stage: "probe:linear", seconds: 65, status: "ran" }] });
 * console.log(md.includes("llvmpipe (software adapter)"), md.includes("| probe:linear | ran | 1m05s |")); // true true
 * ```
 */
export function environmentMarkdown(env: Environment): string {
  const a = env.adapter;
  const adapter = a
    ? `${a.name}${a.isFallback ? " (software adapter)" : ""}${a.vendor ? `, vendor ${a.vendor}` : ""}${
      a.architecture ? `, architecture ${a.architecture}` : ""
    }${a.description ? `, ${a.description}` : ""}`
    : "— (not recorded)";
  const lines = [
    `- Adapter: ${adapter}`,
    `- Seeds: ${env.seeds.length ? env.seeds.join(", ") : "—"}`,
  ];
  if (env.startedAt || env.finishedAt) {
    lines.push(`- Run: ${env.startedAt ?? "?"} to ${env.finishedAt ?? "?"}`);
  }
  for (const [k, v] of Object.entries(env.host ?? {})) lines.push(`- ${k}: ${v}`);
  lines.push("", "| component | version |", "| --- | --- |");
  for (const [k, v] of Object.entries(env.versions)) lines.push(`| ${esc(k)} | ${esc(v)} |`);
  if (Object.keys(env.versions).length === 0) lines.push("| — | — |");
  lines.push("", "| stage | status | time | items |", "| --- | --- | ---: | ---: |");
  let total = 0;
  for (const s of env.stages) {
    total += s.seconds;
    lines.push(`| ${esc(s.stage)} | ${s.status ?? "—"} | ${formatDuration(s.seconds)} | ${s.items ?? ""} |`);
  }
  lines.push(`| total | | ${formatDuration(total)} | |`);
  lines.push(
    "",
    "Times are those of the run that finished each stage (a cached stage shows its original time).",
  );
  return lines.join("\n");
}

/**
 * Stage timings as CSV (`stage,key,status,seconds,items`).
 *
 * @example
 * ```ts
 * import { stageTimingsCsv } from "./environment.ts";
 * console.log(stageTimingsCsv({ adapter: null, versions: {}, seeds: [], stages: [{ stage: "a", seconds: 1.5 }] }).split("\n")[1]); // "a,,,1.5,"
 * ```
 */
export function stageTimingsCsv(env: Environment): string {
  const rows = env.stages.map((s) =>
    [s.stage, s.key ?? "", s.status ?? "", String(s.seconds), s.items ?? ""].join(",")
  );
  return ["stage,key,status,seconds,items", ...rows].join("\n") + "\n";
}

/**
 * Stage timings of a pipeline run for `results.json`: per stage its status in this run and the time
 * and item count recorded in its `done.json` (the run that finished it; 0 s for a stage not done).
 *
 * @example
 * ```ts ignore
 * const run = await runPipeline(stages, options);
 * const stages = await stageTimings(run.stages);
 * ```
 */
export async function stageTimings(outcomes: readonly StageOutcome[]): Promise<StageTiming[]> {
  const out: StageTiming[] = [];
  for (const o of outcomes) {
    const done = await readDone(o.dir);
    const t: StageTiming = {
      stage: o.name,
      key: o.key,
      seconds: done?.timings.seconds ?? o.seconds,
      status: o.status,
    };
    if (done?.items !== undefined) t.items = done.items;
    out.push(t);
  }
  return out;
}

/**
 * Host facts for the environment section: OS, architecture and CPU count.
 *
 * @example
 * ```ts
 * import { hostFacts } from "./environment.ts";
 * console.log(Object.keys(hostFacts())); // ["os", "arch", "cpus"]
 * ```
 */
export function hostFacts(): Record<string, string> {
  return { os: Deno.build.os, arch: Deno.build.arch, cpus: String(navigator.hardwareConcurrency ?? "?") };
}
