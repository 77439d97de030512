import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".wgsl": "text/plain",
  ".json": "application/json",
};

Deno.test("mod.ts imports by URL over HTTP, shaders included, and computes on the GPU", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      if (path.includes("..")) return new Response("bad path", { status: 400 });
      try {
        const body = await Deno.readFile(new URL(`.${path}`, ROOT));
        const ext = path.slice(path.lastIndexOf("."));
        return new Response(body, { headers: { "content-type": TYPES[ext] ?? "application/octet-stream" } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const script = `
      import { fromArray, grad, initGpu, ops } from "http://${host}/mod.ts";
      await initGpu();
      const x = fromArray([3], [1, -2, 3]);
      x.requiresGrad = true;
      const y = ops.sum(ops.relu(x));
      const [dx] = grad(y, [x]);
      console.log(JSON.stringify([...(await y.read()), ...(await dx.read())]));
    `;
    const dir = await Deno.makeTempDir();
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--no-config",
        `--allow-import=${host}`,
        `--allow-net=${host}`,
        "--allow-env",
        "--allow-read",
        script,
      ],
      env: { DENO_DIR: dir, XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
      stdout: "piped",
      stderr: "piped",
    });
    const out = await cmd.output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `remote import failed:\n${stderr}`);
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)!), [4, 1, 0, 1]);
    await Deno.remove(dir, { recursive: true });
  } finally {
    ac.abort();
    await server.finished;
  }
});
