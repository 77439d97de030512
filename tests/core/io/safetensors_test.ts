import assert from "node:assert/strict";
import { join } from "node:path";
import { hostTensor } from "../../../core/host_tensor.ts";
import {
  encodeSafetensors,
  parseSafetensors,
  parseSafetensorsWithMetadata,
  readSafetensors,
  readSafetensorsWithMetadata,
  writeSafetensors,
} from "../../../core/io/safetensors.ts";
import { assertClose } from "../../util/assert_close.ts";
import { withTempDir } from "../../util/temp_dir.ts";

const FIXTURE = "tests/fixtures/torch/resnet_bottleneck_small.safetensors";
const FIXTURE_JSON = "tests/fixtures/torch/resnet_bottleneck_small.json";

/** Builds a safetensors file from a header object and data bytes (no validation: for corrupt cases). */
function rawSafetensors(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16le(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 2);
  words.forEach((w, i) => new DataView(out.buffer).setUint16(i * 2, w, true));
  return out;
}

Deno.test("safetensors: write then read round trip with metadata, sorted keys and padded header", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "rt.safetensors");
    const tensors = new Map([
      ["z.weight", hostTensor([2, 3], [1, -2, 3.5, 4, 5, 6e-8])],
      ["a.bias", hostTensor([3], [0.25, -0.125, 1e6])],
      ["scalar", hostTensor([], [42])],
      ["empty", hostTensor([0, 4], [])],
    ]);
    await writeSafetensors(path, tensors, { format: "pt", note: "round trip" });
    const bytes = await Deno.readFile(path);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0, "data section starts on an 8-byte boundary");
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    assert.deepEqual(Object.keys(header), ["__metadata__", "a.bias", "empty", "scalar", "z.weight"]);
    assert.equal(header["a.bias"].dtype, "F32");
    const { tensors: back, metadata } = await readSafetensorsWithMetadata(path);
    assert.deepEqual(metadata, { format: "pt", note: "round trip" });
    assert.equal(back.size, 4);
    for (const [key, t] of tensors) {
      assert.deepEqual(back.get(key)?.shape, t.shape, key);
      assert.deepEqual([...back.get(key)!.data], [...t.data], key);
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["rt.safetensors"], "no temp file left");
    // the in-memory encoder produces the same bytes
    assert.deepEqual(encodeSafetensors(tensors, { format: "pt", note: "round trip" }), bytes);
  });
});

Deno.test("safetensors: record input and overwriting an existing file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "w.safetensors");
    await writeSafetensors(path, { b: hostTensor([1], [1]) });
    await writeSafetensors(path, { c: hostTensor([2], [2, 3]) });
    const back = await readSafetensors(path);
    assert.deepEqual([...back.keys()], ["c"]);
    assert.deepEqual([...back.get("c")!.data], [2, 3]);
  });
});

Deno.test("safetensors: the resnet fixture matches its JSON description", async () => {
  const described = JSON.parse(await Deno.readTextFile(FIXTURE_JSON)).tensors as Record<string, number[]>;
  const { tensors, metadata } = await readSafetensorsWithMetadata(FIXTURE);
  assert.equal(tensors.size, Object.keys(described).length);
  assert.equal(tensors.size, 239);
  for (const [key, shape] of Object.entries(described)) assert.deepEqual(tensors.get(key)?.shape, shape, key);
  assert.deepEqual(tensors.get("weights.conv1.weight")?.shape, [8, 3, 7, 7]);
  assert.deepEqual(tensors.get("weights.layer1.0.conv3.weight")?.shape, [32, 8, 1, 1]);
  assert.equal(tensors.get("weights.conv1.weight")?.data.length, 8 * 3 * 7 * 7);
  assert.equal(metadata.about, "torchvision ResNet(Bottleneck) naming, small widths");
  // parsing the same bytes in memory gives the same values
  const inMemory = parseSafetensors(await Deno.readFile(FIXTURE), FIXTURE);
  assertClose(inMemory.get("weights.bn1.running_var")!.data, tensors.get("weights.bn1.running_var")!.data, 0);
  assert.ok(tensors.get("weights.bn1.running_var")!.data.every((v) => v > 0), "variances are positive");
});

Deno.test("safetensors: filter reads only the selected tensors", async () => {
  const tensors = await readSafetensors(FIXTURE, { filter: (k) => k.startsWith("weights.bn1.") });
  assert.deepEqual([...tensors.keys()].sort(), [
    "weights.bn1.bias",
    "weights.bn1.running_mean",
    "weights.bn1.running_var",
    "weights.bn1.weight",
  ]);
});

Deno.test("safetensors: F16 and BF16 tensors decode to hand-computed float32 values", () => {
  const f16 = u16le([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000]);
  const bf16 = u16le([0x3f80, 0xc000, 0x4049, 0x3e80]);
  const bytes = rawSafetensors({
    half: { dtype: "F16", shape: [2, 3], data_offsets: [0, 12] },
    brain: { dtype: "BF16", shape: [4], data_offsets: [12, 20] },
    __metadata__: { format: "pt" },
  }, new Uint8Array([...f16, ...bf16]));
  const { tensors, metadata } = parseSafetensorsWithMetadata(bytes, "half.safetensors");
  assert.deepEqual(metadata, { format: "pt" });
  assert.deepEqual(tensors.get("half")?.shape, [2, 3]);
  assert.deepEqual([...tensors.get("half")!.data], [1, -2, 0.5, 65504, 2 ** -24, -0]);
  assert.deepEqual([...tensors.get("brain")!.data], [1, -2, 3.140625, 0.25]);
});

