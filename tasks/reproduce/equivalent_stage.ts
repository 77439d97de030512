/**
 * The Figure 4 stage `equivalent:<probe stage>` (PROTOCOL.md §1.2): for a conventional backbone's
 * linear CE probe (first seed), a second probe whose class weights are all shifted by the same vector
 * (see `shifted_probe.ts`), then for both, on the same test images and the same GridPG grids (those the
 * explain stage scores, from the trained probe's confident, correct images): CE loss, BCE loss,
 * accuracy and, per applicable explainer (one item each, so `--shard` splits them), GridPG on the first
 * grid size of the preset and how far the two probes' maps differ. Writes `equivalent.json`.
 *
 * @module
 */
import { noGrad } from "../../core/autograd.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import { ProbedModel } from "../../explainers/probed.ts";
import { gridPG } from "../../metrics/gridpg.ts";
import type { Json } from "../pipeline/canonical.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import { defineMapStage, type MapStage } from "../pipeline/stage.ts";
import { type ProbeLosses, probeLosses } from "./equivalent_stats.ts";
import { mapsInBatches, type ProbedRun } from "./explain_run.ts";
import { gridBatch, gridCandidates } from "./grid_batch.ts";
import { loadProbed } from "./load_probed.ts";
import { loadShiftedProbe, SHIFT_SCALE } from "./shifted_probe.ts";
import type { ProbeCell } from "./stages.ts";

/** One explainer's comparison of the trained and the shifted probe. */
export interface EquivalentItem {
  /** Explainer. */
  explainer: string;
  /** Grid size scored (`2x2`, ...). */
  grid: string;
  /** GridPG (%) of the trained and of the shifted probe (null: no grids or no positive mass). */
  gridpg: [number | null, number | null];
  /** Largest |map difference| between the two probes' grid maps. */
  maxAbsDiff: number;
  /** Largest |map| of the trained probe's grid maps. */
  maxAbs: number;
}

/** `equivalent.json`: the classification numbers of both probes and one item per explainer. */
export interface EquivalentArtifact {
  /** Norm of the shift vector. */
  shiftNorm: number;
  /** Trained probe, then shifted probe. */
  probes: [ProbeLosses, ProbeLosses];
  /** Per explainer. */
  items: EquivalentItem[];
}

/** The trained probe's run and the shifted twin (same backbone, same data); `dispose` frees both. */
async function loadPair(
  backboneDir: string,
  probeDir: string,
  config: PipelineConfig,
  seed: number,
): Promise<{ a: ProbedRun; b: ProbedRun; shiftNorm: number; dispose: () => void }> {
  const a = await loadProbed(backboneDir, probeDir, "ce", config);
  try {
    const { probe, shiftNorm } = await loadShiftedProbe(`${probeDir}/probe.safetensors`, seed);
    const backbone = (a.model as ProbedModel).backbone;
    const b = { ...a, model: new ProbedModel(backbone, probe).eval() };
    return {
      a,
      b,
      shiftNorm,
      dispose: () => {
        probe.dispose();
        a.model.dispose();
        a.data.close();
      },
    };
  } catch (e) {
    a.model.dispose();
    a.data.close();
    throw e;
  }
}

/** Logits `[n * C]` of a run's model on all its test images, in batches. */
async function testLogits(run: ProbedRun, batch: number): Promise<Float32Array> {
  const d = run.data, K = d.numClasses;
  const [C, H, W] = d.shape;
  const out = new Float32Array(d.n * K);
  for (let s = 0; s < d.n; s += batch) {
    const idx = Array.from({ length: Math.min(d.n, s + batch) - s }, (_, i) => s + i);
    const { images } = await d.load(idx);
    const part = await tidyAsync(() =>
      noGrad(() => run.model.call(run.encode(fromArray([idx.length, C, H, W], images)))).read()
    );
    out.set(part, s * K);
  }
  return out;
}

async function compareExplainer(
  explainer: string,
  a: ProbedRun,
  b: ProbedRun,
  config: PipelineConfig,
  seed: number,
): Promise<EquivalentItem> {
  const size = config.evaluate.gridpg.sizes[0];
  const grid = `${size}x${size}`;
  const { pool } = await gridCandidates(a);
  const batch = await gridBatch(a, config, size, pool, seed);
  if (!batch) return { explainer, grid, gridpg: [null, null], maxAbsDiff: 0, maxAbs: 0 };
  const score = async (run: ProbedRun) => {
    const maps = await mapsInBatches(
      explainer,
      run,
      batch.images,
      batch.shape,
      batch.targets,
      config.explain,
    );
    const r = gridPG(maps, batch.boxes, { smooth: true, kernelSize: config.evaluate.gridpg.smoothing });
    return { maps: maps.data, gridpg: Number.isNaN(r.meanPercent) ? null : r.meanPercent };
  };
  const [ra, rb] = [await score(a), await score(b)];
  let maxAbsDiff = 0, maxAbs = 0;
  for (let i = 0; i < ra.maps.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ra.maps[i] - rb.maps[i]));
    maxAbs = Math.max(maxAbs, Math.abs(ra.maps[i]));
  }
  return { explainer, grid, gridpg: [ra.gridpg, rb.gridpg], maxAbsDiff, maxAbs };
}

/**
 * The `equivalent:<probe stage>` stage of a linear CE cell on a conventional backbone.
 *
 * @example
 * ```ts ignore
 * stages.push(equivalentStage(cell, config));
 * ```
 */
export function equivalentStage(cell: ProbeCell, config: PipelineConfig): MapStage<Json, Json> {
  if (cell.probe !== "linear" || cell.loss !== "ce") {
    throw new RangeError(`equivalent stage: ${cell.stage} is not a linear CE probe`);
  }
  const load = (ctx: { dep(name: string): { dir: string } }) =>
    loadPair(ctx.dep(cell.pretrainStage).dir + "/run", ctx.dep(cell.stage).dir + "/run", config, cell.seed);
  return defineMapStage<Json, Json>({
    name: `equivalent:${cell.stage.slice("probe:".length)}`,
    config: {
      explainers: cell.explainers,
      explain: config.explain,
      gridpg: config.evaluate.gridpg,
      data: config.data,
      shiftScale: SHIFT_SCALE,
    } as unknown as Json,
    deps: [cell.stage, cell.pretrainStage],
    seed: cell.seed,
    items: () => cell.explainers,
    runItem: async (ctx, explainer) => {
      const pair = await load(ctx);
      try {
        return await compareExplainer(explainer, pair.a, pair.b, config, cell.seed) as unknown as Json;
      } finally {
        pair.dispose();
      }
    },
    finalize: async (ctx, results) => {
      const pair = await load(ctx);
      try {
        const K = pair.a.data.numClasses, labels = pair.a.data.labels;
        const batch = Math.max(1, config.explain.batchSize);
        const la = probeLosses(await testLogits(pair.a, batch), labels, K);
        const lb = probeLosses(await testLogits(pair.b, batch), labels, K);
        const artifact: EquivalentArtifact = {
          shiftNorm: pair.shiftNorm,
          probes: [la, lb],
          items: results as unknown as EquivalentItem[],
        };
        await ctx.writeJson("equivalent.json", artifact);
      } finally {
        pair.dispose();
      }
    },
  });
}
