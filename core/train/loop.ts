/**
 * The training loop shared by pre-training and probe training.
 *
 * - No readback per step: each step's loss is copied into a GPU log ({@link LossLog}) that is read every
 *   `logEvery` steps; every value read is checked, and a NaN or infinite loss stops the run with a
 *   {@link NanLossError} naming the step (no checkpoint is written after it, so the last good one stays).
 * - A progress bar on stderr (throughput, ETA; plain lines when stderr is not a terminal).
 * - Checkpoints ({@link writeCheckpoint}) at the end of every epoch, on SIGINT (the run stops after the
 *   current step, saves and returns `interrupted`; a second SIGINT exits at once), at `stopAtStep`, and,
 *   when the device is lost, from the latest host snapshot if `snapshotEvery` keeps one.
 * - `resume` restores the latest checkpoint (modules, optimiser, method state, RNG, epoch / batch / step)
 *   and continues; data order and augmentation depend only on (seed, epoch, sample), so a resumed run
 *   reaches the same weights as an uninterrupted one.
 *
 * @module
 */
import "../ops/mod.ts";
import { DeviceLostError } from "../gpu/errors.ts";
import { Rng } from "../data/rng.ts";
import { atomicWriteTextFile } from "../io/atomic_write.ts";
import { tidy } from "../tensor.ts";
import {
  captureCheckpoint,
  type CheckpointData,
  type CheckpointReason,
  nonFiniteTensors,
  readLatestCheckpoint,
  restoreCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import { firstNonFinite, LossLog } from "./loss_log.ts";
import type { TrainBatch, TrainMethod } from "./method.ts";
import { Progress, type ProgressSink } from "./progress.ts";

/** A loss (or the parameters) became NaN or infinite. */
export class NanLossError extends Error {
  /**
   * Creates the instance.
   *
   * @param step global step index of the first bad loss
   * @param epoch its epoch
   * @param checkpoint path of the last good checkpoint, or null
   * @param what what was non-finite (default: the loss)
   */
  constructor(
    readonly step: number,
    readonly epoch: number,
    readonly checkpoint: string | null,
    what = "the training loss",
  ) {
    super(
      `${what} is NaN or infinite at step ${step} (epoch ${epoch}); ` +
        (checkpoint ? `the last good checkpoint is ${checkpoint}` : "no checkpoint was written before it") +
        ". Lower the learning rate or check the data.",
    );
    this.name = "NanLossError";
  }
}

/**
 * Batches of an epoch, computed on demand (deterministic in epoch and index). A source may build them
 * asynchronously (decoding image files) and return a promise; the loop awaits it.
 */
export interface BatchSource {
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  /** Batch `index` of epoch `epoch` (the loop asks for them in order, from a resumed batch on). */
  batch(epoch: number, index: number): TrainBatch | Promise<TrainBatch>;
}

/** Options of {@link trainLoop}. */
export interface LoopOptions {
  /** The method to train. */
  method: TrainMethod;
  /** The data. */
  data: BatchSource;
  /** Epochs of the run. */
  epochs: number;
  /** Run directory: checkpoints go to `<outDir>/checkpoints`, the loss history to `history.json`. */
  outDir: string;
  /** Continue from the latest checkpoint (an error if there is none). */
  resume?: boolean;
  /** Run seed (recorded; the loop RNG starts from it). */
  seed?: number;
  /** Steps between loss readbacks (default 20). */
  logEvery?: number;
  /** Recorded in checkpoints; resuming requires an equal config. */
  config?: Record<string, unknown>;
  /** Progress output; `false` for none (default: stderr). */
  progress?: ProgressSink | false;
  /** Prefix of progress lines. */
  label?: string;
  /** Stop after this global step, checkpoint, and return as interrupted (tests, `--max-steps`). */
  stopAtStep?: number;
  /** Keep a host snapshot every this many steps, written if the device is lost (default 0: none). */
  snapshotEvery?: number;
  /** Checkpoint files to keep (default 1). */
  keepCheckpoints?: number;
  /** Listen for SIGINT (default true). */
  handleSigint?: boolean;
  /** Aborting it acts like SIGINT: the run checkpoints after the current step and returns. */
  signal?: AbortSignal;
}

/** Per-epoch summary. */
export interface EpochRecord {
  /** Epoch index. */
  epoch: number;
  /** Mean loss over the epoch's steps. */
  loss: number;
  /** Wall time of the epoch in this process (seconds; 0 if it was split by a resume). */
  seconds: number;
  /** Samples per second during the epoch. */
  samplesPerSecond: number;
}

/** The loss history of a run (`history.json`). */
export interface History {
  /** Loss of every step, in order. */
  losses: number[];
  /** One entry per finished epoch. */
  epochs: EpochRecord[];
}

/** What {@link trainLoop} returns. */
export interface LoopResult {
  /** Global steps done. */
  step: number;
  /** Epochs finished. */
  epoch: number;
  /** True if it stopped early (SIGINT or `stopAtStep`) after writing a checkpoint. */
  interrupted: boolean;
  /** The loss history (all steps of the run, resumed ones included). */
  history: History;
  /** Path of the last checkpoint written, or null. */
  checkpoint: string | null;
}

async function readHistory(path: string, step: number): Promise<History> {
  try {
    const h = JSON.parse(await Deno.readTextFile(path)) as History;
    return { losses: h.losses.slice(0, step), epochs: h.epochs };
  } catch {
    return { losses: [], epochs: [] };
  }
}

/** One macrotask turn, so that signal listeners and other pending events run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * The top-level keys whose values differ (as JSON) between two run configurations.
 *
 * @example
 * ```ts
 * import { differingKeys } from "./loop.ts";
 * console.log(differingKeys({ lr: 0.1, loss: "ce" }, { lr: 0.1, loss: "bce" })); // ["loss"]
 * ```
 */
export function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/**
 * Runs (or resumes) a training run; see the module documentation.
 *
 * @example
 * ```ts ignore
 * const result = await trainLoop({ method, data, epochs: 5, outDir: "runs/sup", seed: 0 });
 * console.log(result.history.epochs);
 * ```
 */
export async function trainLoop(opts: LoopOptions): Promise<LoopResult> {
  const { method, data, epochs, outDir } = opts;
  const spe = data.batchesPerEpoch;
  if (!(spe >= 1)) throw new RangeError("trainLoop: the data source has no batches");
  if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`trainLoop: epochs must be >= 1`);
  const totalSteps = epochs * spe;
  const seed = opts.seed ?? 0;
  const config = { ...(opts.config ?? {}), method: method.name, epochs, batchesPerEpoch: spe, seed };
  const ckptDir = `${outDir}/checkpoints`;
  const historyPath = `${outDir}/history.json`;
  await Deno.mkdir(outDir, { recursive: true });

  let epoch = 0, batchIdx = 0, step = 0;
  const rng = new Rng(seed);
  let history: History = { losses: [], epochs: [] };
  let lastCheckpoint: string | null = null;
  let lastCheckpointStep = -1;
  const existing = await readLatestCheckpoint(ckptDir);
  if (opts.resume) {
    if (!existing) throw new Error(`--resume: no checkpoint in ${ckptDir}`);
    const diff = differingKeys(existing.meta.config, config);
    if (diff.length) {
      throw new Error(`--resume: the checkpoint in ${ckptDir} was made with a different ${diff.join(", ")}`);
    }
    restoreCheckpoint(method, existing);
    ({ epoch, batch: batchIdx, step } = existing.meta);
    rng.restore(existing.meta.rng);
    history = await readHistory(historyPath, step);
    history.epochs = history.epochs.filter((e) => e.epoch < epoch);
    lastCheckpointStep = step;
    lastCheckpoint = `${ckptDir}/step-${String(step).padStart(8, "0")}.safetensors`;
  } else if (existing) {
    throw new Error(
      `${ckptDir} already holds a checkpoint (step ${existing.meta.step}); pass --resume or use another --out`,
    );
  }

  const logEvery = Math.max(1, Math.floor(opts.logEvery ?? 20));
  const log = new LossLog(logEvery);
  const progress = opts.progress === false ? null : new Progress({
    total: totalSteps,
    start: step,
    label: opts.label ?? method.name,
    sink: opts.progress,
  });
  let interruptRequested = false;
  const onSigint = () => {
    if (interruptRequested) Deno.exit(130);
    interruptRequested = true;
  };
  const listen = opts.handleSigint ?? true;
  if (listen) Deno.addSignalListener("SIGINT", onSigint);
  let snapshot: CheckpointData | null = null;
  let loggedFrom = step;
  let samplesSinceUpdate = 0;
  let epochT0 = performance.now();
  let epochSamples = 0;
  let epochStartedHere = batchIdx === 0;

  const drain = async () => {
    const values = await log.drain();
    const bad = firstNonFinite(values);
    if (bad >= 0) {
      const badStep = loggedFrom + bad;
      throw new NanLossError(badStep, Math.floor(badStep / spe), lastCheckpoint);
    }
    for (const v of values) history.losses.push(v);
    loggedFrom += values.length;
    if (progress && values.length) {
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      progress.update(loggedFrom, samplesSinceUpdate, { epoch: `${epoch + 1}/${epochs}`, loss: mean });
      samplesSinceUpdate = 0;
    }
  };
  const capture = (reason: CheckpointReason) =>
    captureCheckpoint(method, { epoch, batch: batchIdx, step, rng: rng.state(), seed, config, reason });
  const save = async (ckpt: CheckpointData) => {
    const bad = nonFiniteTensors(ckpt.tensors);
    if (bad.length) {
      throw new NanLossError(step - 1, Math.floor((step - 1) / spe), lastCheckpoint, `state '${bad[0]}'`);
    }
    lastCheckpoint = await writeCheckpoint(ckptDir, ckpt, opts.keepCheckpoints ?? 1);
    lastCheckpointStep = ckpt.meta.step;
    await atomicWriteTextFile(historyPath, JSON.stringify(history) + "\n");
  };

  method.setTraining(true);
  progress?.update(step, 0, { epoch: `${epoch + 1}/${epochs}` });
  try {
    while (epoch < epochs) {
      while (batchIdx < spe) {
        const batch = await data.batch(epoch, batchIdx);
        tidy(() => log.write(method.step(batch, { step, totalSteps, epoch, rng })));
        step++;
        batchIdx++;
        samplesSinceUpdate += batch.size;
        epochSamples += batch.size;
        if (log.full) await drain();
        else await yieldToEventLoop(); // lets a SIGINT listener run between readbacks
        if (opts.signal?.aborted) interruptRequested = true;
        const stop = interruptRequested || step === opts.stopAtStep;
        if (stop && batchIdx < spe) {
          await drain();
          await save(await capture(interruptRequested ? "interrupt" : "stop"));
          return { step, epoch, interrupted: true, history, checkpoint: lastCheckpoint };
        }
        if (opts.snapshotEvery && step % opts.snapshotEvery === 0) {
          await drain();
          snapshot = await capture("device_lost");
        }
      }
      await drain();
      const from = epoch * spe;
      const epochLosses = history.losses.slice(from, from + spe);
      const seconds = (performance.now() - epochT0) / 1000;
      history.epochs.push({
        epoch,
        loss: epochLosses.reduce((s, v) => s + v, 0) / Math.max(1, epochLosses.length),
        seconds: epochStartedHere ? seconds : 0,
        samplesPerSecond: epochSamples / Math.max(seconds, 1e-9),
      });
      epoch++;
      batchIdx = 0;
      await save(await capture("epoch"));
      epochT0 = performance.now();
      epochSamples = 0;
      epochStartedHere = true;
      if (interruptRequested || opts.signal?.aborted || step === opts.stopAtStep) {
        return { step, epoch, interrupted: epoch < epochs, history, checkpoint: lastCheckpoint };
      }
    }
    return { step, epoch, interrupted: false, history, checkpoint: lastCheckpoint };
  } catch (e) {
    if (e instanceof DeviceLostError && snapshot && snapshot.meta.step > lastCheckpointStep) {
      try {
        await save(snapshot);
        progress?.finish();
        console.error(`device lost: saved the snapshot of step ${snapshot.meta.step} to ${lastCheckpoint}`);
      } catch (inner) {
        console.error(`device lost: could not save the snapshot: ${(inner as Error).message}`);
      }
    }
    throw e;
  } finally {
    if (listen) Deno.removeSignalListener("SIGINT", onSigint);
    log.dispose();
    progress?.finish();
  }
}
