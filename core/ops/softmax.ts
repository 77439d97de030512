/**
 * Softmax and log-softmax along one axis (numerically stable: the row maximum is subtracted before
 * exponentiating), each one dispatch forward and one backward.
 *
 * Op kinds: `softmax` and `log_softmax`; both save `{ axis }` (normalised, non-negative) and their
 * backward rules use the op's output, so an override gets everything from `ctx.output` and
 * `ctx.gradOutput`.
 *
 * @module
 */
import { record } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import type { KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";
import { normaliseAxes } from "./reduce.ts";

const FILE = "softmax.wgsl";
const ROW_WG = 64;
const GROUP_WG = 64;
/**
 * Kernel choice (mutable, e.g. for tests): rows at least `groupMinLength` long get one workgroup each,
 * on a CPU fallback adapter only if `groupOnFallback` (llvmpipe measured one thread per row faster at
 * every size tried: [2048, 384] forward+backward 108 vs 212 ms).
 */
export const SOFTMAX_TUNING = { groupMinLength: 128, groupOnFallback: false };

async function spec(
  kernel: string,
  inputs: string[],
  output: string,
  wg: number,
): Promise<KernelSpec<{ LOG: boolean }>> {
  return {
    name: `softmax.${kernel}`,
    source: await kernelSource(FILE, kernel),
    bindings: [
      ...inputs.map((name) => ({ name, access: "read" as const })),
      { name: output, access: "read_write" as const },
    ],
    workgroupSize: wg,
  };
}

const FWD_ROW = await spec("forward_row", ["x"], "out", ROW_WG);
const FWD_GROUP = await spec("forward_group", ["x"], "out", GROUP_WG);
const BWD_ROW = await spec("backward_row", ["y", "g"], "dx", ROW_WG);
const BWD_GROUP = await spec("backward_group", ["y", "g"], "dx", GROUP_WG);

/** Rows, row length and inner stride of `shape` viewed as [outer, L, inner]. */
function rowGeometry(shape: readonly number[], axis: number): [number, number, number] {
  const L = shape[axis];
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  return [outer * inner, L, inner];
}

function dispatchRows(
  row: KernelSpec<{ LOG: boolean }>,
  group: KernelSpec<{ LOG: boolean }>,
  log: boolean,
  buffers: GPUBuffer[],
  shape: readonly number[],
  axis: number,
): void {
  const [rows, L, inner] = rowGeometry(shape, axis);
  if (rows === 0 || L === 0) return;
  const rt = gpu().runtime;
  const useGroup = L >= SOFTMAX_TUNING.groupMinLength &&
    (SOFTMAX_TUNING.groupOnFallback || !gpu().adapter.isFallback);
  if (useGroup) rt.dispatch(group, { LOG: log }, buffers, [rows, L, inner], rows * GROUP_WG);
  else rt.dispatch(row, { LOG: log }, buffers, [rows, L, inner], rows);
}

function softmaxOp(kind: "softmax" | "log_softmax", x: Tensor, axis: number): Tensor {
  const [ax] = normaliseAxes(axis, x.rank);
  const log = kind === "log_softmax";
  const y = empty(x.shape);
  dispatchRows(FWD_ROW, FWD_GROUP, log, [x.buffer, y.buffer], x.shape, ax);
  return record(kind, [x], y, ({ gradOutput: g, output }) => [softmaxBackward(output, g, ax, log)], {
    axis: ax,
  });
}

/**
 * The input gradient of softmax (`log = false`: `y * (g - sum(g * y))`) or log-softmax
 * (`log = true`: `g - exp(y) * sum(g)`) from the op's output `y` and output gradient `g` (no tape record).
 *
 * @example
 * ```ts ignore
 * const dx = softmaxBackward(y, g, 1, false);
 * ```
 */
export function softmaxBackward(y: Tensor, g: Tensor, axis: number, log: boolean): Tensor {
  const [ax] = normaliseAxes(axis, y.rank);
  const dx = empty(y.shape);
  dispatchRows(BWD_ROW, BWD_GROUP, log, [y.buffer, g.buffer, dx.buffer], y.shape, ax);
  return dx;
}

/**
 * Softmax along `axis` (default: the last): `exp(x - max) / sum(exp(x - max))`. Op kind `softmax`,
 * saves `{ axis }`.
 *
 * @example
 * ```ts ignore
 * const p = softmax(logits); // [N, C], rows sum to 1
 * ```
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp("softmax", x, axis);
}

/**
 * Log-softmax along `axis` (default: the last): `x - max - log(sum(exp(x - max)))`. Op kind
 * `log_softmax`, saves `{ axis }`.
 *
 * @example
 * ```ts ignore
 * const logp = logSoftmax(logits, 1);
 * ```
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxOp("log_softmax", x, axis);
}
