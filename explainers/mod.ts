/**
 * Explainers of the "How to Probe" reproduction, batched on the GPU. Every explainer has the shape
 * `(model, input [B, C, H, W], target, options) -> maps [B, H, W]` (`[B, C, H, W]` with
 * `channels: true` where the method has channels); the target is a class index per image (numbers or a
 * `[B]` tensor) or `[B, classes]` output weights. The model runs in evaluation mode for the call.
 *
 * - gradients: {@link gradientMap}, {@link inputXGradient}, {@link integratedGradients} (Gauss-Legendre
 *   or Riemann, steps batched, {@link integratedGradientsWithDelta}), {@link guidedBackprop};
 * - B-cos: {@link bcosContributions} (`sum_c x * W(x)` in explanation mode), {@link bcosRgba} (B-cos v2's
 *   colour rendering) and {@link rgbaBytes};
 * - CAM: {@link gradCam} (any named layer, default `model.gradcamLayer`), {@link scoreCam};
 * - LRP: {@link lrp} with rules as data ({@link epsilon}, {@link gamma}, {@link zPlus}, {@link alphaBeta},
 *   {@link zBox}, {@link flat}, {@link wSquare}), composites ({@link epsilonGammaBox}, {@link epsilonPlus},
 *   {@link epsilonAlpha2Beta1}, {@link epsilonPlusFlat}) and canonizers ({@link mergeBatchNorm},
 *   {@link residualSum});
 * - LIME: {@link lime} with {@link quickshift} or {@link slic} superpixels (async: segmentation and the
 *   regression run on the host);
 * - ViT: {@link attentionRollout}, {@link cgw1}, {@link causalX} (async);
 * - {@link ProbedModel}: a frozen backbone plus a probe as one explainable model.
 *
 * @example
 * ```ts ignore
 * import { initGpu } from "../core/gpu/device.ts";
 * import { resnet } from "../core/models/resnet.ts";
 * import { fromArray } from "../core/tensor.ts";
 * import { epsilonGammaBox, gradCam, inputXGradient, integratedGradients, lrp } from "./mod.ts";
 *
 * await initGpu();
 * const model = resnet("resnet50", { numClasses: 1000 }).eval();
 * const x = fromArray([2, 3, 224, 224], new Float32Array(2 * 3 * 224 * 224));
 * const target = [207, 281];
 * const ixg = inputXGradient(model, x, target); // [2, 224, 224]
 * const ig = integratedGradients(model, x, target, { steps: 50 });
 * const cam = gradCam(model, x, target); // layer4.2.conv3, upsampled, sign kept
 * const rel = lrp(model, x, target, { composite: epsilonGammaBox() });
 * console.log(await rel.read());
 * ```
 *
 * @module
 */
export {
  type ChannelOptions,
  checkImages,
  inEvalMode,
  inEvalModeAsync,
  reduceChannels,
  type Target,
  targetWeights,
} from "./common.ts";
export { gradientMap, inputGradient, type InputGradientOptions, inputXGradient } from "./gradient.ts";
export {
  integratedGradients,
  type IntegratedGradientsOptions,
  type IntegratedGradientsResult,
  integratedGradientsWithDelta,
} from "./integrated_gradients.ts";
export { gaussLegendre, type Quadrature, quadrature, type QuadratureRule } from "./quadrature.ts";
export { GUIDED_BACKPROP_RULES, guidedBackprop, guidedReluRule } from "./guided.ts";
export {
  BCOS_EXPLAIN_RULES,
  bcosContributions,
  bcosLinearMap,
  bcosRgba,
  type BcosRgbaOptions,
  renderBcosRgba,
  rgbaBytes,
} from "./bcos.ts";
export { camLayer, type CamOptions, gradCam } from "./gradcam.ts";
export { type OutputScore, scoreCam, type ScoreCamOptions, targetScore } from "./scorecam.ts";
export * from "./lrp/mod.ts";
export { lime, limeDetailed, type LimeOptions, type LimeResult } from "./lime/lime.ts";
export { quickshift, type QuickshiftOptions, relabel } from "./lime/quickshift.ts";
export { enforceConnectivity, slic, type SlicOptions } from "./lime/slic.ts";
export { type SegmentationSpec, type Segmenter, segmentImages } from "./lime/segment.ts";
export { rgbToLab } from "./lime/color.ts";
export { type RidgeFit, weightedRidge } from "./lime/ridge.ts";
export { attentionRollout, rolloutMatrix, type VitExplainOptions } from "./vit/rollout.ts";
export { cgw1, type Cgw1Options } from "./vit/cgw1.ts";
export { causalX, type CausalXOptions, clusterMasks } from "./vit/causalx.ts";
export { sphericalKMeans } from "./vit/kmeans.ts";
export {
  type AttentionBlock,
  type AttentionModel,
  attentionModel,
  type TokenLayout,
  tokenLayout,
} from "./vit/attention.ts";
export { ProbedModel } from "./probed.ts";
export { type ExplainerBenchOptions, type ExplainerBenchRow, explainerBenchRows } from "./bench.ts";
export { type KMeansOptions } from "./vit/kmeans.ts";
export type { BackwardRule, RuleContext, RuleOverrides, TapeNode } from "../core/autograd.ts";
export type { Module } from "../core/nn/module.ts";
export type { Tensor } from "../core/tensor.ts";
export type { HostTensor } from "../core/host_tensor.ts";
