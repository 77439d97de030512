import assert from "node:assert/strict";
import { PNG } from "npm:pngjs@7.0.0";
import {
  decodeImage,
  decodeImageFile,
  detectImageFormat,
  ImageDecodeError,
} from "../../../core/data/decode.ts";
import { encodeJpeg, encodePng } from "../../../core/data/encode.ts";
import { jpegComponents, jpegHasEnd } from "../../../core/data/jpeg_markers.ts";
import { assertClose } from "../../util/assert_close.ts";

/** A 2x2 PNG with known pixels, written as colour type 6 (RGBA), 2 (RGB) or 0 (gray). */
function knownPng(colorType: 0 | 2 | 6, lastAlpha = 128): Uint8Array {
  const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 51, 102, 204, lastAlpha]);
  const buf = PNG.sync.write({ width: 2, height: 2, data: rgba }, { colorType });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

Deno.test("decodeImage: RGBA PNG -> [3, H, W] with known values, alpha dropped", () => {
  const t = decodeImage(knownPng(6), "rgb.png");
  assert.deepEqual(t.shape, [3, 2, 2]);
  assertClose(t.data, [1, 0, 0, 0.2, 0, 1, 0, 0.4, 0, 0, 1, 0.8], 1e-6);
});

Deno.test("decodeImage: gray PNG -> C=1; channels option forces 1 or 3", () => {
  const gray = encodePng({ shape: [1, 1, 3], data: new Float32Array([0, 128 / 255, 1]) });
  const g = decodeImage(gray, "g.png");
  assert.deepEqual(g.shape, [1, 1, 3]);
  assertClose(g.data, [0, 128 / 255, 1], 1e-6);
  const g3 = decodeImage(gray, "g.png", { channels: 3 });
  assert.deepEqual(g3.shape, [3, 1, 3]);
  assertClose(g3.data, [0, 128 / 255, 1, 0, 128 / 255, 1, 0, 128 / 255, 1], 1e-6);
  const l = decodeImage(knownPng(2, 255), "rgb.png", { channels: 1 });
  assert.deepEqual(l.shape, [1, 2, 2]);
  assertClose(l.data, [0.299, 0.587, 0.114, (0.299 * 51 + 0.587 * 102 + 0.114 * 204) / 255], 1e-6);
});

Deno.test("decodeImage: JPEG pixel values (flat colours survive quality-100 coding)", () => {
  const h = 16, w = 16;
  const data = new Float32Array(3 * h * w);
  data.fill(200 / 255, 0, h * w);
  data.fill(100 / 255, h * w, 2 * h * w);
  data.fill(50 / 255, 2 * h * w);
  const bytes = encodeJpeg({ shape: [3, h, w], data }, 100);
  assert.equal(detectImageFormat(bytes), "jpeg");
  assert.equal(jpegComponents(bytes), 3);
  const t = decodeImage(bytes, "flat.jpg");
  assert.deepEqual(t.shape, [3, h, w]);
  for (const [c, v] of [[0, 200], [1, 100], [2, 50]]) {
    for (let i = 0; i < h * w; i++) {
      assert.ok(Math.abs(t.data[c * h * w + i] * 255 - v) <= 2, `channel ${c} pixel ${i}`);
    }
  }
});

Deno.test("jpeg markers: component count from SOF, end-of-image detection", () => {
  const sofGray = new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0,
    4,
    0,
    0,
    0xff,
    0xc0,
    0,
    11,
    8,
    0,
    4,
    0,
    4,
    1,
    1,
    0x11,
    0,
  ]);
  assert.equal(jpegComponents(sofGray), 1);
  assert.equal(jpegHasEnd(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0x00, 0xff, 0xd9])), true);
  assert.equal(jpegHasEnd(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0x00, 7])), false);
});

Deno.test("decodeImage: corrupt PNG, truncated JPEG, unknown and empty files raise ImageDecodeError naming the file", () => {
  const png = knownPng(6).slice();
  for (let i = 40; i < png.length - 12; i++) png[i] ^= 0x33;
  const jpg = encodeJpeg({ shape: [3, 8, 8], data: new Float32Array(192).fill(0.3) }, 90);
  const cases: [Uint8Array, string, RegExp][] = [
    [png, "bad.png", /^bad\.png: corrupt or truncated PNG/],
    [knownPng(6).subarray(0, 30), "short.png", /^short\.png: corrupt or truncated PNG/],
    [jpg.subarray(0, jpg.length - 40), "cut.jpg", /^cut\.jpg: truncated JPEG/],
    [
      new TextEncoder().encode("hello world"),
      "notes.jpg",
      /^notes\.jpg: not a PNG or JPEG file \(first bytes: 68 65/,
    ],
    [new Uint8Array(0), "empty.png", /^empty\.png: empty file/],
  ];
  for (const [bytes, name, re] of cases) {
    assert.throws(() => decodeImage(bytes, name), (e: Error) => {
      assert.ok(e instanceof ImageDecodeError, name);
      assert.equal((e as ImageDecodeError).file, name);
      assert.match(e.message, re);
      return true;
    });
  }
});

Deno.test("decodeImageFile: unreadable file is an ImageDecodeError naming the path", async () => {
  await assert.rejects(decodeImageFile("/nonexistent/dir/x.png"), (e: Error) => {
    assert.ok(e instanceof ImageDecodeError);
    assert.match(e.message, /^\/nonexistent\/dir\/x\.png: cannot read file/);
    return true;
  });
});
