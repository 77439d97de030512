/**
 * Parity of a torchvision ResNet fixture: eval logits, input gradient of the selected logits, Input x
 * Gradient, GradCAM on the last block's last conv (activation and map), and one train-mode step with CE
 * and with BCE (loss, logits, every parameter gradient), whichever of these the fixture holds.
 *
 * @module
 */
import { backward, grad } from "../../core/autograd.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import { ResNet } from "../../core/models/resnet.ts";
import { withCapture } from "../../core/nn/module.ts";
import { mul } from "../../core/ops/elementwise.ts";
import { oneHot } from "../../core/ops/gather.ts";
import { bceTargets, bceWithLogits, crossEntropy } from "../../core/ops/loss.ts";
import { mean, sum } from "../../core/ops/reduce.ts";
import { fromHost, tidyAsync } from "../../core/tensor.ts";
import { compareTensor, FORWARD_TOLERANCE, GRADIENT_TOLERANCE, type ParityRow } from "./compare.ts";

/** The fields of a ResNet fixture's JSON that describe the model. */
export interface ResNetFixture {
  widths: number[];
  layers: number[];
  num_classes: number;
  block?: "basic" | "bottleneck";
  stem?: "imagenet" | "small";
}

/**
 * Builds the fixture's model, loads `weights`, and compares every expected tensor present.
 *
 * @example
 * ```ts ignore
 * const rows = await resnetParity(json, tensors, weights);
 * ```
 */
export async function resnetParity(
  spec: ResNetFixture,
  tensors: Map<string, HostTensor>,
  weights: Map<string, HostTensor>,
): Promise<ParityRow[]> {
  const rows: ParityRow[] = [];
  const has = (k: string) => tensors.has(k);
  const get = (k: string) => tensors.get(k)!;
  const fc = weights.get("fc.weight");
  const conv3 = [...weights.keys()].some((k) => k.endsWith(".conv3.weight"));
  const model = new ResNet({
    block: spec.block ?? (conv3 ? "bottleneck" : "basic"),
    layers: spec.layers,
    widths: spec.widths,
    numClasses: fc ? fc.shape[0] : spec.num_classes,
    inChannels: weights.get("conv1.weight")?.shape[1] ?? 3,
    stem: spec.stem ?? ((weights.get("conv1.weight")?.shape[2] ?? 7) === 7 ? "imagenet" : "small"),
  });
  try {
    model.loadStateDict(weights, { source: "weights" });
    model.eval();
    if (has("input")) {
      await tidyAsync(async () => {
        const x = fromHost(get("input"));
        x.requiresGrad = true;
        const layer = model.gradcamLayer;
        const { result: logits, outputs } = withCapture([layer], () => model.call(x));
        if (has("logits")) {
          rows.push(compareTensor("logits", await logits.read(), get("logits"), FORWARD_TOLERANCE));
        }
        if (!has("target")) return;
        const select = oneHot(fromHost(get("target")), logits.shape[1]);
        const act = outputs.get(layer)!;
        const [dx, dA] = grad(logits, [x, act], { gradOutput: select });
        if (has("input_grad")) {
          rows.push(compareTensor("input_grad", await dx!.read(), get("input_grad"), GRADIENT_TOLERANCE));
        }
        if (has("input_x_gradient")) {
          const ixg = sum(mul(x, dx!), 1);
          rows.push(
            compareTensor("input_x_gradient", await ixg.read(), get("input_x_gradient"), GRADIENT_TOLERANCE),
          );
        }
        const actKey = [...tensors.keys()].find((k) => k.endsWith("_conv3_out") || k.endsWith("_conv2_out"));
        if (actKey) rows.push(compareTensor(actKey, await act.read(), get(actKey), FORWARD_TOLERANCE));
        const camKey = [...tensors.keys()].find((k) => k.startsWith("gradcam"));
        if (camKey) {
          const cam = sum(mul(mean(dA!, [2, 3], true), act), 1);
          rows.push(compareTensor(camKey, await cam.read(), get(camKey), GRADIENT_TOLERANCE));
        }
      });
    }
    for (const loss of ["ce", "bce"] as const) {
      if (!has(`train.${loss}.loss`) || !has("train.input")) continue;
      model.loadStateDict(weights, { source: "weights" });
      model.train();
      await tidyAsync(async () => {
        const logits = model.call(fromHost(get("train.input")));
        const labels = fromHost(get("train.labels"));
        const C = logits.shape[1];
        const value = loss === "ce"
          ? crossEntropy(logits, labels)
          : bceWithLogits(logits, bceTargets(labels, C), { reduction: "sum_over_classes_mean_over_batch" });
        backward(value);
        rows.push(
          compareTensor(
            `train.${loss}.loss`,
            await value.read(),
            get(`train.${loss}.loss`),
            FORWARD_TOLERANCE,
          ),
        );
        rows.push(
          compareTensor(
            `train.${loss}.logits`,
            await logits.read(),
            get(`train.${loss}.logits`),
            FORWARD_TOLERANCE,
          ),
        );
        for (const [key, p] of model.namedParameters()) {
          const name = `train.${loss}.grad.${key}`;
          if (!has(name)) continue;
          rows.push(compareTensor(name, await p.grad!.read(), get(name), GRADIENT_TOLERANCE));
        }
      });
      for (const p of model.parameters()) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
  } finally {
    model.dispose();
  }
  return rows;
}
