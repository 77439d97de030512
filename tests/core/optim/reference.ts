/**
 * Plain-TS float64 references of the optimiser update rules (PyTorch semantics), written independently
 * of the WGSL kernels, plus small helpers shared by the optimiser tests.
 *
 * @module
 */
import { gpu } from "../../../core/gpu/device.ts";
import type { HostTensor } from "../../../core/host_tensor.ts";
import { fromHost, type Tensor } from "../../../core/tensor.ts";
import { randomHost } from "../../util/op_check.ts";

/** Hyper-parameters of the SGD reference. */
export interface SgdRef {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/**
 * One SGD step in float64, in place on `p` and `buf` (`buf` is null without momentum).
 *
 * @example
 * ```ts ignore
 * sgdRef(p, g, buf, true, { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });
 * ```
 */
export function sgdRef(
  p: Float64Array,
  g: Float64Array,
  buf: Float64Array | null,
  first: boolean,
  h: SgdRef,
): void {
  for (let i = 0; i < p.length; i++) {
    let d = g[i];
    if (h.weightDecay !== 0) d += h.weightDecay * p[i];
    if (h.momentum !== 0 && buf) {
      buf[i] = first ? d : h.momentum * buf[i] + (1 - h.dampening) * d;
      d = h.nesterov ? d + h.momentum * buf[i] : buf[i];
    }
    p[i] -= h.lr * d;
  }
}

/** Hyper-parameters of the Adam reference. */
export interface AdamRef {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

/**
 * One Adam / AdamW step in float64 at step `t` (from 1), in place on `p`, `m`, `v` (zeros before step 1).
 *
 * @example
 * ```ts ignore
 * adamRef(p, g, m, v, 1, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false });
 * ```
 */
export function adamRef(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  h: AdamRef,
): void {
  for (let i = 0; i < p.length; i++) {
    let d = g[i];
    if (h.decoupled) p[i] *= 1 - h.lr * h.weightDecay;
    else d += h.weightDecay * p[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * d;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * d * d;
    const mHat = m[i] / (1 - h.beta1 ** t);
    const vHat = v[i] / (1 - h.beta2 ** t);
    p[i] -= h.lr * mHat / (Math.sqrt(vHat) + h.eps);
  }
}

/**
 * A kept parameter tensor (requires grad) with random values, and its float64 copy.
 *
 * @example
 * ```ts ignore
 * const { t, ref } = randomParam([7], 1);
 * ```
 */
export function randomParam(
  shape: number[],
  seed: number,
  lo = -1,
  hi = 1,
): { t: Tensor; ref: Float64Array } {
  const h = randomHost(shape, seed, lo, hi);
  const t = fromHost(h).keep();
  t.requiresGrad = true;
  return { t, ref: Float64Array.from(h.data) };
}

/**
 * Replaces `p.grad` with a kept tensor of `h` (disposing the old one); returns `h.data` as float64.
 *
 * @example
 * ```ts ignore
 * const g64 = setGrad(p, randomHost(p.shape, 3));
 * ```
 */
export function setGrad(p: Tensor, h: HostTensor): Float64Array {
  p.grad?.dispose();
  p.grad = fromHost(h).keep();
  return Float64Array.from(h.data);
}

/**
 * Runtime counters (dispatches, pipelines, readbacks) for asserting what a step records.
 *
 * @example
 * ```ts ignore
 * const before = counters();
 * ```
 */
export function counters(): { dispatches: number; pipelines: number; readbacks: number } {
  const s = gpu().runtime.stats();
  return { dispatches: s.dispatches, pipelines: s.pipelines, readbacks: s.readbacks };
}