Deno.test("safetensors: F16/BF16/I64/U8/BOOL read from a file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "mixed.safetensors");
    const i64 = new Uint8Array(16);
    new DataView(i64.buffer).setBigInt64(0, -5n, true);
    new DataView(i64.buffer).setBigInt64(8, 123456n, true);
    await Deno.writeFile(
      path,
      rawSafetensors({
        h: { dtype: "F16", shape: [2], data_offsets: [0, 4] },
        b: { dtype: "BF16", shape: [1], data_offsets: [4, 6] },
        n: { dtype: "I64", shape: [2], data_offsets: [6, 22] },
        u: { dtype: "U8", shape: [2], data_offsets: [22, 24] },
        m: { dtype: "BOOL", shape: [2], data_offsets: [24, 26] },
      }, new Uint8Array([...u16le([0x3c00, 0x4000]), ...u16le([0xbf80]), ...i64, 7, 200, 1, 0])),
    );
    const t = await readSafetensors(path);
    assert.deepEqual([...t.get("h")!.data], [1, 2]);
    assert.deepEqual([...t.get("b")!.data], [-1]);
    assert.deepEqual([...t.get("n")!.data], [-5, 123456]);
    assert.deepEqual([...t.get("u")!.data], [7, 200]);
    assert.deepEqual([...t.get("m")!.data], [1, 0]);
  });
});

Deno.test("safetensors: corrupt headers give errors naming the source and key", () => {
  const f32 = new Uint8Array(8);
  const src = "bad.safetensors";
  const cases: [Uint8Array, RegExp][] = [
    [rawSafetensors(null, f32, "{not json"), /bad\.safetensors: safetensors header is not valid JSON/],
    [rawSafetensors(null, f32, "[1, 2]"), /bad\.safetensors: safetensors header must be a JSON object/],
    [
      rawSafetensors({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32),
      /bad\.safetensors: tensor 'w': data_offsets \[0,8\] span 8 bytes but F32 shape \[3\] needs 12/,
    ],
    [
      rawSafetensors({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
      }, f32),
      /bad\.safetensors: data_offsets of tensors 'a' and 'b' overlap/,
    ],
    [
      rawSafetensors({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, f32),
      /bad\.safetensors: file is truncated: tensor 'w' needs bytes/,
    ],
    [
      rawSafetensors({ w: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, f32),
      /bad\.safetensors: file is truncated: tensor 'w'/,
    ],
    [
      rawSafetensors({ w: { dtype: "C64", shape: [1], data_offsets: [0, 8] } }, f32),
      /bad\.safetensors: tensor 'w': unsupported dtype "C64"/,
    ],
    [
      rawSafetensors({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32),
      /bad\.safetensors: tensor 'w': shape must be an array of non-negative integers/,
    ],
    [
      rawSafetensors({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, f32),
      /bad\.safetensors: tensor 'w': data_offsets must be \[begin, end\]/,
    ],
    [
      rawSafetensors({ __metadata__: { n: 1 } }, f32),
      /bad\.safetensors: __metadata__ value 'n' must be a string/,
    ],
    [new Uint8Array([1, 2, 3]), /bad\.safetensors: not a safetensors file: 3 bytes is too short/],
  ];
  for (const [bytes, pattern] of cases) assert.throws(() => parseSafetensors(bytes, src), pattern);
  // a header length larger than the file
  const huge = rawSafetensors({}, f32);
  new DataView(huge.buffer).setUint32(0, 1000, true);
  assert.throws(
    () => parseSafetensors(huge, src),
    /bad\.safetensors: safetensors header length 1000 exceeds the file size/,
  );
});

Deno.test("safetensors: truncated files name the file and the first missing tensor", async () => {
  await withTempDir(async (dir) => {
    const full = await Deno.readFile(FIXTURE);
    const n = Number(new DataView(full.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(full.subarray(8, 8 + n)));
    const last = Object.entries(header)
      .filter(([k]) => k !== "__metadata__")
      .sort((a, b) =>
        (b[1] as { data_offsets: number[] }).data_offsets[1] -
        (a[1] as { data_offsets: number[] }).data_offsets[1]
      )[0][0];
    const cut = join(dir, "cut.safetensors");
    await Deno.writeFile(cut, full.subarray(0, full.length - 10));
    await assert.rejects(
      readSafetensors(cut),
      (err: Error) =>
        err.message.includes(cut) && err.message.includes(`tensor '${last}'`) &&
        /truncated/.test(err.message),
    );
    const headerOnly = join(dir, "header_cut.safetensors");
    await Deno.writeFile(headerOnly, full.subarray(0, 100));
    await assert.rejects(
      readSafetensors(headerOnly),
      new RegExp(`${headerOnly}: safetensors header length \\d+ exceeds the file size`),
    );
    await assert.rejects(
      readSafetensors(join(dir, "missing.safetensors")),
      /cannot open .*missing\.safetensors/,
    );
  });
});

Deno.test("safetensors: writing invalid tensors fails with the key and leaves nothing behind", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "bad.safetensors");
    await assert.rejects(
      writeSafetensors(path, { w: { shape: [2, 2], data: new Float32Array(3) } }),
      /bad\.safetensors: tensor 'w' has shape \[2,2\] but 3 values/,
    );
    await assert.rejects(
      writeSafetensors(path, { __metadata__: hostTensor([1], [1]) }),
      /invalid tensor key/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await assert.rejects(
      writeSafetensors(join(dir, "no/such/dir/x.safetensors"), { w: hostTensor([1], [1]) }),
      /cannot write .*x\.safetensors/,
    );
  });
});

Deno.test("safetensors: a key named __proto__ survives the round trip", () => {
  const bytes = encodeSafetensors(new Map([["__proto__", hostTensor([1], [5])]]));
  assert.deepEqual([...parseSafetensors(bytes).get("__proto__")!.data], [5]);
});
