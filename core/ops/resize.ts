/**
 * Bilinear resizing of NCHW tensors, matching torch's `F.interpolate(mode="bilinear")` with
 * `align_corners=False` (half-pixel centres, source coordinates clamped at 0) or `True`. Used to upsample
 * GradCAM maps and for random-resized-crop augmentation on the GPU.
 *
 * Op kind `resize_bilinear`; the tape node saves `{ size: [oh, ow], alignCorners }`.
 *
 * @module
 */
import { record } from "../autograd.ts";
import { gpu } from "../gpu/device.ts";
import { f32, type KernelSpec } from "../gpu/kernel.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import { empty, type Tensor } from "../tensor.ts";

const FILE = "resize.wgsl";
const FWD: KernelSpec = {
  name: "resize.fwd",
  source: await kernelSource(FILE, "fwd"),
  bindings: [{ name: "x", access: "read" }, { name: "y", access: "read_write" }],
  workgroupSize: 64,
};
const BWD: KernelSpec = {
  name: "resize.bwd",
  source: await kernelSource(FILE, "bwd"),
  bindings: [{ name: "g", access: "read" }, { name: "dx", access: "read_write" }],
  workgroupSize: 64,
};

/** Options of {@link resizeBilinear}. */
export interface ResizeBilinearOptions {
  /** Sample the corner pixels' centres exactly (torch's `align_corners`); default false. */
  alignCorners?: boolean;
}

/** torch's `area_pixel_compute_scale` for an explicit output size. */
function scaleOf(inSize: number, outSize: number, alignCorners: boolean): number {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return inSize / outSize;
}

/**
 * Resizes `x [N, C, H, W]` to `[N, C, oh, ow]` by bilinear interpolation, like
 * `F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=alignCorners)`. Differentiable with
 * respect to `x`.
 *
 * @example
 * ```ts ignore
 * const heat = resizeBilinear(cam, [224, 224]); // [N, 1, 7, 7] -> [N, 1, 224, 224]
 * ```
 */
export function resizeBilinear(
  x: Tensor,
  size: readonly [number, number],
  opts: ResizeBilinearOptions = {},
): Tensor {
  if (x.rank !== 4) throw new RangeError(`resizeBilinear: input must be [N, C, H, W], got [${x.shape}]`);
  const [N, C, H, W] = x.shape;
  const [oh, ow] = size;
  if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) {
    throw new RangeError(`resizeBilinear: output size must be positive integers, got [${size}]`);
  }
  if (H < 1 || W < 1) throw new RangeError(`resizeBilinear: empty input [${x.shape}]`);
  const align = opts.alignCorners ?? false;
  const meta = (total: number) => [
    total,
    H,
    W,
    oh,
    ow,
    f32(scaleOf(H, oh, align)),
    f32(scaleOf(W, ow, align)),
    align ? 1 : 0,
  ];
  const y = empty([N, C, oh, ow]);
  gpu().runtime.dispatch(FWD, {}, [x.buffer, y.buffer], meta(y.size), y.size);
  return record("resize_bilinear", [x], y, ({ gradOutput: g }) => {
    const dx = empty(x.shape);
    gpu().runtime.dispatch(BWD, {}, [g.buffer, dx.buffer], meta(dx.size), dx.size);
    return [dx];
  }, { size: [oh, ow], alignCorners: align });
}
