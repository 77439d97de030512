/**
 * Seeded parameter initialisation (torchvision's conventions), on the GPU.
 *
 * @module
 */
import { randNormal, randUniform } from "../ops/random.ts";
import type { Tensor } from "../tensor.ts";

/**
 * Derives a 32-bit seed for one parameter from a model seed and the parameter's name, so that the
 * same model seed always gives the same weights whatever order layers are built in.
 *
 * @example
 * ```ts
 * import { paramSeed } from "./init.ts";
 * console.log(paramSeed(0, "conv1.weight") === paramSeed(0, "conv1.weight")); // true
 * ```
 */
export function paramSeed(seed: number, name: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Kaiming-normal weights with `fan_out` mode and ReLU gain (torchvision ResNet's conv init):
 * std = sqrt(2 / (out_channels * kh * kw)).
 *
 * @example
 * ```ts ignore
 * const w = kaimingNormalFanOut([64, 3, 7, 7], 123);
 * ```
 */
export function kaimingNormalFanOut(shape: readonly number[], seed: number): Tensor {
  const fanOut = shape[0] * shape.slice(2).reduce((p, d) => p * d, 1);
  return randNormal(shape, seed, 0, Math.sqrt(2 / fanOut));
}

/**
 * torch's default Linear/Conv init: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming-uniform with
 * a = sqrt(5) gives the same bound for the weight).
 *
 * @example
 * ```ts ignore
 * const w = uniformFanIn([10, 512], 512, 7);
 * ```
 */
export function uniformFanIn(shape: readonly number[], fanIn: number, seed: number): Tensor {
  const bound = 1 / Math.sqrt(Math.max(fanIn, 1));
  return randUniform(shape, seed, -bound, bound);
}
