/**
 * Types shared by the tensor and the tape (kept apart to avoid an import cycle).
 *
 * @module
 */
import type { Tensor } from "./tensor.ts";

/** What a backward rule receives. */
export interface RuleContext {
  /** The op kind, e.g. `relu`, `conv2d`, `matmul`. */
  kind: string;
  /** Dotted name of the layer that recorded the op (e.g. `layer4.2.conv3`), or `""`. */
  layer: string;
  /** The op's inputs, in order. */
  inputs: readonly Tensor[];
  /** The op's output. */
  output: Tensor;
  /** Gradient of the loss with respect to the output. */
  gradOutput: Tensor;
  /** Values the forward saved for the backward (attributes, intermediate tensors). */
  saved: Readonly<Record<string, unknown>>;
  /** The op's default rule, so an override can delegate to it or modify its result. */
  defaultRule: BackwardRule;
}

/** Maps the output gradient to one gradient per input (`null` where an input gets none). */
export type BackwardRule = (ctx: RuleContext) => (Tensor | null)[];

/** One recorded op on the tape. */
export interface TapeNode {
  /** Creation order; the tape is walked by it deterministically. */
  readonly id: number;
  /** The op kind. */
  readonly kind: string;
  /** Dotted layer name at record time, or `""`. */
  readonly layer: string;
  /** Inputs of the op. */
  readonly inputs: readonly Tensor[];
  /** Values saved for backward. */
  readonly saved: Readonly<Record<string, unknown>>;
  /** The rule used unless a scope overrides it. */
  readonly rule: BackwardRule;
}
