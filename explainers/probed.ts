/**
 * A frozen backbone followed by a probe as one explainable model: `forward(x) = probe(backbone(x))`,
 * where the backbone's `forward` returns its feature map (a headless ResNet / B-cos ResNet, or tokens
 * for ViTs) and the probe maps it to logits (e.g. `core/models/probes.ts`). The children are registered
 * and called as `backbone` and `probe_head`, so tape layer names equal module paths
 * (`backbone.layer4.2.conv3`, `probe_head.probe.0`) and LRP canonizers, GradCAM and capture work.
 *
 * @module
 */
import { Module } from "../core/nn/module.ts";
import type { Tensor } from "../core/tensor.ts";

/** `probe(backbone(x))` with addressable layer names. */
export class ProbedModel extends Module {
  /** The feature extractor (its forward returns features). */
  readonly backbone: Module;
  /** The head. */
  readonly probe: Module;

  /**
   * Wraps a backbone and a probe.
   *
   * @param backbone a headless backbone (forward returns the feature map or tokens)
   * @param probe the probe head
   * @example
   * ```ts ignore
   * const model = new ProbedModel(new ResNet({ ...config, numClasses: 0 }), probeFor("linear", 2048, 1000));
   * const maps = lrp(model, x, [3]);
   * ```
   */
  constructor(backbone: Module, probe: Module) {
    super();
    this.backbone = this.child("backbone", backbone);
    this.probe = this.child("probe_head", probe);
  }

  /** Logits of the probe on the backbone's features. */
  forward(x: Tensor): Tensor {
    return this.probe.call(this.backbone.call(x, "backbone"), "probe_head");
  }

  /** The backbone's GradCAM layer, prefixed with `backbone.` (when the backbone names one). */
  get gradcamLayer(): string | undefined {
    const inner = (this.backbone as unknown as { gradcamLayer?: unknown }).gradcamLayer;
    return typeof inner === "string" ? `backbone.${inner}` : undefined;
  }
}
