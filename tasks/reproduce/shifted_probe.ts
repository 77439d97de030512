/**
 * Figure 4's shift-equivalent probe: a linear probe whose class weights `w_c` (rows of the 1x1 conv,
 * `probe.0.weight` `[C, D, 1, 1]`) all get the same vector `v` added. Every logit moves by the same
 * `v . GAP(a(x))`, so the softmax, the CE loss and the predictions are unchanged, while the logits, their
 * sigmoids (BCE) and the attributions of each class change. `v` is a fixed seeded direction (uniform
 * entries in [-1, 1], as in tests/explainers/figure4_test.ts) scaled to {@link SHIFT_SCALE} times the
 * mean class-weight norm, so the shift dominates the trained weights whatever their magnitude.
 *
 * @module
 */
import { Rng } from "../../core/data/rng.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import { readSafetensorsWithMetadata } from "../../core/io/safetensors.ts";
import { Probe, type ProbeConfig } from "../../core/models/probes.ts";

/** `|v|` relative to the mean norm of the class weights. */
export const SHIFT_SCALE = 4;

/** State-dict key of the linear probe's class weights. */
export const CLASS_WEIGHT_KEY = "probe.0.weight";

/**
 * The shift vector `v` `[D]` for class weights `[C, D, 1, 1]`: a seeded direction with
 * `|v| = scale * mean_c |w_c|`.
 *
 * @example
 * ```ts
 * import { shiftVector } from "./shifted_probe.ts";
 * const v = shiftVector({ shape: [2, 2, 1, 1], data: Float32Array.of(3, 4, 0, 1) }, 0, 2);
 * console.log(Math.hypot(...v).toFixed(3)); // "6.000"
 * ```
 */
export function shiftVector(weight: HostTensor, seed: number, scale = SHIFT_SCALE): Float32Array {
  const [C, D] = weight.shape;
  if (weight.shape.length !== 4 || weight.shape[2] !== 1 || weight.shape[3] !== 1) {
    throw new RangeError(`shiftVector: class weights must be [C, D, 1, 1], got [${weight.shape}]`);
  }
  let meanNorm = 0;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += weight.data[c * D + d] ** 2;
    meanNorm += Math.sqrt(s) / C;
  }
  const rng = Rng.derive(seed, 4);
  const dir = Array.from({ length: D }, () => rng.uniform(-1, 1));
  const norm = Math.hypot(...dir) || 1;
  return Float32Array.from(dir, (x) => (x / norm) * scale * meanNorm);
}

/**
 * Class weights `[C, D, 1, 1]` with `v` `[D]` added to every class.
 *
 * @example
 * ```ts
 * import { shiftClassWeights } from "./shifted_probe.ts";
 * const w = shiftClassWeights({ shape: [2, 2, 1, 1], data: Float32Array.of(1, 2, 3, 4) }, Float32Array.of(10, 20));
 * console.log([...w.data]); // [11, 22, 13, 24]
 * ```
 */
export function shiftClassWeights(weight: HostTensor, v: Float32Array): HostTensor {
  const D = weight.shape[1];
  if (v.length !== D) throw new RangeError(`shiftClassWeights: v has ${v.length} entries for D = ${D}`);
  return { shape: [...weight.shape], data: Float32Array.from(weight.data, (x, i) => x + v[i % D]) };
}

/**
 * Loads a trained linear probe (`probe.safetensors` of a probe run) with its class weights shifted by
 * {@link shiftVector}; returns the probe (the caller disposes it) and `|v|`.
 *
 * @example
 * ```ts ignore
 * const { probe, shiftNorm } = await loadShiftedProbe("art/probe/run/probe.safetensors", 0);
 * ```
 */
export async function loadShiftedProbe(
  path: string,
  seed: number,
  scale = SHIFT_SCALE,
): Promise<{ probe: Probe; shiftNorm: number }> {
  const { tensors, metadata } = await readSafetensorsWithMetadata(path);
  const config = JSON.parse(metadata.probe) as ProbeConfig;
  if (config.kind !== "linear") {
    throw new Error(`${path}: the shift needs a linear probe, got '${config.kind}'`);
  }
  const weight = tensors.get(CLASS_WEIGHT_KEY);
  if (!weight) throw new Error(`${path}: no '${CLASS_WEIGHT_KEY}'`);
  const v = shiftVector(weight, seed, scale);
  const shifted = new Map(tensors);
  shifted.set(CLASS_WEIGHT_KEY, shiftClassWeights(weight, v));
  const probe = new Probe(config);
  probe.loadStateDict(shifted, { source: path });
  return { probe, shiftNorm: Math.hypot(...v) };
}
