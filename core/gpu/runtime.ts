/**
 * The command recorder of one device: pipeline cache, buffer pool, and a single open command encoder
 * with one compute pass into which every dispatch of a step is recorded. Uniform blocks live in one
 * arena that is written right before each submit, so no per-dispatch buffer is created.
 *
 * Nothing is submitted until {@link Runtime.flush} (or a readback, which flushes first). Readbacks are
 * the only waits; keep them out of hot loops.
 *
 * @module
 */
import { type DeviceLostError, KernelError } from "./errors.ts";
import { BufferPool } from "./pool.ts";
import {
  cacheKey,
  type ConstValue,
  type F32Word,
  type KernelSpec,
  META_WORDS,
  moduleCode,
  packMeta,
  workgroupSizeOf,
} from "./kernel.ts";

const SLOT_BYTES = 256;
const ARENA_SLOTS = 4096;
const MAX_WG_PER_DIM = 65535;

/** Counters of recorded work. */
export interface RuntimeStats {
  /** Dispatches recorded since creation. */
  dispatches: number;
  /** Submits since creation. */
  submits: number;
  /** Compiled pipelines in the cache. */
  pipelines: number;
  /** Blocking readbacks since creation. */
  readbacks: number;
}

/** Records, submits and reads back GPU work for one device. */
export class Runtime {
  /** The device. */
  readonly device: GPUDevice;
  /** Pooled storage buffers. */
  readonly pool: BufferPool;
  #pipelines = new Map<string, GPUComputePipeline>();
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #arena: GPUBuffer;
  #arenaData = new Uint32Array((ARENA_SLOTS * SLOT_BYTES) / 4);
  #slots = 0;
  #lost: DeviceLostError | null = null;
  #kernelErrors: KernelError[] = [];
  #stats: RuntimeStats = { dispatches: 0, submits: 0, pipelines: 0, readbacks: 0 };

  /**
   * Creates the recorder (and its uniform arena) for a device.
   *
   * @param device the device to record for
   */
  constructor(device: GPUDevice) {
    this.device = device;
    this.pool = new BufferPool(device);
    this.#arena = device.createBuffer({
      size: ARENA_SLOTS * SLOT_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /** Called when the device is lost; every later call throws `error`. */
  markLost(error: DeviceLostError): void {
    this.#lost = error;
  }

  /** Throws the {@link DeviceLostError} if the device was lost, or the first kernel compile error. */
  checkAlive(): void {
    if (this.#lost) throw this.#lost;
    if (this.#kernelErrors.length) throw this.#kernelErrors[0];
  }

  /** The compiled pipeline of a spec under a config, from the cache or compiled now. */
  pipeline<C extends Record<string, ConstValue>>(spec: KernelSpec<C>, config: C): GPUComputePipeline {
    const key = cacheKey(spec, config);
    let p = this.#pipelines.get(key);
    if (!p) {
      const code = moduleCode(spec, config);
      this.device.pushErrorScope("validation");
      const module = this.device.createShaderModule({ code, label: key });
      p = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
        label: key,
      });
      this.device.popErrorScope().then((err) => {
        if (err) this.#kernelErrors.push(new KernelError(key, err.message));
      });
      this.#pipelines.set(key, p);
      this.#stats.pipelines++;
    }
    return p;
  }

  #openPass(): GPUComputePassEncoder {
    this.checkAlive();
    if (!this.#encoder) this.#encoder = this.device.createCommandEncoder();
    if (!this.#pass) this.#pass = this.#encoder.beginComputePass();
    return this.#pass;
  }

  #closePass(): GPUCommandEncoder {
    this.checkAlive();
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    if (!this.#encoder) this.#encoder = this.device.createCommandEncoder();
    return this.#encoder;
  }

  /**
   * Records one dispatch of `spec` into the open compute pass.
   *
   * @param spec the kernel
   * @param config its specialisation (becomes WGSL constants and part of the cache key)
   * @param buffers one buffer per binding of the spec, in order
   * @param meta the uniform words (integers, or floats wrapped with `f32()`)
   * @param invocations total threads; split into a 2-D grid of workgroups when it exceeds one dimension
   * @example
   * ```ts ignore
   * runtime.dispatch(FILL, {}, [out.buffer], [n, f32(1)], n);
   * ```
   */
  dispatch<C extends Record<string, ConstValue>>(
    spec: KernelSpec<C>,
    config: C,
    buffers: readonly GPUBuffer[],
    meta: readonly (number | F32Word)[],
    invocations: number,
  ): void {
    if (buffers.length !== spec.bindings.length) {
      throw new KernelError(spec.name, `expects ${spec.bindings.length} buffers, got ${buffers.length}`);
    }
    if (invocations <= 0) return;
    const pipeline = this.pipeline(spec, config);
    if (this.#slots === ARENA_SLOTS) this.flush();
    const slot = this.#slots++;
    this.#arenaData.set(packMeta(meta), (slot * SLOT_BYTES) / 4);
    const entries: GPUBindGroupEntry[] = [{
      binding: 0,
      resource: { buffer: this.#arena, offset: slot * SLOT_BYTES, size: META_WORDS * 4 },
    }];
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const wg = workgroupSizeOf(spec, config);
    const groups = Math.ceil(invocations / wg);
    const gx = Math.min(groups, MAX_WG_PER_DIM);
    const gy = Math.ceil(groups / gx);
    if (gy > MAX_WG_PER_DIM) throw new KernelError(spec.name, `${invocations} invocations exceed the grid`);
    const pass = this.#openPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy);
    this.#stats.dispatches++;
  }

  /** Records a buffer-to-buffer copy (ends the current compute pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.#closePass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submits everything recorded so far; does not wait. */
  flush(): void {
    this.checkAlive();
    if (!this.#encoder && this.#slots === 0) return;
    const encoder = this.#closePass();
    if (this.#slots > 0) {
      this.device.queue.writeBuffer(this.#arena, 0, this.#arenaData, 0, (this.#slots * SLOT_BYTES) / 4);
    }
    this.device.queue.submit([encoder.finish()]);
    this.#encoder = null;
    this.#slots = 0;
    this.#stats.submits++;
  }

  /**
   * Writes host data into a buffer, after all work recorded so far (the recorder is flushed first, so
   * a pooled buffer still read by recorded work is not overwritten early).
   */
  upload(buffer: GPUBuffer, data: Float32Array | Uint32Array, offsetBytes = 0): void {
    this.flush();
    this.device.queue.writeBuffer(buffer, offsetBytes, data as Float32Array<ArrayBuffer>);
  }

  /** Reads `bytes` bytes of a buffer back to the host; flushes and waits for the GPU. */
  async read(buffer: GPUBuffer, bytes: number, offsetBytes = 0): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      this.copy(buffer, offsetBytes, staging, 0, size);
      this.flush();
      this.#stats.readbacks++;
      try {
        await staging.mapAsync(GPUMapMode.READ);
      } catch (e) {
        this.checkAlive();
        throw e;
      }
      this.checkAlive();
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  /** Waits until all submitted work is done. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive();
  }

  /** A snapshot of the counters. */
  stats(): RuntimeStats {
    return { ...this.#stats };
  }
}
