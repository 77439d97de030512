/**
 * The qualitative-map stage `qualitative:<probe stage>` of a linear probe (first seed): for the
 * `report.qualitativeImages` test images of {@link pickQualitativeImages}, one picture per (image,
 * applicable explainer) explaining the image's true class: B-cos explanations in their colour rendering
 * (`bcosRgba`, composited over white), every other explainer as a signed blue-white-red heatmap
 * (symmetric about 0 at the 99.5th percentile of |map|). Items are explainers (so `--shard` splits
 * them); each writes `maps/<explainer>/<row>.png`. The final step writes the inputs as
 * `inputs/<row>.png` and `qualitative.json` ({@link QualitativeArtifact}).
 *
 * @module
 */
import { imageToRgba, rgbaOver, signedHeatmap } from "../../core/io/plot/heatmap.ts";
import { encodeRgbaPng, type RgbaImage } from "../../core/io/png.ts";
import { fromArray, tidyAsync } from "../../core/tensor.ts";
import { bcosRgba } from "../../explainers/bcos.ts";
import type { Json } from "../pipeline/canonical.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import { defineMapStage, type MapStage, type StageContext } from "../pipeline/stage.ts";
import { mapsInBatches, type ProbedRun } from "./explain_run.ts";
import { loadProbed } from "./load_probed.ts";
import { pickQualitativeImages } from "./qualitative_pick.ts";
import type { ProbeCell } from "./stages.ts";

/** One explainer's pictures (paths relative to the stage directory, one per row). */
export interface QualitativeItem {
  /** Explainer. */
  explainer: string;
  /** `rgba` (B-cos colour rendering) or `signed` (heatmap). */
  kind: "rgba" | "signed";
  /** PNG per row. */
  files: string[];
}

/** `qualitative.json` of the stage. */
export interface QualitativeArtifact {
  /** Test-image index per row. */
  indices: number[];
  /** Class per row. */
  labels: number[];
  /** Row captions (class name and test index). */
  rowLabels: string[];
  /** Input picture per row (relative to the stage directory). */
  inputs: string[];
  /** `[C, H, W]` of one input. */
  shape: [number, number, number];
  /** One entry per applicable explainer, in the backbone's explainer order. */
  items: QualitativeItem[];
}

/** Smoothing window of the B-cos alpha: 15 px at 112 px and more, 5 px on small images. */
function bcosSmoothing(height: number): number {
  return height >= 112 ? 15 : 5;
}

/** The selected rows of a run: indices, labels and [0, 1] images. */
async function rows(run: ProbedRun, k: number, seed: number) {
  const indices = pickQualitativeImages(run.data.labels, k, seed);
  const labels = indices.map((i) => run.data.labels[i]);
  const { images } = await run.data.load(indices);
  return { indices, labels, images };
}

/** Pictures of one explainer for the rows (true-class targets). */
async function pictures(
  explainer: string,
  run: ProbedRun,
  images: Float32Array,
  labels: number[],
  config: PipelineConfig,
): Promise<RgbaImage[]> {
  const [C, H, W] = run.data.shape, n = labels.length;
  if (explainer === "bcos") {
    const rgba = await tidyAsync(() =>
      bcosRgba(run.model, run.encode(fromArray([n, C, H, W], images)), labels, { smooth: bcosSmoothing(H) })
        .read()
    );
    return labels.map((_, i) => rgbaOver(rgba.subarray(i * 4 * H * W, (i + 1) * 4 * H * W), H, W));
  }
  const maps = await mapsInBatches(explainer, run, images, [n, C, H, W], labels, config.explain);
  return labels.map((_, i) => signedHeatmap(maps.data.subarray(i * H * W, (i + 1) * H * W), H, W));
}

/**
 * The `qualitative:<probe stage>` stage of a probe cell.
 *
 * @example
 * ```ts ignore
 * stages.push(qualitativeStage(cell, config));
 * ```
 */
export function qualitativeStage(cell: ProbeCell, config: PipelineConfig): MapStage<Json, Json> {
  const k = config.report.qualitativeImages;
  const load = (ctx: StageContext) =>
    loadProbed(ctx.dep(cell.pretrainStage).dir + "/run", ctx.dep(cell.stage).dir + "/run", cell.loss, config);
  return defineMapStage<Json, Json>({
    name: `qualitative:${cell.stage.slice("probe:".length)}`,
    config: {
      images: k,
      explainers: cell.explainers,
      explain: config.explain,
      data: config.data,
    } as unknown as Json,
    deps: [cell.stage, cell.pretrainStage],
    seed: cell.seed,
    items: () => cell.explainers,
    runItem: async (ctx, explainer) => {
      const run = await load(ctx);
      try {
        const { labels, images } = await rows(run, k, cell.seed);
        const pics = await pictures(explainer, run, images, labels, config);
        const files = pics.map((_, i) => `maps/${explainer}/${i}.png`);
        for (let i = 0; i < pics.length; i++) await ctx.writeBytes(files[i], encodeRgbaPng(pics[i]));
        const item: QualitativeItem = { explainer, kind: explainer === "bcos" ? "rgba" : "signed", files };
        return item as unknown as Json;
      } finally {
        run.model.dispose();
        run.data.close();
      }
    },
    finalize: async (ctx, results) => {
      const run = await load(ctx);
      try {
        const { indices, labels, images } = await rows(run, k, cell.seed);
        const [C, H, W] = run.data.shape, per = C * H * W;
        const inputs = indices.map((_, i) => `inputs/${i}.png`);
        for (let i = 0; i < indices.length; i++) {
          const img = imageToRgba(images.subarray(i * per, (i + 1) * per), C, H, W);
          await ctx.writeBytes(inputs[i], encodeRgbaPng(img));
        }
        const names = run.data.fashion?.classes;
        const artifact: QualitativeArtifact = {
          indices,
          labels,
          rowLabels: indices.map((idx, i) => `${names?.[labels[i]] ?? `class ${labels[i]}`} (#${idx})`),
          inputs,
          shape: [C, H, W],
          items: results as unknown as QualitativeItem[],
        };
        await ctx.writeJson("qualitative.json", artifact);
      } finally {
        run.model.dispose();
        run.data.close();
      }
    },
  });
}
