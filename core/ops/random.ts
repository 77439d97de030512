/**
 * Seeded random tensors from a counter-based generator: element `i` of a draw depends only on the
 * seed and `i` (see shaders/random.wgsl), so results do not depend on call order across kernels.
 * {@link uniform01Host} is the same generator on the CPU.
 *
 * @module
 */
import { f32, type KernelSpec } from "../gpu/kernel.ts";
import { gpu } from "../gpu/device.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";

const FILE = "random.wgsl";
const bindings = [{ name: "out", access: "read_write" }] as const;
const UNIFORM: KernelSpec = {
  name: "random.uniform",
  source: await kernelSource(FILE, "uniform"),
  bindings,
  workgroupSize: 256,
};
const NORMAL: KernelSpec = {
  name: "random.normal",
  source: await kernelSource(FILE, "normal"),
  bindings,
  workgroupSize: 256,
};

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return seed;
}

/**
 * Uniform values in `[lo, hi)`.
 *
 * @example
 * ```ts ignore
 * const w = randUniform([64, 32], 7, -0.1, 0.1);
 * ```
 */
export function randUniform(shape: readonly number[], seed: number, lo = 0, hi = 1): Tensor {
  const out = empty(shape);
  gpu().runtime.dispatch(UNIFORM, {}, [out.buffer], [out.size, checkSeed(seed), f32(lo), f32(hi)], out.size);
  return out;
}

/**
 * Normal values with the given mean and standard deviation (Box-Muller).
 *
 * @example
 * ```ts ignore
 * const w = randNormal([10, 2048], 0, 0, 0.01);
 * ```
 */
export function randNormal(shape: readonly number[], seed: number, mean = 0, std = 1): Tensor {
  const out = empty(shape);
  gpu().runtime.dispatch(
    NORMAL,
    {},
    [out.buffer],
    [out.size, checkSeed(seed), f32(mean), f32(std)],
    out.size,
  );
  return out;
}

function mix32(x: number): number {
  let v = x >>> 0;
  v ^= v >>> 16;
  v = Math.imul(v, 0x7feb352d) >>> 0;
  v ^= v >>> 15;
  v = Math.imul(v, 0x846ca68b) >>> 0;
  v ^= v >>> 16;
  return v >>> 0;
}

/**
 * The GPU generator's uniform value for (seed, counter), computed on the CPU.
 *
 * @example
 * ```ts
 * import { uniform01Host } from "./random.ts";
 * const u = uniform01Host(1, 0);
 * console.log(u >= 0 && u < 1); // true
 * ```
 */
export function uniform01Host(seed: number, counter: number): number {
  return (mix32((counter ^ mix32(seed)) >>> 0) >>> 8) * 5.9604644775390625e-8;
}
