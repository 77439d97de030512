import assert from "node:assert/strict";
import { gpu, initGpu } from "../../../core/gpu/device.ts";
import { cacheKey, moduleCode } from "../../../core/gpu/kernel.ts";
import { sizeClass } from "../../../core/gpu/pool.ts";
import { splitKernels } from "../../../core/gpu/shader_source.ts";

const ROOT = new URL("../../../", import.meta.url).href;

Deno.test("device: the adapter is reported and the device requests the adapter's own limits", async () => {
  const g = await initGpu();
  assert.ok(g.adapter.name.length > 0);
  assert.equal(typeof g.adapter.isFallback, "boolean");
  const adapter = await navigator.gpu.requestAdapter();
  assert.equal(g.device.limits.maxStorageBufferBindingSize, adapter!.limits.maxStorageBufferBindingSize);
  assert.equal(
    g.device.limits.maxComputeInvocationsPerWorkgroup,
    adapter!.limits.maxComputeInvocationsPerWorkgroup,
  );
  assert.equal(
    g.device.limits.maxComputeWorkgroupStorageSize,
    adapter!.limits.maxComputeWorkgroupStorageSize,
  );
});

Deno.test("device: a lost device raises DeviceLostError that a pipeline can catch, and exit code 3", async () => {
  const script = `
    import { initGpu, fromArray, ops, DeviceLostError } from "${ROOT}mod.ts";
    import { runMain } from "${ROOT}tasks/cli.ts";
    await runMain("lost", async () => {
      const g = await initGpu();
      const x = fromArray([4], [1, 2, 3, 4]);
      g.device.destroy();
      await g.device.lost;
      try { ops.relu(x); } catch (e) { if (e instanceof DeviceLostError) console.log("caught"); throw e; }
      return 0;
    });
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { XDG_RUNTIME_DIR: "/tmp" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 3, stderr);
  assert.match(stdout, /caught/);
  assert.match(stderr, /device lost: the GPU device was lost \(destroyed\)/);
});

Deno.test("kernel specs: cache key from the config, generated header with bindings and constants", () => {
  assert.equal(cacheKey({ name: "a.b" }, { Z: 1, A: true }), "a.b|A=1|Z=1");
  const code = moduleCode({
    name: "t",
    source: "",
    bindings: [{ name: "x", access: "read" }, { name: "y", access: "read_write", element: "vec4<f32>" }],
    workgroupSize: (c: { OP: number }) => (c.OP ? 128 : 64),
    constTypes: { EPS: "f32" },
  } as never, { OP: 1, EPS: 2 } as never);
  assert.match(code, /@binding\(1\) var<storage, read> x: array<f32>;/);
  assert.match(code, /@binding\(2\) var<storage, read_write> y: array<vec4<f32>>;/);
  assert.match(code, /const WG: u32 = 128u;/);
  assert.match(code, /const EPS: f32 = 2.0;/);
});

Deno.test("pipeline cache: the same spec and config compile once; new shapes do not recompile", async () => {
  const { ops, fromArray, tidy } = await import("../../../mod.ts");
  await initGpu();
  tidy(() => ops.exp(fromArray([3], [1, 2, 3])));
  const before = gpu().runtime.stats().pipelines;
  tidy(() => ops.exp(fromArray([7, 5], new Array(35).fill(0))));
  assert.equal(gpu().runtime.stats().pipelines, before);
});

Deno.test("buffer pool: size classes and shader sections", () => {
  assert.equal(sizeClass(1), 256);
  assert.equal(sizeClass(4096), 4096);
  assert.equal(sizeClass(4097), 5120);
  assert.ok(sizeClass(1_000_000) >= 1_000_000 && sizeClass(1_000_000) <= 1_250_000);
  const k = splitKernels("common\n// @kernel a\nA\n// @kernel b\nB\n");
  assert.deepEqual([...k.keys()], ["a", "b"]);
  assert.ok(k.get("b")!.startsWith("common") && k.get("b")!.includes("B") && !k.get("b")!.includes("A"));
});
