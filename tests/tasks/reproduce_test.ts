import assert from "node:assert/strict";

const TASK = new URL("../../tasks/reproduce.ts", import.meta.url).pathname;

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, ...args],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("reproduce: trains the MLP job on the adapter and reaches high accuracy", async () => {
  const r = await run(["--steps", "300", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.ok(result.adapter.length > 0);
  assert.ok(result.finalLoss < result.firstLoss / 3, `loss ${result.firstLoss} -> ${result.finalLoss}`);
  assert.ok(result.testAccuracy > 0.85, `test accuracy ${result.testAccuracy}`);
});

Deno.test("reproduce: without a WebGPU adapter it prints one actionable line and exits 1, no stack trace", async () => {
  // On Linux the Metal backend has no adapter, so requestAdapter() returns null.
  const r = await run(["--steps", "1"], { DENO_WEBGPU_BACKEND: "metal" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no WebGPU adapter is available/);
  assert.match(r.stderr, /mesa-vulkan-drivers/);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

Deno.test("reproduce: --help exits 0 and a bad flag exits 2", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--steps/);
  const bad = await run(["--steps", "zero"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--steps/);
});
