/**
 * What the explain stage runs for one trained probe: the probed model with its input encoding and test
 * images, the explainer dispatch, attribution maps in batches and probe probabilities in batches.
 * Images enter as [0, 1] pixels (`[N, C, H, W]`, C = 1 or 3); `encode` makes the backbone's input
 * (B-cos `[x, 1 - x]`, ImageNet normalisation, or identity), and the explainers see the encoded input.
 *
 * @module
 */
import type { HostTensor } from "../../core/host_tensor.ts";
import type { Module } from "../../core/nn/module.ts";
import { noGrad } from "../../core/autograd.ts";
import { sigmoid } from "../../core/ops/elementwise.ts";
import { softmax } from "../../core/ops/softmax.ts";
import { fromArray, type Tensor, tidyAsync } from "../../core/tensor.ts";
import { bcosContributions } from "../../explainers/bcos.ts";
import { gradCam } from "../../explainers/gradcam.ts";
import { inputXGradient } from "../../explainers/gradient.ts";
import { guidedBackprop } from "../../explainers/guided.ts";
import { integratedGradients } from "../../explainers/integrated_gradients.ts";
import { lime } from "../../explainers/lime/lime.ts";
import { epsilonGammaBox, type Normalization } from "../../explainers/lrp/composites.ts";
import { lrp } from "../../explainers/lrp/lrp.ts";
import { scoreCam } from "../../explainers/scorecam.ts";
import { attentionRollout } from "../../explainers/vit/rollout.ts";
import { cgw1 } from "../../explainers/vit/cgw1.ts";
import { causalX } from "../../explainers/vit/causalx.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import type { EvalData } from "./eval_data.ts";

/** Turns [0, 1] images into the backbone's input encoding. */
export type Encode = (x: Tensor) => Tensor;

/** What the explain stage needs of a trained probe. */
export interface ProbedRun {
  /** Backbone + probe (logits). */
  model: Module;
  /** Input encoding of the backbone. */
  encode: Encode;
  /** Loss the probe was trained with (selects softmax or sigmoid scores). */
  loss: "ce" | "bce";
  /** Test images. */
  data: EvalData;
  /** Input normalisation of the LRP z-box bounds; null: inputs are [0, 1] (bounds 0 and 1). */
  normalization: Normalization | null;
}

/**
 * Computes attribution maps [B, H, W] with the named explainer (async for LIME and CausalX).
 *
 * @example
 * ```ts ignore
 * const maps = await explain("ixg", model, x, [3, 1], config.explain);
 * ```
 */
export async function explain(
  name: string,
  model: Module,
  x: Tensor,
  target: number[],
  cfg: PipelineConfig["explain"],
  normalization: Normalization | null = null,
): Promise<Tensor> {
  switch (name) {
    case "bcos":
      return bcosContributions(model, x, target);
    case "ixg":
      return inputXGradient(model, x, target);
    case "intgrad":
      return integratedGradients(model, x, target, { steps: cfg.intgradSteps });
    case "gbp":
      return guidedBackprop(model, x, target);
    case "gradcam":
      return gradCam(model, x, target);
    case "scorecam":
      return scoreCam(model, x, target, { batchSize: cfg.scorecamBatch });
    case "lrp":
      return lrp(model, x, target, {
        composite: epsilonGammaBox(normalization ? { normalization } : { low: 0, high: 1 }),
      });
    case "lime":
      return await lime(model, x, target, { samples: cfg.limeSamples });
    case "rollout":
      return attentionRollout(model, x, target);
    case "cgw1":
      return cgw1(model, x, target);
    case "causalx":
      return await causalX(model, x, target);
    default:
      throw new RangeError(`unknown explainer '${name}'`);
  }
}

/**
 * Attribution maps `[N, H, W]` of `[N, C, H, W]` [0, 1] images for `targets`, in explainer batches.
 *
 * @example
 * ```ts ignore
 * const maps = await mapsInBatches("ixg", run, images, [4, 3, 32, 32], [0, 2, 1, 1], config.explain);
 * ```
 */
export async function mapsInBatches(
  name: string,
  run: ProbedRun,
  images: Float32Array,
  shape: [number, number, number, number],
  targets: number[],
  cfg: PipelineConfig["explain"],
): Promise<HostTensor> {
  const [N, C, H, W] = shape;
  const out = new Float32Array(N * H * W);
  for (let s = 0; s < N; s += cfg.batchSize) {
    const e = Math.min(N, s + cfg.batchSize);
    const part = await tidyAsync(async () => {
      const x = run.encode(fromArray([e - s, C, H, W], images.subarray(s * C * H * W, e * C * H * W)));
      const maps = await explain(name, run.model, x, targets.slice(s, e), cfg, run.normalization);
      return await maps.read();
    });
    out.set(part, s * H * W);
  }
  return { shape: [N, H, W], data: out };
}

/**
 * Probabilities `[N, classes]` of the probe on [0, 1] images (softmax for CE probes, sigmoid for BCE).
 *
 * @example
 * ```ts ignore
 * const p = await probabilities(run, images, [4, 3, 32, 32]);
 * ```
 */
export async function probabilities(
  run: ProbedRun,
  images: Float32Array,
  shape: number[],
  batch = 64,
): Promise<Float32Array> {
  const [N, C, H, W] = shape;
  const parts: Float32Array[] = [];
  for (let s = 0; s < N; s += batch) {
    const e = Math.min(N, s + batch);
    parts.push(
      await tidyAsync(async () => {
        const logits = noGrad(() =>
          run.model.call(
            run.encode(fromArray([e - s, C, H, W], images.subarray(s * C * H * W, e * C * H * W))),
          )
        );
        return await (run.loss === "ce" ? softmax(logits, -1) : sigmoid(logits)).read();
      }),
    );
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
