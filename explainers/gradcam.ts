/**
 * GradCAM (Selvaraju et al. 2017) on any named layer, as the paper's protocol (PROTOCOL.md §5) and
 * captum's `LayerGradCam`: the layer's output `A [B, K, h, w]` (default: `model.gradcamLayer`, the last
 * bottleneck's conv3 in layer4, before bn3 and the residual sum), channel weights = the spatial mean of
 * `d logit_target / dA`, map = `sum_k w_k A_k` with the sign kept (ReLU optional), bilinearly upsampled
 * to the input size (optional).
 *
 * @module
 */
import { grad } from "../core/autograd.ts";
import { type Module, withCapture } from "../core/nn/module.ts";
import { mul, relu } from "../core/ops/elementwise.ts";
import { reshape } from "../core/ops/layout.ts";
import { mean, sum } from "../core/ops/reduce.ts";
import { resizeBilinear } from "../core/ops/resize.ts";
import { type Tensor, tidy, view } from "../core/tensor.ts";
import { checkImages, checkLogits, inEvalMode, type Target, targetWeights } from "./common.ts";

/** Options of the CAM explainers. */
export interface CamOptions {
  /** Dotted name of the layer whose output is used; default `model.gradcamLayer`. */
  layer?: string;
  /** Apply a ReLU to the map (the original GradCAM); default false (sign kept). */
  relu?: boolean;
  /** Upsample bilinearly to the input size (default true); false returns `[B, h, w]` at layer size. */
  upsample?: boolean;
}

/**
 * The layer a CAM explainer uses: `opts.layer`, else the model's `gradcamLayer`.
 *
 * @example
 * ```ts ignore
 * const name = camLayer(resnetModel); // "layer4.2.conv3" for resnet50
 * ```
 */
export function camLayer(model: Module, layer?: string): string {
  if (layer) return layer;
  const named = (model as unknown as { gradcamLayer?: unknown }).gradcamLayer;
  if (typeof named !== "string") {
    throw new RangeError(`CAM: ${model.constructor.name} has no gradcamLayer; pass options.layer`);
  }
  return named;
}

/**
 * `[B, 1, h, w]` CAM -> `[B, H, W]` (or `[B, h, w]`), with optional ReLU and bilinear upsampling.
 *
 * @example
 * ```ts ignore
 * const maps = finishCam(cam, [224, 224], { relu: false, upsample: true });
 * ```
 */
export function finishCam(cam: Tensor, size: readonly [number, number], opts: CamOptions): Tensor {
  const [B, , h, w] = cam.shape;
  let c = opts.relu ? relu(cam) : cam;
  if (opts.upsample ?? true) {
    c = resizeBilinear(c, size);
    return reshape(c, [B, size[0], size[1]]);
  }
  return reshape(c, [B, h, w]);
}

/**
 * GradCAM maps `[B, H, W]` of the target logit (see the module doc); one forward and one backward to
 * the layer for the whole batch.
 *
 * @example
 * ```ts ignore
 * const maps = gradCam(model, x, [3, 1]); // layer4's last conv3, upsampled to the input
 * const raw = gradCam(model, x, [3, 1], { upsample: false }); // [2, 7, 7] for resnet50 at 224 px
 * ```
 */
export function gradCam(model: Module, x: Tensor, target: Target, opts: CamOptions = {}): Tensor {
  checkImages("gradCam", x);
  const layer = camLayer(model, opts.layer);
  return tidy(() =>
    inEvalMode(model, () => {
      const xv = view(x, x.shape);
      xv.requiresGrad = true; // records the layers even when the parameters are frozen
      const { result: logits, outputs } = withCapture([layer], () => model.call(xv));
      checkLogits("gradCam", logits, x.shape[0]);
      const act = outputs.get(layer)!;
      if (act.rank !== 4) {
        throw new RangeError(`gradCam: layer ${layer} output [${act.shape}] is not [B, K, h, w]`);
      }
      const [dA] = grad(logits, [act], { gradOutput: targetWeights(target, x.shape[0], logits.shape[1]) });
      if (!dA) throw new Error(`gradCam: the logits do not depend on layer ${layer}`);
      const cam = sum(mul(mean(dA, [2, 3], true), act), 1, true);
      return finishCam(cam, [x.shape[2], x.shape[3]], opts);
    })
  );
}
