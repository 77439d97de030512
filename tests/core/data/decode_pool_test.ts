import assert from "node:assert/strict";
import { decodeImageFile, ImageDecodeError } from "../../../core/data/decode.ts";
import { DecodePool } from "../../../core/data/decode_pool.ts";
import { writeCorruptPng, writeJpeg, writePng, writeTruncatedJpeg } from "./tree_builders.ts";

Deno.test("DecodePool: parallel decoding matches in-thread decoding; skip and stop on bad files", async () => {
  const dir = await Deno.makeTempDir();
  const pool = new DecodePool({ size: 2 });
  try {
    const good: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = `${dir}/img${i}.${i % 2 ? "jpg" : "png"}`;
      if (i % 2) await writeJpeg(p, 12, 10, i);
      else await writePng(p, i === 4 ? 1 : 3, 10, 12, i);
      good.push(p);
    }
    await writeCorruptPng(`${dir}/corrupt.png`);
    await writeTruncatedJpeg(`${dir}/truncated.jpg`);
    const paths = [
      good[0],
      `${dir}/corrupt.png`,
      ...good.slice(1, 4),
      `${dir}/truncated.jpg`,
      ...good.slice(4),
    ];

    const ok = await pool.decodeFiles(good);
    assert.equal(ok.skipped, 0);
    for (let i = 0; i < good.length; i++) {
      const ref = await decodeImageFile(good[i]);
      assert.deepEqual(ok.images[i]!.shape, ref.shape);
      assert.deepEqual(ok.images[i]!.data, ref.data);
      assert.ok(ok.images[i]!.data instanceof Float32Array);
    }
    assert.deepEqual(ok.images[4]!.shape, [1, 10, 12]);

    const warned: string[] = [];
    const skipped = await pool.decodeFiles(paths, {
      onError: "skip",
      onWarning: (m) => warned.push(m),
      channels: 3,
    });
    assert.equal(skipped.skipped, 2);
    assert.equal(skipped.images[1], null);
    assert.equal(skipped.images[5], null);
    assert.equal(skipped.images.filter((x) => x !== null).length, 6);
    assert.deepEqual(skipped.images[6]!.shape, [3, 10, 12]);
    assert.equal(warned.length, 2);
    assert.ok(warned.some((m) => m.includes(`${dir}/corrupt.png: corrupt or truncated PNG`)));
    assert.ok(warned.some((m) => m.includes(`${dir}/truncated.jpg: truncated JPEG`)));
    assert.deepEqual(skipped.warnings.sort(), warned.sort());

    await assert.rejects(pool.decodeFiles(paths, { onError: "stop" }), (e: Error) => {
      assert.ok(e instanceof ImageDecodeError);
      assert.ok([`${dir}/corrupt.png`, `${dir}/truncated.jpg`].includes((e as ImageDecodeError).file));
      assert.ok(e.message.startsWith((e as ImageDecodeError).file + ": "));
      return true;
    });
    await assert.rejects(pool.decodeFile(`${dir}/missing.png`), /missing\.png: cannot read file/);
  } finally {
    pool.close();
    await Deno.remove(dir, { recursive: true });
  }
  await assert.rejects(pool.decodeFiles([]), /pool is closed/);
});
