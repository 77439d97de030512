import assert from "node:assert/strict";
import { decodeIdx, IdxFormatError, parseIdx, readIdx } from "../../../core/data/idx.ts";
import { gunzip, isGzip } from "../../../core/data/gzip.ts";

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

const U8_2x3 = new Uint8Array([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]);

Deno.test("parseIdx: uint8 matrix from hand-made bytes", () => {
  const a = parseIdx(U8_2x3, "m.idx");
  assert.equal(a.dtype, "uint8");
  assert.deepEqual(a.dims, [2, 3]);
  assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 255]);
});

Deno.test("parseIdx: big-endian int32, int16, int8, float32, float64", () => {
  const i32 = parseIdx(
    new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xfe]),
    "i.idx",
  );
  assert.ok(i32.data instanceof Int32Array);
  assert.deepEqual([...i32.data], [256, -2]);
  const i16 = parseIdx(new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 1, 0x80, 0x00]), "s.idx");
  assert.deepEqual([...i16.data], [-32768]);
  const i8 = parseIdx(new Uint8Array([0, 0, 0x09, 1, 0, 0, 0, 1, 0xff]), "b.idx");
  assert.deepEqual([...i8.data], [-1]);
  const f32 = parseIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]), "f.idx");
  assert.deepEqual([...f32.data], [1.5]);
  const f64 = parseIdx(new Uint8Array([0, 0, 0x0e, 1, 0, 0, 0, 1, 0xc0, 0, 0, 0, 0, 0, 0, 0]), "d.idx");
  assert.deepEqual([...f64.data], [-2]);
});

Deno.test("parseIdx: errors name the file and say what is wrong", () => {
  assert.throws(() => parseIdx(U8_2x3.subarray(0, 15), "cut.idx"), (e: Error) => {
    assert.ok(e instanceof IdxFormatError);
    assert.match(e.message, /^cut\.idx: truncated IDX file: expected 18 bytes .* got 15$/);
    return true;
  });
  assert.throws(
    () => parseIdx(U8_2x3.subarray(0, 9), "h.idx"),
    /h\.idx: truncated IDX header: expected 12 bytes/,
  );
  assert.throws(() => parseIdx(new Uint8Array([0, 0]), "tiny.idx"), /tiny\.idx: truncated IDX header/);
  assert.throws(
    () => parseIdx(new Uint8Array([...U8_2x3, 9]), "long.idx"),
    /long\.idx: IDX file has trailing bytes/,
  );
  assert.throws(() => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), "x.idx"), /x\.idx: not an IDX file/);
  assert.throws(
    () => parseIdx(new Uint8Array([0, 0, 0x42, 1, 0, 0, 0, 0]), "t.idx"),
    /t\.idx: unknown IDX dtype byte 0x42/,
  );
});

Deno.test("decodeIdx / readIdx: gzipped and raw files; truncated files name the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const gz = await gzip(U8_2x3);
    assert.ok(isGzip(gz));
    assert.deepEqual([...(await decodeIdx(gz, "m.idx.gz")).data], [1, 2, 3, 4, 5, 255]);
    await Deno.writeFile(`${dir}/m.idx`, U8_2x3);
    assert.deepEqual((await readIdx(`${dir}/m.idx`)).dims, [2, 3]);
    await Deno.writeFile(`${dir}/cut.idx.gz`, gz.subarray(0, gz.length - 6));
    await assert.rejects(
      readIdx(`${dir}/cut.idx.gz`),
      new RegExp(`${dir}/cut\\.idx\\.gz: corrupt or truncated gzip`),
    );
    await Deno.writeFile(`${dir}/cutraw.idx`, U8_2x3.subarray(0, 16));
    await assert.rejects(
      readIdx(`${dir}/cutraw.idx`),
      /cutraw\.idx: truncated IDX file: expected 18 bytes .* got 16/,
    );
    await assert.rejects(readIdx(`${dir}/missing.idx`), /missing\.idx: cannot read file/);
    await assert.rejects(gunzip(new Uint8Array([0x1f, 0x8b, 1, 2]), "bad.gz"), /bad\.gz: corrupt/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const FM = "/usr/share/datasets/fashion-mnist";
const haveFm = await Deno.stat(`${FM}/t10k-labels-idx1-ubyte.gz`).then(() => true, () => false);

Deno.test({
  name: "readIdx: real Fashion-MNIST test split (10000 images, 1000 per class)",
  ignore: !haveFm,
  fn: async () => {
    const images = await readIdx(`${FM}/t10k-images-idx3-ubyte.gz`);
    const labels = await readIdx(`${FM}/t10k-labels-idx1-ubyte.gz`);
    assert.equal(images.dtype, "uint8");
    assert.deepEqual(images.dims, [10000, 28, 28]);
    assert.deepEqual(labels.dims, [10000]);
    const hist = new Array(10).fill(0);
    for (const l of labels.data) hist[l]++;
    assert.deepEqual(hist, new Array(10).fill(1000));
    assert.equal(labels.data[0], 9); // the first test image is an ankle boot
  },
});
