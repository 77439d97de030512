/**
 * The command recorder of one device: pipeline cache, buffer pool, texture pool, and a single open
 * command encoder with one compute pass into which every dispatch of a step is recorded. Uniform blocks
 * live in one arena that is written right before each submit, so no per-dispatch buffer is created.
 *
 * Pooled buffers and textures may be released as soon as the last dispatch that uses them is
 * recorded: dispatches run in recording order, so a later user of the same buffer or texture writes it
 * only after the earlier ones read it.
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
  isTextureBinding,
  type KernelSpec,
  META_WORDS,
  moduleCode,
  packMeta,
  workgroupSizeOf,
} from "./kernel.ts";

const SLOT_BYTES = 256;
const ARENA_SLOTS = 4096;
const MAX_WG_PER_DIM = 65535;

/** What a binding of a dispatch takes: a buffer, or a texture (its default view) or texture view. */
export type BindingResource = GPUBuffer | GPUTexture | GPUTextureView;

/**
 * Usage flags of pooled textures by default: sampled (`textureLoad`), storage (`textureStore`) and
 * copy destination ({@link Runtime.copyToTexture}).
 */
export const POOLED_TEXTURE_USAGE: number = GPUTextureUsage.TEXTURE_BINDING |
  GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST;

const TEXEL_BYTES: Partial<Record<GPUTextureFormat, number>> = {
  "rgba32float": 16,
  "rgba16float": 8,
  "rg32float": 8,
  "r32float": 4,
  "rgba8unorm": 4,
};

/**
 * Rounds a texture extent up to its size class: a multiple of 8 up to 64, then four classes per power
 * of two (at most 25% waste), moved off powers of two (by 8, or by 1/64 above 512), never above `max`.
 * Mesa's llvmpipe compiles a separate variant of a shader for each combination of power-of-two-ness
 * of the bound textures' extents (seconds for a large kernel), so pooled textures keep to one kind.
 *
 * @example
 * ```ts
 * import { textureExtentClass } from "./runtime.ts";
 * console.log(textureExtentClass(7), textureExtentClass(1000)); // 24 1040
 * console.log(textureExtentClass(3000, 2048)); // 2048
 * ```
 */
export function textureExtentClass(extent: number, max = Infinity): number {
  const e = Math.max(1, Math.ceil(extent));
  const step = e <= 64 ? 8 : 2 ** (Math.floor(Math.log2(e)) - 2);
  let c = Math.ceil(e / step) * step;
  while ((c & (c - 1)) === 0) c += Math.max(8, c / 64);
  return Math.max(e, Math.min(c, max));
}

/** Counters describing a {@link TexturePool}. */
export interface TexturePoolStats {
  /** Textures handed out and not yet released. */
  live: number;
  /** Textures released and waiting for reuse. */
  free: number;
  /** Bytes held by live textures. */
  liveBytes: number;
  /** Bytes held by free textures. */
  freeBytes: number;
  /** Textures ever created. */
  created: number;
}

/**
 * Reuses 2-D textures keyed by (width, height, format, usage), with both extents rounded up to a
 * {@link textureExtentClass} so that nearby shapes share textures. A texture handed out may be larger
 * than asked for; kernels address only the region they need.
 */
export class TexturePool {
  #device: GPUDevice;
  #free = new Map<string, GPUTexture[]>();
  #keys = new WeakMap<GPUTexture, { key: string; bytes: number }>();
  #stats: TexturePoolStats = { live: 0, free: 0, liveBytes: 0, freeBytes: 0, created: 0 };

  /**
   * Creates an empty pool for a device.
   *
   * @param device the device that creates the textures
   */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /**
   * Returns a texture of at least `width` x `height` texels.
   *
   * @param width texels along x (at most the device's `maxTextureDimension2D`)
   * @param height texels along y (same limit)
   * @param format texel format, `rgba32float` by default
   * @param usage usage flags, {@link POOLED_TEXTURE_USAGE} by default
   * @example
   * ```ts ignore
   * const tex = runtime.textures.acquire(256, 1024); // rgba32float, sampled + storage
   * runtime.textures.release(tex);
   * ```
   */
  acquire(
    width: number,
    height: number,
    format: GPUTextureFormat = "rgba32float",
    usage: number = POOLED_TEXTURE_USAGE,
  ): GPUTexture {
    const max = this.#device.limits.maxTextureDimension2D;
    if (width > max || height > max || width < 1 || height < 1) {
      throw new RangeError(`texture ${width}x${height} outside 1..${max} texels per side`);
    }
    const w = textureExtentClass(width, max);
    const h = textureExtentClass(height, max);
    const key = `${w}x${h}|${format}|${usage}`;
    const bytes = w * h * (TEXEL_BYTES[format] ?? 16);
    let texture = this.#free.get(key)?.pop();
    if (texture) {
      this.#stats.free--;
      this.#stats.freeBytes -= bytes;
    } else {
      texture = this.#device.createTexture({ size: [w, h], format, usage, label: `pool ${key}` });
      this.#keys.set(texture, { key, bytes });
      this.#stats.created++;
    }
    this.#stats.live++;
    this.#stats.liveBytes += bytes;
    return texture;
  }

