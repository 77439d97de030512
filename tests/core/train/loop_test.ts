import assert from "node:assert/strict";
import { initGpu } from "../../../core/gpu/device.ts";
import { DeviceLostError } from "../../../core/gpu/errors.ts";
import { loadFashionMnist } from "../../../core/data/fashion_mnist.ts";
import { latestCheckpoint } from "../../../core/train/checkpoint.ts";
import { fashionImageSet, ViewBatcher } from "../../../core/train/data.ts";
import { NanLossError, trainLoop } from "../../../core/train/loop.ts";
import {
  buildPretrainMethod,
  type PretrainConfig,
  pretrainViews,
} from "../../../core/train/methods/build.ts";
import type { TrainMethod } from "../../../core/train/method.ts";
import { readStateDict } from "../../../core/train/readback.ts";
import { ToyData, ToyMethod } from "./toy.ts";

await initGpu();

async function allState(m: TrainMethod): Promise<Map<string, Float32Array>> {
  const named = new Map(
    Object.entries(m.modules).flatMap(([p, mod]) => [...mod.stateDict()].map(([k, t]) => [`${p}.${k}`, t])),
  );
  for (const [k, t] of Object.entries(m.stateTensors?.() ?? {})) named.set(`state.${k}`, t);
  const host = await readStateDict(named);
  return new Map([...host].map(([k, t]) => [k, t.data]));
}

