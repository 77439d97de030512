/**
 * Parity of a torchvision VisionTransformer fixture: logits, the input gradient of the selected logits,
 * and each layer's attention probabilities per head.
 *
 * @module
 */
import { grad } from "../../core/autograd.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import { VisionTransformer } from "../../core/models/vit.ts";
import { oneHot } from "../../core/ops/gather.ts";
import { fromHost, tidyAsync } from "../../core/tensor.ts";
import { compareTensor, FORWARD_TOLERANCE, GRADIENT_TOLERANCE, type ParityRow } from "./compare.ts";

/** The fields of a ViT fixture's JSON that describe the model. */
export interface VitFixture {
  image_size: number;
  patch_size: number;
  num_layers: number;
  num_heads: number;
  hidden_dim: number;
  mlp_dim: number;
  num_classes: number;
  ln_eps?: number;
}

/**
 * Builds the fixture's ViT, loads `weights`, and compares logits, input gradient and attention maps.
 *
 * @example
 * ```ts ignore
 * const rows = await vitParity(json, tensors, weights);
 * ```
 */
export async function vitParity(
  spec: VitFixture,
  tensors: Map<string, HostTensor>,
  weights: Map<string, HostTensor>,
): Promise<ParityRow[]> {
  const model = new VisionTransformer({
    imageSize: spec.image_size,
    patchSize: spec.patch_size,
    numLayers: spec.num_layers,
    numHeads: spec.num_heads,
    hiddenDim: spec.hidden_dim,
    mlpDim: spec.mlp_dim,
    numClasses: spec.num_classes,
    lnEps: spec.ln_eps ?? 1e-6,
  });
  const rows: ParityRow[] = [];
  try {
    model.loadStateDict(weights, { source: "weights" });
    model.eval();
    await tidyAsync(async () => {
      const x = fromHost(tensors.get("input")!);
      x.requiresGrad = true;
      const logits = model.call(x);
      if (tensors.has("logits")) {
        rows.push(compareTensor("logits", await logits.read(), tensors.get("logits")!, FORWARD_TOLERANCE));
      }
      for (const [i, block] of model.blocks.entries()) {
        const key = `attn_probs.layer${i}`;
        if (tensors.has(key)) {
          rows.push(
            compareTensor(key, await block.attention.lastProbs!.read(), tensors.get(key)!, FORWARD_TOLERANCE),
          );
        }
      }
      if (tensors.has("input_grad") && tensors.has("target")) {
        const [dx] = grad(logits, [x], {
          gradOutput: oneHot(fromHost(tensors.get("target")!), logits.shape[1]),
        });
        rows.push(
          compareTensor("input_grad", await dx!.read(), tensors.get("input_grad")!, GRADIENT_TOLERANCE),
        );
      }
    });
  } finally {
    model.dispose();
  }
  return rows;
}
