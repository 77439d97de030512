import assert from "node:assert/strict";
import {
  bfloat16BitsToNumber,
  decodeToFloat32,
  dtypeByteSize,
  float16BitsToNumber,
  isWeightDType,
} from "../../../core/io/dtype.ts";

Deno.test("float16 bit patterns decode to hand-computed values", () => {
  const cases: [number, number][] = [
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3800, 0.5],
    [0x3555, 0.333251953125], // 1 + 341/1024, times 2^-2
    [0x7bff, 65504], // largest finite half
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  for (const [bits, expected] of cases) {
    assert.equal(float16BitsToNumber(bits), expected, `0x${bits.toString(16)}`);
  }
  assert.ok(Object.is(float16BitsToNumber(0x8000), -0));
  assert.ok(Number.isNaN(float16BitsToNumber(0x7e00)));
});

Deno.test("bfloat16 bit patterns decode to hand-computed values", () => {
  assert.equal(bfloat16BitsToNumber(0x3f80), 1);
  assert.equal(bfloat16BitsToNumber(0xc000), -2);
  assert.equal(bfloat16BitsToNumber(0x4049), 3.140625); // 1.5703125 * 2
  assert.equal(bfloat16BitsToNumber(0x7f7f), 3.3895313892515355e38);
  assert.equal(bfloat16BitsToNumber(0x0001), 2 ** -133); // float32 subnormal
  assert.equal(bfloat16BitsToNumber(0xff80), -Infinity);
});

Deno.test("decodeToFloat32 converts every dtype, also from unaligned bytes", () => {
  const buf = new Uint8Array(1 + 16);
  const view = new DataView(buf.buffer, 1);
  view.setFloat64(0, -1.5, true);
  view.setFloat64(8, 1e-3, true);
  assert.deepEqual([...decodeToFloat32(buf.subarray(1), "F64")], [-1.5, Math.fround(1e-3)]);
  view.setBigInt64(0, -3n, true);
  view.setBigInt64(8, 1n << 40n, true);
  assert.deepEqual([...decodeToFloat32(buf.subarray(1), "I64")], [-3, 2 ** 40]);
  view.setFloat32(0, 0.1, true);
  assert.equal(decodeToFloat32(buf.subarray(1, 5), "F32")[0], Math.fround(0.1));
  view.setInt32(0, -7, true);
  assert.equal(decodeToFloat32(buf.subarray(1, 5), "I32")[0], -7);
  assert.deepEqual([...decodeToFloat32(new Uint8Array([0x00, 0x3c, 0x00, 0xc0]), "F16")], [1, -2]);
  assert.deepEqual([...decodeToFloat32(new Uint8Array([0x80, 0x3f]), "BF16")], [1]);
  assert.deepEqual([...decodeToFloat32(new Uint8Array([255, 0, 3]), "U8")], [255, 0, 3]);
  assert.deepEqual([...decodeToFloat32(new Uint8Array([255, 0]), "I8")], [-1, 0]);
  assert.deepEqual([...decodeToFloat32(new Uint8Array([2, 0, 1]), "BOOL")], [1, 0, 1]);
  assert.deepEqual([...decodeToFloat32(new Uint8Array([0xfe, 0xff]), "I16")], [-2]);
  assert.throws(() => decodeToFloat32(new Uint8Array(3), "F32", undefined, 1), /need 4 bytes/);
});

Deno.test("dtype names and sizes", () => {
  assert.equal(dtypeByteSize("BF16"), 2);
  assert.equal(dtypeByteSize("I64"), 8);
  assert.ok(isWeightDType("F32"));
  assert.ok(!isWeightDType("C64"));
  assert.ok(!isWeightDType("toString"));
});
