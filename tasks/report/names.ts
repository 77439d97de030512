/**
 * Display names for the report: backbones, pre-trainings, probes, losses, explainers and datasets in
 * the paper's spelling; unknown names are shown as given.
 *
 * @module
 */

const ARCH: Record<string, string> = {
  resnet_tiny: "ResNet-tiny",
  bcos_resnet_tiny: "B-cos ResNet-tiny",
  resnet_small: "ResNet-small",
  bcos_resnet_small: "B-cos ResNet-small",
  vit_tiny: "ViT-tiny",
  bcos_vit_tiny: "B-cos ViTc-tiny",
  resnet50: "RN50",
  bcos_resnet50: "B-RN50",
  vit_b_16: "ViT-B/16",
  bcos_vitc_s_16: "B-ViTc-S/16",
  bcos_vitc_b_16: "B-ViTc-B/16",
};

const PRETRAINING: Record<string, string> = {
  supervised: "Sup.",
  mocov2: "MoCov2",
  byol: "BYOL",
  dino: "DINO",
  mocov3: "MoCov3",
  clip: "CLIP",
};

const PROBE: Record<string, string> = {
  linear: "Linear",
  mlp2: "MLP-2",
  mlp3: "MLP-3",
  bcos_mlp2: "B-cos MLP-2",
  bcos_mlp3: "B-cos MLP-3",
};

const EXPLAINER: Record<string, string> = {
  bcos: "B-cos",
  ixg: "IxG",
  intgrad: "IntGrad",
  gbp: "GBP",
  gradcam: "GradCAM",
  scorecam: "ScoreCAM",
  lrp: "LRP",
  lime: "LIME",
  rollout: "Rollout",
  cgw1: "CGW1",
  causalx: "CausalX",
};

const DATASET: Record<string, string> = {
  "fashion-mnist": "Fashion-MNIST",
  "fashion-scenes": "FMNIST scenes",
  imagenet: "ImageNet",
  voc2007: "VOC 2007",
  coco2014: "COCO 2014",
};

/** Which name table to use. */
export type NameKind = "arch" | "pretraining" | "probe" | "loss" | "explainer" | "dataset";

/**
 * The display name of a key value.
 *
 * @example
 * ```ts
 * import { displayName } from "./names.ts";
 * console.log(displayName("arch", "bcos_resnet50"), displayName("loss", "bce"), displayName("explainer", "x")); // "B-RN50" "BCE" "x"
 * ```
 */
export function displayName(kind: NameKind, value: string | null): string {
  if (value === null) return "—";
  switch (kind) {
    case "arch":
      return ARCH[value] ?? value;
    case "pretraining":
      return PRETRAINING[value] ?? value;
    case "probe":
      return PROBE[value] ?? value;
    case "loss":
      return value.toUpperCase();
    case "explainer":
      return EXPLAINER[value] ?? value;
    case "dataset":
      return DATASET[value] ?? value;
  }
}

/**
 * True for B-cos architectures (`bcos_` prefix).
 *
 * @example
 * ```ts
 * import { isBcosArch } from "./names.ts";
 * console.log(isBcosArch("bcos_resnet50")); // true
 * ```
 */
export function isBcosArch(arch: string): boolean {
  return arch.startsWith("bcos_");
}
