import assert from "node:assert/strict";
import { decodePng, encodeRgbaPng, readPng, writePng } from "../../../core/io/png.ts";
import { encodePng } from "../../../core/data/encode.ts";

function pattern(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 2) * 11) & 255;
  return data;
}

Deno.test("PNG: RGBA round trip, in memory and through an atomic file write", async () => {
  for (const [w, h] of [[1, 1], [7, 3], [33, 130]]) {
    const img = { width: w, height: h, data: pattern(w, h) };
    const bytes = encodeRgbaPng(img);
    assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
    const back = decodePng(bytes);
    assert.equal(back.width, w);
    assert.equal(back.height, h);
    assert.deepEqual(back.data, img.data);
  }
  const dir = await Deno.makeTempDir();
  const img = { width: 5, height: 4, data: pattern(5, 4) };
  await writePng(`${dir}/a.png`, img);
  assert.deepEqual((await readPng(`${dir}/a.png`)).data, img.data);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["a.png"], "no temporary file left behind");
});

Deno.test("PNG: gray and RGB files decode to RGBA; bad input is rejected with the path", async () => {
  const gray = decodePng(encodePng({ shape: [1, 1, 2], data: Float32Array.of(0, 1) }));
  assert.deepEqual([...gray.data], [0, 0, 0, 255, 255, 255, 255, 255]);
  const rgb = decodePng(encodePng({ shape: [3, 1, 1], data: Float32Array.of(1, 0.5, 0) }));
  assert.deepEqual([...rgb.data], [255, 128, 0, 255]);
  assert.throws(() => decodePng(new Uint8Array([1, 2, 3])), /not a readable PNG/);
  assert.throws(() => encodeRgbaPng({ width: 2, height: 2, data: new Uint8Array(15) }), /needs 16 bytes/);
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/bad.png`, new Uint8Array([0]));
  await assert.rejects(() => readPng(`${dir}/bad.png`), /bad\.png/);
});
