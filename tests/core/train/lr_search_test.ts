import assert from "node:assert/strict";
import { holdoutSplit, type ImageSet } from "../../../core/train/data.ts";
import { searchLearningRate, searchLearningRateOn } from "../../../core/train/lr_search.ts";
import { withTempDir } from "../../util/temp_dir.ts";

const set: ImageSet = {
  images: Float32Array.from({ length: 40 }, (_, i) => i),
  itemShape: [1, 1, 1],
  n: 40,
  labels: Float32Array.from({ length: 40 }, (_, i) => i % 4),
  numClasses: 4,
  multiLabel: false,
};

Deno.test("searchLearningRate: scores every candidate on the held-out items, picks the best, and a rerun skips finished candidates", async () => {
  await withTempDir(async (dir) => {
    const calls: number[] = [];
    const score = (lr: number) => 1 - Math.abs(Math.log10(lr) + 1) / 10; // best at 0.1
    const trainAndScore = (fit: ImageSet, val: ImageSet, lr: number) => {
      calls.push(lr);
      assert.equal(fit.n + val.n, 40);
      assert.equal(val.n, 10);
      // the held-out items are not in the fit part (item i holds value i)
      const fitValues = new Set(fit.images);
      for (const v of val.images) assert.ok(!fitValues.has(v));
      return Promise.resolve(score(lr));
    };
    const o = { lrs: [0.001, 0.1, 10], set, valFraction: 0.25, seed: 0, dir, trainAndScore, log: () => {} };
    const r = await searchLearningRate(o);
    assert.equal(r?.lr, 0.1);
    assert.deepEqual(r?.candidates.map((c) => c.validation), [0.001, 0.1, 10].map(score));
    assert.equal(r?.validationItems, 10);
    assert.deepEqual(calls, [0.001, 0.1, 10]);
    const again = await searchLearningRate(o);
    assert.deepEqual(again, r);
    assert.deepEqual(calls, [0.001, 0.1, 10], "finished candidates are not trained again");
  }, "lr_search_");
});

Deno.test("searchLearningRate: an interrupted candidate stops the search (null) and resumes on the rerun", async () => {
  await withTempDir(async (dir) => {
    const resumes: boolean[] = [];
    let interrupt = true;
    const trainAndScore = async (_f: ImageSet, _v: ImageSet, lr: number, runDir: string, resume: boolean) => {
      if (lr === 1) {
        resumes.push(resume);
        await Deno.mkdir(`${runDir}/checkpoints`, { recursive: true });
        if (interrupt) return null;
      }
      return lr;
    };
    const o = { lrs: [0.5, 1, 2], set, valFraction: 0.1, seed: 3, dir, trainAndScore, log: () => {} };
    assert.equal(await searchLearningRate(o), null);
    interrupt = false;
    assert.equal((await searchLearningRate(o))?.lr, 2);
    assert.deepEqual(resumes, [false, true]);
  }, "lr_search_");
});

Deno.test("searchLearningRateOn: the caller builds the parts from the seeded holdoutSplit's indices, and the scored held-out count is reported", async () => {
  await withTempDir(async (dir) => {
    const names = Array.from({ length: 20 }, (_, i) => `img${i}.jpg`);
    const split = holdoutSplit(20, 0.2, 4);
    let built = 0;
    const r = await searchLearningRateOn({
      lrs: [0.1, 1],
      n: 20,
      valFraction: 0.2,
      seed: 4,
      dir,
      log: () => {},
      parts: (fit, val) => {
        built++;
        assert.deepEqual(fit, split.fit);
        assert.deepEqual(val, split.val);
        // one held-out file could not be read: 3 of 4 are scored
        return Promise.resolve({
          fit: fit.map((i) => names[i]),
          val: val.slice(1).map((i) => names[i]),
          valItems: 3,
        });
      },
      trainAndScore: (fit: string[], val: string[], lr: number) => {
        assert.equal(fit.length, 16);
        assert.ok(val.every((v) => !fit.includes(v)));
        return Promise.resolve(lr === 1 ? 0.75 : 0.5);
      },
    });
    assert.equal(built, 1, "the parts are built once for all candidates");
    assert.equal(r?.lr, 1);
    assert.equal(r?.validationItems, 3);
  }, "lr_search_");
});
