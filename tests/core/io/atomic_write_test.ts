import assert from "node:assert/strict";
import { join } from "node:path";
import { atomicWriteFile, atomicWriteTextFile } from "../../../core/io/atomic_write.ts";
import { withTempDir } from "../../util/temp_dir.ts";

Deno.test("atomicWriteFile writes bytes and streamed chunks, replacing the old file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "out.bin");
    await atomicWriteFile(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...await Deno.readFile(path)], [1, 2, 3]);
    let written = -1;
    await atomicWriteFile(path, async (w) => {
      await w.write(new Uint8Array([9]));
      await w.write(new Uint8Array([8, 7]));
      written = w.bytesWritten;
    });
    assert.equal(written, 3);
    assert.deepEqual([...await Deno.readFile(path)], [9, 8, 7]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.bin"]);
  });
});

Deno.test("atomicWriteFile keeps the old contents and removes the temp file when the writer fails", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "keep.txt");
    await atomicWriteTextFile(path, "old");
    let tempSeen = false;
    await assert.rejects(
      atomicWriteFile(path, async (w) => {
        await w.write(new TextEncoder().encode("half"));
        tempSeen = [...Deno.readDirSync(dir)].some((e) => /^keep\.txt\.tmp-[0-9a-f]{12}$/.test(e.name));
        throw new Error("disk on fire");
      }),
      /cannot write .*keep\.txt: disk on fire/,
    );
    assert.ok(tempSeen, "data went to a temp file beside the target");
    assert.equal(await Deno.readTextFile(path), "old");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["keep.txt"]);
  });
});

Deno.test("atomicWriteTextFile writes UTF-8 and reports a missing directory with the path", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "r.json");
    await atomicWriteTextFile(path, '{"ü": 1}');
    assert.equal(await Deno.readTextFile(path), '{"ü": 1}');
    await assert.rejects(
      atomicWriteTextFile(join(dir, "nope", "r.json"), "x"),
      /cannot write .*nope\/r\.json/,
    );
  });
});
