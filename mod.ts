/**
 * How-to-Probe on WebGPU: the engine of an interpretability toolkit that trains probes on frozen
 * backbones, explains them and scores the explanations, with every numerical step in hand-written
 * WGSL compute shaders.
 *
 * @example
 * ```ts ignore
 * import { fromArray, grad, initGpu, ops } from "./mod.ts";
 *
 * const { adapter } = await initGpu();
 * console.log(adapter.name, adapter.isFallback ? "(CPU fallback)" : "");
 * const x = fromArray([3], [1, -2, 3]);
 * x.requiresGrad = true;
 * const y = ops.sum(ops.relu(x));
 * const [dx] = grad(y, [x]);
 * console.log(await y.read(), await dx!.read()); // [4] [1, 0, 1]
 * ```
 *
 * @module
 */
export { gpu, initGpu } from "./core/gpu/device.ts";
export type { AdapterReport, Gpu } from "./core/gpu/device.ts";
export { DeviceLostError, GpuUnavailableError, KernelError } from "./core/gpu/errors.ts";
export { type BindingSpec, type ConstValue, f32, type F32Word, type KernelSpec } from "./core/gpu/kernel.ts";
export { Runtime, type RuntimeStats, TexturePool, type TexturePoolStats } from "./core/gpu/runtime.ts";
export { BufferPool, type PoolStats } from "./core/gpu/pool.ts";
export { kernelSource } from "./core/gpu/shader_source.ts";
export { empty, fromArray, fromHost, keep, Tensor, tidy, tidyAsync, view } from "./core/tensor.ts";
export type { HostTensor } from "./core/host_tensor.ts";
export {
  backward,
  type BackwardOptions,
  type BackwardRule,
  grad,
  inLayer,
  isGradEnabled,
  noGrad,
  record,
  type RuleContext,
  type RuleOverrides,
  type TapeNode,
  withRules,
} from "./core/autograd.ts";
export * as ops from "./core/ops/mod.ts";
export * as optim from "./core/optim/mod.ts";
export { Module, withCapture } from "./core/nn/module.ts";
export * as explainers from "./explainers/mod.ts";
export * as metrics from "./metrics/mod.ts";
