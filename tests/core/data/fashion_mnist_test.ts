import assert from "node:assert/strict";
import { loadFashionMnist, locateFashionMnist } from "../../../core/data/fashion_mnist.ts";
import { fashionFileCandidates, fashionSearchDirs } from "../../../core/data/fashion_mnist_files.ts";
import { FASHION_MNIST_URLS, verifyFashionGz } from "../../../core/data/fashion_mnist_download.ts";
import { gunzip } from "../../../core/data/gzip.ts";

const FM = "/usr/share/datasets/fashion-mnist";
const haveFm = await Deno.stat(`${FM}/t10k-labels-idx1-ubyte.gz`).then(() => true, () => false);
const offline = () => Promise.reject(new Error("network disabled in tests"));

Deno.test("fashionSearchDirs: dir option, env, system dir, cache dir in that order", () => {
  const dirs = fashionSearchDirs({ dir: "/a", envDir: "/b", systemDir: "/c", cacheDir: "/d" });
  assert.deepEqual(dirs.map((d) => d.dir), ["/a", "/b", "/c", "/d"]);
  const before = Deno.env.get("FASHION_MNIST_DIR");
  Deno.env.set("FASHION_MNIST_DIR", "/from/env");
  try {
    assert.deepEqual(fashionSearchDirs({ systemDir: null, cacheDir: "/d" }).map((d) => d.dir), [
      "/from/env",
      "/d",
    ]);
  } finally {
    if (before === undefined) Deno.env.delete("FASHION_MNIST_DIR");
    else Deno.env.set("FASHION_MNIST_DIR", before);
  }
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  Deno.env.set("XDG_CACHE_HOME", "/xdg");
  try {
    assert.equal(
      fashionSearchDirs({ envDir: null, systemDir: null }).at(-1)?.dir,
      "/xdg/howtoprobe/fashion-mnist",
    );
  } finally {
    if (xdg === undefined) Deno.env.delete("XDG_CACHE_HOME");
    else Deno.env.set("XDG_CACHE_HOME", xdg);
  }
  assert.deepEqual(fashionFileCandidates("t10k-images-idx3-ubyte"), [
    "t10k-images-idx3-ubyte.gz",
    "t10k-images-idx3-ubyte",
    "t10k-images.idx3-ubyte.gz",
    "t10k-images.idx3-ubyte",
  ]);
});

Deno.test({
  name: "loadFashionMnist: real test split from the system directory",
  ignore: !haveFm,
  fn: async () => {
    const fm = await loadFashionMnist({ split: "test", envDir: null, download: false });
    assert.equal(fm.n, 10000);
    assert.equal(fm.images.length, 10000 * 28 * 28);
    assert.equal(fm.classes.length, 10);
    assert.equal(fm.classes[fm.labels[0]], "Ankle boot");
    const hist = new Array(10).fill(0);
    for (const l of fm.labels) hist[l]++;
    assert.deepEqual(hist, new Array(10).fill(1000));
    let min = Infinity, max = -Infinity;
    for (const v of fm.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
  },
});

Deno.test({
  name: "loadFashionMnist: explicit dir with raw (un-gzipped, dotted) files and limit",
  ignore: !haveFm,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (
        const [src, dst] of [["t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"], [
          "t10k-labels-idx1-ubyte",
          "t10k-labels-idx1-ubyte",
        ]]
      ) {
        const raw = await gunzip(await Deno.readFile(`${FM}/${src}.gz`), src);
        await Deno.writeFile(`${dir}/${dst}`, src.includes("labels") ? raw.subarray(0, 8 + 10000) : raw);
      }
      const fm = await loadFashionMnist({ dir, split: "test", limit: 5, envDir: null, download: false });
      assert.equal(fm.files.images, `${dir}/t10k-images.idx3-ubyte`);
      assert.equal(fm.n, 5);
      assert.equal(fm.images.length, 5 * 784);
      assert.deepEqual([...fm.labels], [9, 2, 1, 1, 6]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("loadFashionMnist: truncated IDX file names the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(
      `${dir}/train-images-idx3-ubyte`,
      new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2]),
    );
    await Deno.writeFile(`${dir}/train-labels-idx1-ubyte`, new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 1, 2]));
    await assert.rejects(
      loadFashionMnist({ dir, split: "train", envDir: null, systemDir: null, download: false }),
      new RegExp(`${dir}/train-images-idx3-ubyte: truncated IDX file: expected 1584 bytes .* got 18`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("locateFashionMnist: missing files and failed download list every way to get them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const err = await locateFashionMnist({
      dir: `${dir}/given`,
      split: "test",
      envDir: `${dir}/env`,
      systemDir: `${dir}/sys`,
      cacheDir: `${dir}/cache`,
      fetchFn: offline,
    }).then(() => undefined, (e: Error) => e);
    assert.ok(err);
    const m = err.message;
    for (const part of [`${dir}/given`, `${dir}/env`, `${dir}/sys`, "network disabled in tests"]) {
      assert.ok(m.includes(part), part);
    }
    assert.match(m, /apt-get install dataset-fashion-mnist/);
    assert.match(m, /FASHION_MNIST_DIR=/);
    assert.match(m, /--data-dir/);
    assert.ok(m.includes(`place the files in the cache directory ${dir}/cache`));
    assert.ok(m.includes(FASHION_MNIST_URLS[0]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "download: verified files land in the cache dir; bad checksums are rejected",
  ignore: !haveFm,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const served: string[] = [];
      const fromDebian = (url: string) => {
        served.push(url);
        const name = url.slice(url.lastIndexOf("/") + 1);
        return Deno.readFile(`${FM}/${name}`).then((b) => new Response(b));
      };
      const opts = { split: "test" as const, envDir: null, systemDir: null, cacheDir: `${dir}/cache` };
      const fm = await loadFashionMnist({ ...opts, limit: 3, fetchFn: fromDebian });
      assert.equal(fm.n, 3);
      assert.deepEqual(served, [
        `${FASHION_MNIST_URLS[0]}/t10k-images-idx3-ubyte.gz`,
        `${FASHION_MNIST_URLS[0]}/t10k-labels-idx1-ubyte.gz`,
      ]);
      assert.ok((await Deno.stat(`${dir}/cache/t10k-labels-idx1-ubyte.gz`)).isFile);
      // The cache is found now, with downloads disabled.
      assert.equal((await loadFashionMnist({ ...opts, limit: 2, download: false })).n, 2);

      const garbage = await locateFashionMnist({
        ...opts,
        cacheDir: `${dir}/cache2`,
        fetchFn: () =>
          Promise.resolve(
            new Response(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
          ),
      }).then(() => undefined, (e: Error) => e.message);
      assert.match(garbage ?? "", /checksum mismatch/);
      assert.equal(
        await Deno.stat(`${dir}/cache2/t10k-images-idx3-ubyte.gz`).then(() => true, () => false),
        false,
      );
      const labelsGz = await Deno.readFile(`${FM}/t10k-labels-idx1-ubyte.gz`);
      assert.equal(await verifyFashionGz("t10k-labels-idx1-ubyte", labelsGz, "x.gz"), "sha256");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