Deno.test("resume: MoCo v2 interrupted twice (mid-epoch and mid-run) reaches bit-identical weights, queue and losses", async () => {
  const set = fashionImageSet(await loadFashionMnist({ split: "train", limit: 48 }));
  const cfg: PretrainConfig = {
    method: "mocov2",
    arch: { name: "resnet_tiny", widths: [4, 8, 8], seed: 5 },
    numClasses: 10,
    totalSteps: 0,
    queueSize: 32,
  };
  const data = new ViewBatcher({ set, batchSize: 16, views: pretrainViews(cfg), seed: 5 });
  const epochs = 2;
  cfg.totalSteps = data.batchesPerEpoch * epochs; // 6 steps
  const run = async (out: string, stops: (number | undefined)[]) => {
    await Deno.remove(out, { recursive: true }).catch(() => {});
    let method: TrainMethod | null = null;
    let result;
    for (const [i, stopAtStep] of stops.entries()) {
      method?.dispose(); // a fresh method per segment, as a new process would build
      method = buildPretrainMethod(cfg);
      result = await trainLoop({
        method,
        data,
        epochs,
        outDir: out,
        seed: 5,
        logEvery: 2,
        resume: i > 0,
        stopAtStep,
        progress: false,
        handleSigint: false,
      });
      assert.equal(result.interrupted, stopAtStep !== undefined);
    }
    const state = await allState(method!);
    method!.dispose();
    return { state, losses: result!.history.losses };
  };
  const tmp = await Deno.makeTempDir();
  try {
    const full = await run(`${tmp}/a`, [undefined]);
    const split = await run(`${tmp}/b`, [2, 4, undefined]);
    assert.equal(full.losses.length, 6);
    assert.deepEqual(split.losses, full.losses);
    assert.deepEqual([...split.state.keys()], [...full.state.keys()]);
    assert.ok(full.state.has("state.queue"));
    for (const [k, v] of full.state) assert.deepEqual(split.state.get(k), v, `state ${k} differs`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("NaN loss: stops with an error naming the step and keeps the last good checkpoint", async () => {
  const tmp = await Deno.makeTempDir();
  const method = new ToyMethod();
  try {
    // 4 steps per epoch; the checkpoint of epoch 0 is written after step 4; step 6 (epoch 1) is NaN.
    await assert.rejects(
      trainLoop({ method, data: new ToyData(6), epochs: 3, outDir: tmp, logEvery: 3, progress: false }),
      (e: unknown) => {
        assert.ok(e instanceof NanLossError);
        assert.equal(e.step, 6);
        assert.match(e.message, /NaN or infinite at step 6 \(epoch 1\)/);
        assert.match(e.message, /last good checkpoint is .*step-00000004\.safetensors/);
        return true;
      },
    );
    const latest = await latestCheckpoint(`${tmp}/checkpoints`);
    assert.equal(latest?.step, 4);
    assert.equal(latest?.epoch, 1);
    const files = [...Deno.readDirSync(`${tmp}/checkpoints`)].map((e) => e.name).sort();
    assert.deepEqual(files, ["latest.json", "step-00000004.safetensors"]);
  } finally {
    method.dispose();
    await Deno.remove(tmp, { recursive: true });
  }
});

// A real SIGINT is exercised through the task in tests/tasks/pretrain_test.ts (`deno test` traps SIGINT).
Deno.test("interrupt: the loop finishes the step, checkpoints, returns interrupted; resume completes the run", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const a = new ToyMethod();
    const stop = new AbortController();
    a.onStep = (ctx) => {
      if (ctx.step === 5) stop.abort();
    };
    const r1 = await trainLoop({
      method: a,
      data: new ToyData(),
      epochs: 3,
      outDir: tmp,
      progress: false,
      signal: stop.signal,
      handleSigint: false,
    });
    assert.equal(r1.interrupted, true);
    assert.equal(r1.step, 6);
    const latest = await latestCheckpoint(`${tmp}/checkpoints`);
    assert.equal(latest?.reason, "interrupt");
    assert.equal(latest?.step, r1.step);
    a.dispose();
    const b = new ToyMethod();
    const r2 = await trainLoop({
      method: b,
      data: new ToyData(),
      epochs: 3,
      outDir: tmp,
      resume: true,
      progress: false,
    });
    assert.equal(r2.interrupted, false);
    assert.equal(r2.step, 12);
    assert.equal(r2.history.losses.length, 12);
    assert.ok(r2.history.losses[11] < r2.history.losses[0] / 4, "the toy regression converges");
    b.dispose();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("resume refuses a missing checkpoint or a different configuration; a fresh run refuses an existing one", async () => {
  const tmp = await Deno.makeTempDir();
  const m = new ToyMethod();
  try {
    await assert.rejects(
      trainLoop({ method: m, data: new ToyData(), epochs: 1, outDir: tmp, resume: true, progress: false }),
      /no checkpoint/,
    );
    await trainLoop({ method: m, data: new ToyData(), epochs: 1, outDir: tmp, progress: false });
    await assert.rejects(
      trainLoop({ method: m, data: new ToyData(), epochs: 1, outDir: tmp, progress: false }),
      /already holds a checkpoint/,
    );
    await assert.rejects(
      trainLoop({ method: m, data: new ToyData(), epochs: 2, outDir: tmp, resume: true, progress: false }),
      /different epochs/,
    );
  } finally {
    m.dispose();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("device lost: the latest host snapshot is written as a checkpoint and the error propagates", async () => {
  const tmp = await Deno.makeTempDir();
  const m = new ToyMethod();
  m.onStep = (ctx) => {
    if (ctx.step === 7) throw new DeviceLostError("unknown", "simulated");
  };
  try {
    await assert.rejects(
      trainLoop({
        method: m,
        data: new ToyData(),
        epochs: 3,
        outDir: tmp,
        progress: false,
        snapshotEvery: 3,
      }),
      DeviceLostError,
    );
    // epoch checkpoint at step 4, snapshot at step 6 (newer) -> written on loss
    const latest = await latestCheckpoint(`${tmp}/checkpoints`);
    assert.equal(latest?.step, 6);
    assert.equal(latest?.reason, "device_lost");
    const resumed = new ToyMethod();
    const r = await trainLoop({
      method: resumed,
      data: new ToyData(),
      epochs: 3,
      outDir: tmp,
      resume: true,
      progress: false,
    });
    assert.equal(r.step, 12);
    resumed.dispose();
  } finally {
    m.dispose();
    await Deno.remove(tmp, { recursive: true });
  }
});
