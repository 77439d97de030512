import assert from "node:assert/strict";
import { join } from "node:path";
import { readPytorchCheckpoint } from "../../../core/io/pytorch.ts";
import { readSafetensorsWithMetadata } from "../../../core/io/safetensors.ts";
import { main } from "../../../tasks/convert.ts";
import { exitCodeFor } from "../../../tasks/cli.ts";
import { PyGlobal, PyReduce, PyTuple, type PyValue } from "./pickle_writer.ts";
import {
  f32Bytes,
  f32Tensor,
  stateDict,
  torchSaveLegacy,
  torchSaveZip,
  TStorage,
  TTensor,
  u16Bytes,
} from "./torch_save_encoder.ts";
import { withTempDir } from "../../util/temp_dir.ts";

/** Runs `main` capturing console output. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } catch (e) {
    return { code: exitCodeFor(e), out: out.join("\n"), err: (e as Error).message };
  } finally {
    console.log = log;
    console.error = error;
  }
}

function sample(): PyValue {
  const storage = new TStorage("F32", f32Bytes([1, 2, 3, 4, 5, 6]));
  return new Map<PyValue, PyValue>([
    ["epoch", 3],
    [
      "model",
      stateDict([
        ["module.fc.weight", new TTensor(storage, [3, 2], [1, 3])],
        ["module.fc.bias", f32Tensor([3], [0.1, 0.2, 0.3])],
        ["module.half", new TTensor(new TStorage("F16", u16Bytes([0x3c00, 0x3800])), [2])],
      ]),
    ],
  ]);
}

Deno.test("convert: .pth to safetensors reads back the same tensors", async () => {
  await withTempDir(async (dir) => {
    for (
      const [name, bytes] of [["ckpt.pth", await torchSaveZip(sample())], [
        "old.pt",
        torchSaveLegacy(sample()),
      ]] as const
    ) {
      const input = join(dir, name);
      const output = join(dir, `${name}.safetensors`);
      await Deno.writeFile(input, bytes);
      const { code, out, err } = await run([input, output, "--strip-prefix", "module."]);
      assert.equal(code, 0, err);
      assert.match(out, /wrote 3 tensors, 11 parameters/);
      const expected = await readPytorchCheckpoint(input, { stripPrefixes: ["module."] });
      const { tensors, metadata } = await readSafetensorsWithMetadata(output);
      assert.deepEqual([...tensors.keys()], ["fc.bias", "fc.weight", "half"]);
      for (const [key, t] of expected) {
        assert.deepEqual(tensors.get(key)?.shape, t.shape, key);
        assert.deepEqual([...tensors.get(key)!.data], [...t.data], key);
      }
      assert.deepEqual([...tensors.get("fc.weight")!.data], [1, 4, 2, 5, 3, 6]);
      assert.deepEqual(metadata, { format: "pt", converted_from: name });
    }
  });
});

Deno.test("convert: --entry, repeated --strip-prefix, safetensors input and --help", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "ckpt.pth");
    await Deno.writeFile(input, await torchSaveZip(sample()));
    const out1 = join(dir, "a.safetensors");
    assert.equal(
      (await run([input, out1, "--entry", "model", "--strip-prefix", "module.", "--strip-prefix", "fc."]))
        .code,
      0,
    );
    const { tensors } = await readSafetensorsWithMetadata(out1);
    assert.deepEqual([...tensors.keys()], ["bias", "half", "weight"]);
    const out2 = join(dir, "b.safetensors");
    const again = await run([out1, out2, "--strip-prefix", "b"]);
    assert.equal(again.code, 0);
    assert.match(again.out, /wrote 3 tensors, 11 parameters/);
    const help = await run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: deno run -A tasks\/convert\.ts <checkpoint> <out\.safetensors>/);
  });
});

Deno.test("convert: bad arguments exit 2, unreadable inputs 1, each with a message naming the problem", async () => {
  await withTempDir(async (dir) => {
    const one = await run(["only-one.pth"]);
    assert.equal(one.code, 2);
    assert.match(one.err, /^expected <checkpoint> <out\.safetensors>, got 1 positional/);
    const unknown = await run(["a", "b", "--bogus"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /--bogus/);
    const missing = await run([join(dir, "missing.pth"), join(dir, "o.safetensors")]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^cannot open .*missing\.pth/);
    const badEntry = join(dir, "e.pth");
    await Deno.writeFile(badEntry, await torchSaveZip(sample()));
    const entry = await run([badEntry, join(dir, "o.safetensors"), "--entry", "nope"]);
    assert.equal(entry.code, 1);
    assert.match(entry.err, /e\.pth: entry 'nope' not found \(top-level keys: epoch, model\)/);
    const evil = join(dir, "evil.pth");
    const path = new PyReduce(new PyGlobal("pathlib", "PosixPath"), new PyTuple(["/tmp"]));
    await Deno.writeFile(
      evil,
      await torchSaveZip(new Map<PyValue, PyValue>([["x", path], ["w", f32Tensor([1], [1])]])),
    );
    const refused = await run([evil, join(dir, "o.safetensors")]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /pickle references pathlib\.PosixPath, .* pass --allow-inert module\.Name/);
    const allowed = await run([evil, join(dir, "ok.safetensors"), "--allow-inert", "pathlib.PosixPath"]);
    assert.equal(allowed.code, 0, allowed.err);
    await Deno.remove(join(dir, "ok.safetensors"));
    await Deno.remove(evil);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["e.pth"],
      "no output written on failure",
    );
  });
});

Deno.test("convert: a truncated checkpoint exits 1 with one stderr line naming the file (subprocess)", async () => {
  await withTempDir(async (dir) => {
    const full = await torchSaveZip(sample());
    const cut = join(dir, "truncated.pth");
    await Deno.writeFile(cut, full.subarray(0, Math.floor(full.length / 2)));
    const output = join(dir, "out.safetensors");
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        new URL("../../../tasks/convert.ts", import.meta.url).pathname,
        cut,
        output,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(result.stderr).trim();
    assert.equal(result.code, 1);
    assert.equal(stderr.split("\n").length, 1, stderr);
    assert.ok(stderr.startsWith("convert: error: ") && stderr.includes(cut), stderr);
    assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/);
    assert.throws(() => Deno.statSync(output), Deno.errors.NotFound);
  });
});
