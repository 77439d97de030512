/**
 * Assembles results.json's qualitative grids from the `qualitative:<probe stage>` artifacts: one grid
 * per backbone whose rows are the picked test images and whose columns are the input image, then each
 * (probe loss, explainer) map. The PNGs are copied next to results.json under
 * `qualitative/<arch>.<pretraining>/<loss>/`, and cells name them relative to results.json, so the
 * output folder can be moved and `deno task report` still finds them. A backbone none of whose
 * qualitative stages finished has no grid.
 *
 * @module
 */
import type { PipelineResult } from "../pipeline/runner.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import { displayName } from "../report/names.ts";
import type { QualitativeCell, QualitativeGrid } from "../report/results.ts";
import type { QualitativeArtifact } from "./qualitative_stage.ts";
import { qualitativeCells } from "./report_stages.ts";
import { probeCells } from "./stages.ts";

async function readArtifact(dir: string | undefined): Promise<QualitativeArtifact | null> {
  if (!dir) return null;
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/qualitative.json`)) as QualitativeArtifact;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`${dir}/qualitative.json: ${(e as Error).message}`);
  }
}

/** Copies `rel` of the stage directory to `out/dest`; returns `dest`. */
async function copyPicture(stageDir: string, rel: string, out: string, dest: string): Promise<string> {
  const target = `${out}/${dest}`;
  await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
  await Deno.copyFile(`${stageDir}/${rel}`, target);
  return dest;
}

/**
 * The qualitative grids of a finished pipeline (copies their PNGs under `<out>/qualitative/`).
 *
 * @example
 * ```ts ignore
 * const grids = await collectQualitative(config, pipelineResult);
 * ```
 */
export async function collectQualitative(
  config: PipelineConfig,
  run: PipelineResult,
): Promise<QualitativeGrid[]> {
  const grids: QualitativeGrid[] = [];
  const cells = qualitativeCells(config, probeCells(config));
  for (const b of config.backbones) {
    const mine = cells.filter((c) => c.arch === b.arch && c.pretraining === b.pretraining);
    const found: { loss: string; dir: string; art: QualitativeArtifact }[] = [];
    for (const c of mine) {
      const dir = run.dirs.get(`qualitative:${c.stage.slice("probe:".length)}`);
      const art = await readArtifact(dir);
      if (dir && art) found.push({ loss: c.loss, dir, art });
    }
    if (found.length === 0) continue;
    const base = `qualitative/${b.arch}.${b.pretraining}`;
    const first = found[0];
    const [C, H, W] = first.art.shape;
    const colLabels = ["Input"];
    const columns: ((row: number) => Promise<QualitativeCell>)[] = [async (row) => ({
      kind: "image",
      shape: [C, H, W],
      file: await copyPicture(
        first.dir,
        first.art.inputs[row],
        config.out,
        `${base}/${first.art.inputs[row]}`,
      ),
    })];
    for (const f of found) {
      for (const item of f.art.items) {
        colLabels.push(`${displayName("loss", f.loss)} ${displayName("explainer", item.explainer)}`);
        columns.push(async (row) => ({
          kind: item.kind,
          shape: item.kind === "rgba" ? [4, H, W] : [H, W],
          file: await copyPicture(f.dir, item.files[row], config.out, `${base}/${f.loss}/${item.files[row]}`),
        }));
      }
    }
    const rowCells: (QualitativeCell | null)[][] = [];
    for (let r = 0; r < first.art.indices.length; r++) {
      const row: (QualitativeCell | null)[] = [];
      for (const col of columns) row.push(await col(r));
      rowCells.push(row);
    }
    grids.push({
      title: `${displayName("arch", b.arch)} ${displayName("pretraining", b.pretraining)}: linear probes, ` +
        `seed ${config.seeds[0]}, explaining the true class`,
      rowLabels: first.art.rowLabels,
      colLabels,
      cells: rowCells,
    });
  }
  return grids;
}
