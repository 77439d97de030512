import assert from "node:assert/strict";
import { crc32 } from "../../../core/io/crc32.ts";
import { bytesRandomAccess } from "../../../core/io/random_access.ts";
import { hasZipSignature, ZipArchive } from "../../../core/io/zip.ts";
import { writeZip } from "./zip_writer.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
const text = (s: string) => new TextEncoder().encode(s);

/** Offset of an entry's data, from its local header's name and extra-field lengths. */
function dataStart(bytes: Uint8Array, localHeaderOffset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return localHeaderOffset + 30 + view.getUint16(localHeaderOffset + 26, true) +
    view.getUint16(localHeaderOffset + 28, true);
}

// Written by CPython's zipfile: one stored and one deflated entry, plus an archive comment.
const PYTHON_ZIP = hex(
  "504b0304140000000000000021508ea373240c0000000c0000000c000000612f73746f7265642e74787468656c6c6f2073746f726564504b03041400000008000000215030b84182160000002c0100000e000000612f6465666c617465642e747874cb48cdc9c95748494dcb492c494d51c818e5e2e60200504b01021403140000000000000021508ea373240c0000000c0000000c0000000000000000000000800100000000612f73746f7265642e747874504b010214031400000008000000215030b84182160000002c0100000e0000000000000000000000800136000000612f6465666c617465642e747874504b05060000000002000200760000007800000012006120747261696c696e6720636f6d6d656e74",
);

Deno.test("zip: reads stored and deflated entries of an archive written by Python's zipfile", async () => {
  assert.ok(hasZipSignature(PYTHON_ZIP));
  const zip = await ZipArchive.open(bytesRandomAccess(PYTHON_ZIP, "py.zip"));
  assert.deepEqual([...zip.entries.keys()], ["a/stored.txt", "a/deflated.txt"]);
  assert.equal(new TextDecoder().decode(await zip.read("a/stored.txt")), "hello stored");
  assert.equal(new TextDecoder().decode(await zip.read("a/deflated.txt")), "hello deflated ".repeat(20));
  const part = new Uint8Array(5);
  await zip.readRange("a/deflated.txt", 6, part);
  assert.equal(new TextDecoder().decode(part), "defla");
  await zip.readRange("a/stored.txt", 6, part);
  assert.equal(new TextDecoder().decode(part), "store");
  await assert.rejects(zip.read("nope"), /py\.zip: zip entry 'nope' not found/);
  await assert.rejects(zip.readRange("a/stored.txt", 10, part), /has 12 bytes; cannot read bytes 10\.\.15/);
});

Deno.test("zip: torch-style 64-byte alignment, ZIP64 records and deflate round trip", async () => {
  const data = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
  for (const zip64 of [false, true]) {
    const bytes = await writeZip([
      { name: "archive/data.pkl", data: text("pickle") },
      { name: "archive/data/0", data },
      { name: "archive/data/1", data, deflate: true },
    ], { zip64 });
    const zip = await ZipArchive.open(bytesRandomAccess(bytes, "t.zip"));
    assert.deepEqual(await zip.read("archive/data/0"), data);
    assert.deepEqual(await zip.read("archive/data/1"), data);
    assert.equal(zip.entries.get("archive/data/1")?.method, 8);
    const e = zip.entries.get("archive/data/0")!;
    assert.equal(e.uncompressedSize, 1000);
    // the data of stored entries starts at a multiple of 64, like PyTorch's writer arranges
    const start = dataStart(bytes, e.localHeaderOffset);
    assert.equal(start % 64, 0, `zip64=${zip64}`);
    assert.deepEqual(bytes.subarray(start, start + 1000), data);
  }
});

Deno.test("zip: corrupt archives give errors naming the file", async () => {
  const good = await writeZip([{ name: "x", data: text("hello") }]);
  await assert.rejects(
    ZipArchive.open(bytesRandomAccess(good.subarray(0, 20), "short.zip")),
    /short\.zip: not a zip archive/,
  );
  await assert.rejects(
    ZipArchive.open(bytesRandomAccess(good.subarray(0, good.length - 5), "cut.zip")),
    /cut\.zip: zip end-of-central-directory record not found/,
  );
  const flipped = good.slice();
  flipped[dataStart(good, 0)] ^= 1; // corrupt the data: "hello" -> "iello"
  const zip = await ZipArchive.open(bytesRandomAccess(flipped, "crc.zip"));
  await assert.rejects(zip.read("x"), /crc\.zip: zip entry 'x' fails its CRC-32 check/);
  assert.deepEqual(await zip.read("x", false), text("iello"));
  const encrypted = good.slice();
  const cd = encrypted.length - 22 - (46 + 1);
  encrypted[cd + 8] |= 1;
  await assert.rejects(
    ZipArchive.open(bytesRandomAccess(encrypted, "enc.zip")),
    /enc\.zip: zip entry 'x' is encrypted/,
  );
  const method = good.slice();
  method[method.length - 22 - 47 + 10] = 12; // bzip2
  await assert.rejects(ZipArchive.open(bytesRandomAccess(method, "bz.zip")), /compression method 12/);
});

Deno.test("zip: a deflated entry larger than its directory entry states is refused (zip bomb)", async () => {
  const big = new Uint8Array(100_000); // compresses to a few hundred bytes
  const bytes = await writeZip([{ name: "bomb", data: big, deflate: true }]);
  const cdEntry = bytes.length - 22 - (46 + 4);
  new DataView(bytes.buffer).setUint32(cdEntry + 24, 1000, true); // claim 1000 bytes uncompressed
  const zip = await ZipArchive.open(bytesRandomAccess(bytes, "bomb.zip"));
  await assert.rejects(zip.read("bomb"), /bomb\.zip: zip entry 'bomb' inflates to more than the 1000 bytes/);
  const garbage = await writeZip([{ name: "g", data: text("hello"), deflate: true }]);
  garbage[30 + 1] = 0xff; // break the deflate stream
  garbage[30 + 2] = 0xff;
  await assert.rejects(
    (await ZipArchive.open(bytesRandomAccess(garbage, "g.zip"))).read("g"),
    /g\.zip: zip entry 'g'/,
  );
});

Deno.test("crc32 matches the standard check value", () => {
  assert.equal(crc32(text("123456789")), 0xcbf43926);
  assert.equal(crc32(text("6789"), crc32(text("12345"))), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
});
