/**
 * `deno run -A tasks/report/cli.ts --results runs/fmnist/results.json [--out DIR]`: writes the report
 * (report.md, tables/*.csv, figures/*.png) from a results file; `--out` defaults to the results file's
 * directory.
 *
 * @module
 */
import { parseFlags, runMain, UsageError } from "../cli.ts";
import { dirName } from "../pipeline/fs.ts";
import { writeReport } from "./report.ts";
import { readResults } from "./results.ts";

const HELP = `deno run -A tasks/report/cli.ts --results FILE [--out DIR] [--confidence C]

Writes report.md, tables/*.csv and figures/*.png from a results.json.

  --results FILE   the results file (see tasks/report/results.ts for its schema)
  --out DIR        output directory (default: the results file's directory)
  --confidence C   confidence level of the intervals over seeds (default 0.95)
  --help           this text`;

/**
 * Runs the report task; returns the exit code.
 *
 * @example
 * ```ts ignore
 * await main(["--results", "runs/smoke/results.json"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseFlags({
    args,
    options: {
      results: { type: "string" },
      out: { type: "string" },
      confidence: { type: "string", default: "0.95" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.results) throw new UsageError("--results FILE is required");
  const confidence = Number(values.confidence);
  if (!(confidence > 0 && confidence < 1)) {
    throw new UsageError(`--confidence must be in (0, 1), got ${values.confidence}`);
  }
  const results = await readResults(values.results);
  const resultsDir = dirName(values.results);
  const out = values.out ?? resultsDir;
  const files = await writeReport(results, out, { resultsDir, confidence });
  console.log(`report: wrote ${files.length} files to ${out} (${out}/report.md)`);
  return 0;
}

if (import.meta.main) runMain("report", main);
