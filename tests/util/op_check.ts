/**
 * One parametrised check for an op: the GPU forward against a plain-TS float64 CPU reference, and the
 * GPU backward against float64 central finite differences of that reference. A new op's test is a
 * few lines:
 *
 * ```ts ignore
 * await checkOp({
 *   name: "relu",
 *   inputs: [randomHost([7, 33], 1)],
 *   gpu: (x) => relu(x),
 *   cpu: (x) => map64(x, (v) => Math.max(v, 0)),
 * });
 * ```
 *
 * @module
 */
import { grad } from "../../core/autograd.ts";
import { initGpu } from "../../core/gpu/device.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import { shapeSize } from "../../core/host_tensor.ts";
import "../../core/ops/mod.ts";
import { fromArray, type Tensor, tidyAsync } from "../../core/tensor.ts";
import { assertClose } from "./assert_close.ts";
import assert from "node:assert/strict";

/** A float64 tensor of the CPU references. */
export interface Tensor64 {
  /** Dimensions. */
  shape: number[];
  /** Row-major values. */
  data: Float64Array;
}

/** A case for {@link checkOp}. */
export interface OpCase {
  /** Shown in failures. */
  name: string;
  /** Input values (float32-representable). */
  inputs: HostTensor[];
  /** Which inputs get a gradient check (default: all). */
  grad?: boolean[];
  /** The GPU computation. */
  gpu: (...xs: Tensor[]) => Tensor;
  /** The float64 CPU reference. */
  cpu: (...xs: Tensor64[]) => Tensor64;
  /** Forward tolerance (max relative error), default 1e-5. */
  tol?: number;
  /** Gradient tolerance, default 1e-3. */
  gradTol?: number;
  /** Finite-difference step, default 1e-4 (relative to max(1, |x|)). */
  fdStep?: number;
  /** Skip the backward check (ops without gradients). */
  forwardOnly?: boolean;
  /** Seed of the random output weighting. */
  seed?: number;
}

/**
 * A deterministic pseudo-random host tensor with values in [lo, hi).
 *
 * @example
 * ```ts ignore
 * const x = randomHost([2, 3], 1, -1, 1);
 * ```
 */
export function randomHost(shape: number[], seed: number, lo = -1, hi = 1): HostTensor {
  let s = (seed * 2654435761) >>> 0 || 1;
  const data = new Float32Array(shapeSize(shape));
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return { shape, data };
}

/**
 * Applies `f` to every element of a float64 tensor.
 *
 * @example
 * ```ts ignore
 * const y = map64(x, Math.exp);
 * ```
 */
export function map64(x: Tensor64, f: (v: number, i: number) => number): Tensor64 {
  return { shape: [...x.shape], data: x.data.map(f) };
}

function to64(h: HostTensor): Tensor64 {
  return { shape: [...h.shape], data: Float64Array.from(h.data) };
}

/**
 * Runs the forward and backward comparisons of one case; throws with the case name on a mismatch.
 *
 * @example
 * ```ts ignore
 * await checkOp({ name: "neg", inputs: [randomHost([3], 1)], gpu: neg, cpu: (x) => map64(x, (v) => -v) });
 * ```
 */
export async function checkOp(c: OpCase): Promise<void> {
  await initGpu();
  const xs64 = c.inputs.map(to64);
  const ref = c.cpu(...xs64);
  const w = randomHost(ref.shape, c.seed ?? 99, -1, 1).data;
  await tidyAsync(async () => {
    const xs = c.inputs.map((h) => fromArray(h.shape, h.data));
    const checkGrad = c.inputs.map((_, i) => !c.forwardOnly && (c.grad?.[i] ?? true));
    xs.forEach((x, i) => (x.requiresGrad = checkGrad[i]));
    const y = c.gpu(...xs);
    assert.deepEqual([...y.shape], ref.shape, `${c.name}: output shape`);
    assertClose(await y.read(), ref.data, c.tol ?? 1e-5, `${c.name} forward`);
    if (!checkGrad.some(Boolean)) return;
    const wanted = xs.filter((_, i) => checkGrad[i]);
    const grads = grad(y, wanted, { gradOutput: fromArray(ref.shape, w) });
    let k = 0;
    for (let i = 0; i < xs.length; i++) {
      if (!checkGrad[i]) continue;
      const g = grads[k++];
      const fd = finiteDifference(c, xs64, i, w);
      const got = g ? await g.read() : new Float32Array(fd.length);
      assertClose(got, fd, c.gradTol ?? 1e-3, `${c.name} gradient of input ${i}`);
    }
  });
}

function finiteDifference(c: OpCase, xs: Tensor64[], i: number, w: Float32Array): Float64Array {
  const x = xs[i];
  const out = new Float64Array(x.data.length);
  const loss = () => {
    const y = c.cpu(...xs).data;
    let s = 0;
    for (let j = 0; j < y.length; j++) s += w[j] * y[j];
    return s;
  };
  for (let j = 0; j < x.data.length; j++) {
    const v = x.data[j];
    const h = (c.fdStep ?? 1e-4) * Math.max(1, Math.abs(v));
    x.data[j] = v + h;
    const up = loss();
    x.data[j] = v - h;
    const down = loss();
    x.data[j] = v;
    out[j] = (up - down) / (2 * h);
  }
  return out;
}
