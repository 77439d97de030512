/**
 * Acquires the WebGPU adapter and a device with the adapter's own limits, and exposes the runtime that
 * every op uses: {@link Gpu}.
 *
 * @module
 */
import { DeviceLostError, GpuUnavailableError } from "./errors.ts";
import { Runtime } from "./runtime.ts";

/** What the toolkit reports about the adapter it runs on. */
export interface AdapterReport {
  /** Human-readable adapter name (driver description or device). */
  name: string;
  /** Vendor string as WebGPU reports it. */
  vendor: string;
  /** True for a CPU fallback adapter such as Mesa's llvmpipe. */
  isFallback: boolean;
  /** Largest storage buffer binding, bytes. */
  maxStorageBufferBindingSize: number;
  /** Largest buffer, bytes. */
  maxBufferSize: number;
}

/** The acquired device and its runtime (pipeline cache, buffer pool, command recorder). */
export interface Gpu {
  /** The WebGPU device. */
  device: GPUDevice;
  /** Adapter facts. */
  adapter: AdapterReport;
  /** Dispatch, upload and readback. */
  runtime: Runtime;
}

let current: Gpu | null = null;
let pending: Promise<Gpu> | null = null;
let lostError: DeviceLostError | null = null;

function copyLimits(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key in limits) {
    const v = (limits as unknown as Record<string, unknown>)[key];
    if (typeof v === "number") out[key] = v;
  }
  return out;
}

async function acquire(): Promise<Gpu> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new GpuUnavailableError("navigator.gpu is undefined in this runtime");
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    throw new GpuUnavailableError(`requestAdapter failed: ${(e as Error).message}`);
  }
  if (!adapter) throw new GpuUnavailableError("requestAdapter returned null");
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits: copyLimits(adapter.limits) });
  } catch (e) {
    throw new GpuUnavailableError(`requestDevice failed: ${(e as Error).message}`);
  }
  const info = adapter.info;
  const report: AdapterReport = {
    name: info.description || info.device || info.architecture || "unknown adapter",
    vendor: info.vendor,
    isFallback: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
  };
  const runtime = new Runtime(device);
  const result: Gpu = { device, adapter: report, runtime };
  device.lost.then((lost) => {
    const error = new DeviceLostError(lost.reason ?? "unknown", lost.message);
    runtime.markLost(error);
    if (current === result) {
      current = null;
      lostError = error;
    }
  });
  return result;
}

/**
 * Returns the process-wide GPU, acquiring it on first use.
 *
 * @throws {GpuUnavailableError} when no adapter or device can be had.
 * @example
 * ```ts ignore
 * import { initGpu } from "./device.ts";
 * const gpu = await initGpu();
 * console.log(gpu.adapter.name, gpu.adapter.isFallback);
 * ```
 */
export function initGpu(): Promise<Gpu> {
  if (current) return Promise.resolve(current);
  if (!pending) {
    pending = acquire().then((g) => {
      lostError = null;
      return (current = g);
    }).finally(() => (pending = null));
  }
  return pending;
}

/**
 * The GPU acquired by {@link initGpu}; throws if it was not awaited first, and throws the
 * {@link DeviceLostError} after the device was lost (until `initGpu()` acquires a new one).
 *
 * @example
 * ```ts ignore
 * await initGpu();
 * const { runtime } = gpu();
 * ```
 */
export function gpu(): Gpu {
  if (!current) {
    if (lostError) throw lostError;
    throw new Error("the GPU is not initialised: await initGpu() before creating tensors");
  }
  return current;
}
