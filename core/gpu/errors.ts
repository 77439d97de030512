/**
 * Typed errors of the GPU runtime, so that command-line entry points can print an actionable line and
 * pipelines can catch a lost device to save their state.
 *
 * @module
 */

/** No WebGPU adapter (or device) could be acquired. */
export class GpuUnavailableError extends Error {
  /**
   * Builds the error with advice on getting an adapter.
   *
   * @param detail what failed, shown after the generic advice
   * @example
   * ```ts
   * import { GpuUnavailableError } from "./errors.ts";
   * console.log(new GpuUnavailableError("requestAdapter returned null").name); // GpuUnavailableError
   * ```
   */
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
   * Builds the error from the device-lost info.
   *
   * @param reason WebGPU's loss reason
   * @param detail WebGPU's message
   * @example
   * ```ts
   * import { DeviceLostError } from "./errors.ts";
   * console.log(new DeviceLostError("destroyed", "").reason); // destroyed
   * ```
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
   * Builds the error from the kernel name and diagnostics.
   *
   * @param kernel the kernel spec's name
   * @param detail the compiler's or validator's message
   * @example
   * ```ts
   * import { KernelError } from "./errors.ts";
   * console.log(new KernelError("ew.unary", "bad").message); // kernel ew.unary: bad
   * ```
   */
  constructor(kernel: string, detail: string) {
    super(`kernel ${kernel}: ${detail}`);
    this.name = "KernelError";
  }
}
