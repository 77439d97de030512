import assert from "node:assert/strict";
import { readSafetensors } from "../../core/io/safetensors.ts";

const TASK = new URL("../../tasks/pretrain.ts", import.meta.url).pathname;

function command(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, ...args],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(args: string[]) {
  const out = await command(args).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("pretrain: --help exits 0; bad flags exit 2 with one line naming the flag", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  for (const flag of ["--method", "--arch", "--epochs", "--out", "--resume", "--limit", "--seed"]) {
    assert.ok(help.stdout.includes(flag), `help mentions ${flag}`);
  }
  const cases: [string[], RegExp][] = [
    [["--bogus"], /bogus/],
    [
      ["--method", "simclr", "--arch", "resnet_small", "--epochs", "1", "--out", "x"],
      /--method must be one of/,
    ],
    [["--method", "byol", "--arch", "resnet_huge", "--epochs", "1", "--out", "x"], /--arch must be one of/],
    [
      ["--method", "byol", "--arch", "resnet_small", "--epochs", "0", "--out", "x"],
      /--epochs must be an integer >= 1/,
    ],
    [["--method", "byol", "--arch", "resnet_small", "--epochs", "1"], /--out is required/],
    [
      ["--method", "mocov2", "--arch", "resnet_small", "--epochs", "1", "--out", "x", "--queue-size", "100"],
      /multiple/,
    ],
    // checked before the GPU and the data are touched (the data directory does not exist)
    [
      [
        ...["--method", "dino", "--arch", "resnet_small", "--epochs", "1", "--out", "x"],
        "--teacher-temp",
        "0",
      ]
        .concat(["--data-dir", "/nonexistent"]),
      /--teacher-temp must be > 0/,
    ],
    [
      ["--method", "byol", "--arch", "resnet_small", "--epochs", "1", "--out", "x", "--init", "y"]
        .concat(["--data-dir", "/nonexistent"]),
      /--init works with --method supervised only/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /see: deno task pretrain --help/);
  }
});

Deno.test("pretrain: Ctrl-C checkpoints and exits 130; --resume finishes, exports the backbone and reports accuracy", async () => {
  const tmp = await Deno.makeTempDir();
  const args = [
    "--method",
    "supervised",
    "--arch",
    "resnet_tiny",
    "--widths",
    "4,8,8",
    "--epochs",
    "2",
    "--limit",
    "96",
    "--batch-size",
    "16",
    "--log-every",
    "1",
    "--eval-limit",
    "32",
    "--out",
    tmp,
  ];
  try {
    const child = command(args).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let err = "";
    while (!/ 0\/12 /.test(err)) {
      const { value, done } = await reader.read();
      if (done) break;
      err += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      err += value;
    }
    const status = await child.status;
    await child.stdout.cancel();
    assert.equal(status.code, 130, err);
    assert.match(
      err,
      /stopped at step \d+; checkpoint .*step-\d+\.safetensors\. Continue with the same command plus --resume/,
    );
    const latest = JSON.parse(await Deno.readTextFile(`${tmp}/checkpoints/latest.json`));
    assert.equal(latest.reason, "interrupt");
    assert.ok(latest.step >= 1 && latest.step < 12, `step ${latest.step}`);

    const r = await run([...args, "--resume", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(result.steps, 12);
    assert.ok(result.testAccuracy >= 0 && result.testAccuracy <= 1);
    assert.equal(result.epochLoss.length, 2);
    const record = JSON.parse(await Deno.readTextFile(`${tmp}/backbone.json`));
    assert.equal(record.method, "supervised");
    assert.deepEqual(record.arch.widths, [4, 8, 8]);
    assert.equal(record.encoding, "none");
    assert.ok((await Deno.stat(`${tmp}/backbone.safetensors`)).size > 0);
    assert.ok((await Deno.stat(`${tmp}/classifier.safetensors`)).size > 0);
    const history = JSON.parse(await Deno.readTextFile(`${tmp}/history.json`));
    assert.equal(history.losses.length, 12);
    assert.ok((await Deno.stat(`${tmp}/loss.png`)).size > 0, "the loss curve is drawn");
    // --init starts a new run from the exported classifier: with lr 0 the weights stay the loaded ones
    const outInit = `${tmp}/from_init`;
    const base = args.slice(0, args.indexOf("--out"));
    const init = await run([...base, "--epochs", "1", "--lr", "0", "--init", tmp, "--out", outInit]);
    assert.equal(init.code, 0, init.stderr);
    const before = await readSafetensors(`${tmp}/classifier.safetensors`);
    const after = await readSafetensors(`${outInit}/classifier.safetensors`);
    for (const [k, t] of before) {
      if (k.endsWith("running_mean") || k.endsWith("running_var")) continue;
      assert.deepEqual(after.get(k)!.data, t.data, k);
    }
    const ssl = await run([
      "--method",
      "byol",
      "--arch",
      "resnet_tiny",
      "--epochs",
      "1",
      "--init",
      tmp,
      "--out",
      `${tmp}/x`,
    ]);
    assert.equal(ssl.code, 2);
    assert.match(ssl.stderr, /--init works with --method supervised only/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
