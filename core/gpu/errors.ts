/**
 * Typed errors of the GPU runtime, so that command-line entry points can print an actionable line and
 * pipelines can catch a lost device to save their state.
 *
 * @module
 */

/** No WebGPU adapter (or device) could be acquired. */
export class GpuUnavailableError extends Error {
  /** @param detail what failed, shown after the generic advice */
  constructor(detail: string) {
    super(
      `no WebGPU adapter is available (${detail}). Install a GPU driver with Vulkan support, or Mesa's ` +
        `llvmpipe on a CPU-only machine (Debian: apt-get install mesa-vulkan-drivers libgl1-mesa-dri), ` +
        `and run Deno 2.9+ (navigator.gpu). DENO_WEBGPU_BACKEND=vulkan selects the Vulkan backend.`,
    );
    this.name = "GpuUnavailableError";
  }
}

/** The GPU device was lost (driver reset, out of memory, or destroyed); work in flight is gone. */
export class DeviceLostError extends Error {
  /** The reason WebGPU reported ("destroyed" or "unknown"). */
  readonly reason: string;
  /**
   * @param reason WebGPU's loss reason
   * @param detail WebGPU's message
   */
  constructor(reason: string, detail: string) {
    super(`the GPU device was lost (${reason}): ${detail}`);
    this.name = "DeviceLostError";
    this.reason = reason;
  }
}

/** A kernel failed validation or compilation; carries the kernel name and the WGSL diagnostics. */
export class KernelError extends Error {
  /**
   * @param kernel the kernel spec's name
   * @param detail the compiler's or validator's message
   */
  constructor(kernel: string, detail: string) {
    super(`kernel ${kernel}: ${detail}`);
    this.name = "KernelError";
  }
}
