import assert from "node:assert/strict";
import { gpu, initGpu } from "../../../core/gpu/device.ts";
import { KernelError } from "../../../core/gpu/errors.ts";
import { f32, type KernelSpec, moduleCode } from "../../../core/gpu/kernel.ts";
import { textureExtentClass, TexturePool } from "../../../core/gpu/runtime.ts";
import { empty, fromArray, tidy, tidyAsync } from "../../../core/tensor.ts";

const isPow2 = (n: number) => (n & (n - 1)) === 0;

Deno.test("texture extent classes: at least the extent, at most ~25% more, never a power of two", () => {
  for (let e = 1; e <= 5000; e++) {
    const c = textureExtentClass(e);
    assert.ok(c >= e, `${e} -> ${c}`);
    assert.ok(c <= Math.max(e * 1.25 + e / 64 + 1, e + 24), `${e} -> ${c}`);
    assert.ok(!isPow2(c), `${e} -> ${c}`);
  }
  assert.equal(textureExtentClass(16000, 16384), 16384);
  assert.equal(textureExtentClass(16384, 16384), 16384);
});

Deno.test("kernel specs: texture bindings are declared as textures, with their access checked", () => {
  const spec = (access: "read" | "read_write") =>
    ({
      name: "t.tex",
      source: "",
      bindings: [
        { name: "src", access, element: "texture_2d<f32>" },
        { name: "dst", access: "read_write", element: "texture_storage_2d<rgba32float, write>" },
        { name: "out", access: "read_write" },
      ],
      workgroupSize: 8,
    }) as KernelSpec;
  const code = moduleCode(spec("read"), {});
  assert.match(code, /@binding\(1\) var src: texture_2d<f32>;/);
  assert.match(code, /@binding\(2\) var dst: texture_storage_2d<rgba32float, write>;/);
  assert.match(code, /@binding\(3\) var<storage, read_write> out: array<f32>;/);
  assert.throws(() => moduleCode(spec("read_write"), {}), /read-only/);
});

Deno.test("texture pool: reuses by extent class, format and usage; trims free textures", async () => {
  const { device } = await initGpu();
  const pool = new TexturePool(device);
  const a = pool.acquire(100, 30);
  assert.ok(a.width >= 100 && a.height >= 30);
  pool.release(a);
  assert.equal(pool.acquire(101, 29), a, "same class, same texture");
  const b = pool.acquire(101, 29);
  assert.notEqual(b, a);
  const c = pool.acquire(101, 29, "r32float");
  assert.equal(c.format, "r32float");
  const texels = a.width * a.height;
  assert.deepEqual(pool.stats(), {
    live: 3,
    free: 0,
    liveBytes: texels * (16 + 16 + 4),
    freeBytes: 0,
    created: 3,
  });
  for (const t of [a, b, c]) pool.release(t);
  assert.equal(pool.stats().free, 3);
  pool.trim();
  assert.equal(pool.stats().free, 0);
  assert.throws(
    () => pool.release(device.createTexture({ size: [1, 1], format: "rgba32float", usage: 4 })),
    /pool/,
  );
  assert.throws(() => pool.acquire(device.limits.maxTextureDimension2D + 1, 1), RangeError);
});

const STORE: KernelSpec = {
  name: "test.tex_store",
  source: `@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= m(0u) * m(1u)) { return; }
  let x = id % m(0u);
  let y = id / m(0u);
  textureStore(dst, vec2<u32>(x, y), vec4<f32>(f32(x), f32(y), mf(2u), 1.0));
}`,
  bindings: [{ name: "dst", access: "read_write", element: "texture_storage_2d<rgba32float, write>" }],
  workgroupSize: 64,
};

const LOAD: KernelSpec = {
  name: "test.tex_load",
  source: `@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= m(0u) * m(1u)) { return; }
  let t = textureLoad(src, vec2<u32>(id % m(0u), id / m(0u) + m(2u)), 0);
  out[4u * id] = t.x;
  out[4u * id + 1u] = t.y;
  out[4u * id + 2u] = t.z;
  out[4u * id + 3u] = t.w;
}`,
  bindings: [{ name: "src", access: "read", element: "texture_2d<f32>" }, {
    name: "out",
    access: "read_write",
  }],
  workgroupSize: 64,
};

Deno.test("runtime: dispatches bind pooled textures (write, then read), buffer-to-texture copy", async () => {
  await initGpu();
  const rt = gpu().runtime;
  await tidyAsync(async () => {
    const [W, H] = [3, 5];
    const tex = rt.textures.acquire(W, H);
    rt.dispatch(STORE, {}, [tex], [W, H, f32(0.5)], W * H);
    const out = empty([H, W, 4]);
    rt.dispatch(LOAD, {}, [tex, out.buffer], [W, H, 0], W * H);
    rt.textures.release(tex);
    const v = await out.read();
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        assert.deepEqual([...v.subarray(4 * (y * W + x), 4 * (y * W + x) + 4)], [x, y, 0.5, 1]);
      }
    }
    // 2 rows of 64 floats (16 texels) at a 256-byte pitch, copied into rows 1..2 of a texture (read
    // through an explicit view).
    const values = Array.from({ length: 128 }, (_, i) => i);
    const src = fromArray([2, 64], values);
    const tex2 = rt.textures.acquire(16, 3);
    rt.copyToTexture(src.buffer, 0, 256, tex2, [0, 1], [16, 2]);
    const out2 = empty([2, 64]);
    rt.dispatch(LOAD, {}, [tex2.createView(), out2.buffer], [16, 2, 1], 32);
    rt.textures.release(tex2);
    assert.deepEqual([...await out2.read()], values);
  });
});

Deno.test("runtime: a buffer for a texture binding (or the reverse) is a KernelError", async () => {
  await initGpu();
  const rt = gpu().runtime;
  tidy(() => {
    const buf = empty([4]);
    const tex = rt.textures.acquire(1, 1);
    try {
      assert.throws(() => rt.dispatch(LOAD, {}, [buf.buffer, buf.buffer], [1, 1, 0], 1), KernelError);
      assert.throws(() => rt.dispatch(LOAD, {}, [tex, tex], [1, 1, 0], 1), KernelError);
    } finally {
      rt.textures.release(tex);
    }
  });
});