  /** Gives a texture from {@link TexturePool.acquire} back for reuse. */
  release(texture: GPUTexture): void {
    const entry = this.#keys.get(texture);
    if (!entry) throw new Error("TexturePool.release: the texture does not come from this pool");
    let list = this.#free.get(entry.key);
    if (!list) this.#free.set(entry.key, list = []);
    list.push(texture);
    this.#stats.live--;
    this.#stats.liveBytes -= entry.bytes;
    this.#stats.free++;
    this.#stats.freeBytes += entry.bytes;
  }

  /** Destroys every free texture (live ones are untouched). */
  trim(): void {
    for (const list of this.#free.values()) for (const t of list) t.destroy();
    this.#free.clear();
    this.#stats.free = 0;
    this.#stats.freeBytes = 0;
  }

  /** A snapshot of the pool's counters. */
  stats(): TexturePoolStats {
    return { ...this.#stats };
  }
}

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
  /** Pooled textures. */
  readonly textures: TexturePool;
  #views = new WeakMap<GPUTexture, GPUTextureView>();
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
    this.textures = new TexturePool(device);
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
   * @param buffers one resource per binding of the spec, in order: a buffer for a storage-buffer
   *   binding, a texture (bound through its default view) or a texture view for a texture binding
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
    buffers: readonly (GPUBuffer | GPUTexture | GPUTextureView)[],
    meta: readonly (number | F32Word)[],
    invocations: number,
  ): void {
    if (buffers.length !== spec.bindings.length) {
      throw new KernelError(spec.name, `expects ${spec.bindings.length} buffers, got ${buffers.length}`);
    }
    const resources = buffers.map((r, i) => this.#resource(spec.name, spec.bindings[i], r));
    if (invocations <= 0) return;
    const pipeline = this.pipeline(spec, config);
    if (this.#slots === ARENA_SLOTS) this.flush();
    const slot = this.#slots++;
    this.#arenaData.set(packMeta(meta), (slot * SLOT_BYTES) / 4);
    const entries: GPUBindGroupEntry[] = [{
      binding: 0,
      resource: { buffer: this.#arena, offset: slot * SLOT_BYTES, size: META_WORDS * 4 },
    }];
    resources.forEach((resource, i) => entries.push({ binding: i + 1, resource }));
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

  #resource(
    kernel: string,
    binding: KernelSpec["bindings"][number],
    r: BindingResource,
  ): GPUBindingResource {
    const texture = r instanceof GPUTexture;
    const view = r instanceof GPUTextureView;
    if (isTextureBinding(binding) !== (texture || view)) {
      throw new KernelError(
        kernel,
        `binding ${binding.name} (${binding.element ?? "f32"}) got a ${
          texture || view ? "texture" : "buffer"
        }`,
      );
    }
    if (texture) {
      let v = this.#views.get(r);
      if (!v) this.#views.set(r, v = r.createView());
      return v;
    }
    return view ? r : { buffer: r as GPUBuffer };
  }

  /** Records a buffer-to-buffer copy (ends the current compute pass). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.#closePass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /**
   * Records a buffer-to-texture copy (ends the current compute pass): `size` = [width, height] texels
   * from `src` at `srcOffset` bytes, rows `bytesPerRow` apart (a multiple of 256), into `texture` at
   * `origin` = [x, y].
   *
   * @example
   * ```ts ignore
   * // a contiguous [rows, 64] f32 matrix into rgba32float texels (16 per row)
   * runtime.copyToTexture(t.buffer, 0, 256, texture, [0, 0], [16, rows]);
   * ```
   */
  copyToTexture(
    src: GPUBuffer,
    srcOffset: number,
    bytesPerRow: number,
    texture: GPUTexture,
    origin: readonly [number, number],
    size: readonly [number, number],
  ): void {
    this.#closePass().copyBufferToTexture(
      { buffer: src, offset: srcOffset, bytesPerRow },
      { texture, origin: [origin[0], origin[1]] },
      [size[0], size[1]],
    );
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
