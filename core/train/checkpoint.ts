/**
 * Training checkpoints: everything needed to continue a run exactly where it stopped.
 *
 * A checkpoint is one safetensors file `step-<step>.safetensors` in the checkpoint directory holding
 * - `model.<prefix>.<key>`: parameters and buffers of each module of the method (state-dict keys),
 * - `optim.state.<i>.<name>`: the optimiser's per-parameter state,
 * - `state.<name>`: extra GPU state of the method (MoCo queue, DINO centre),
 * and, as `__metadata__.checkpoint`, the JSON {@link CheckpointMeta} (epoch, batch, step, RNG state,
 * schedule position, optimiser step counters, method state, run config). After the file is written
 * (atomically: temp file + rename), `latest.json` (the same metadata plus the file name) is replaced
 * atomically too, so it always names a complete checkpoint; older checkpoint files are then removed.
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import { atomicWriteTextFile } from "../io/atomic_write.ts";
import { readSafetensorsWithMetadata, writeSafetensors } from "../io/safetensors.ts";
import { flattenOptimizerState, unflattenOptimizerState } from "../optim/state_dict.ts";
import { gpu } from "../gpu/device.ts";
import type { Tensor } from "../tensor.ts";
import type { TrainMethod } from "./method.ts";
import { readTensors } from "./readback.ts";

/** Why a checkpoint was written. */
export type CheckpointReason = "epoch" | "interrupt" | "device_lost" | "stop";

/** The JSON part of a checkpoint. */
export interface CheckpointMeta {
  /** Format version (1). */
  version: number;
  /** Method name. */
  method: string;
  /** Epoch to continue in. */
  epoch: number;
  /** Batch index within `epoch` to continue from. */
  batch: number;
  /** Global steps done (the schedule position: the next step is `step`). */
  step: number;
  /** State of the loop's RNG. */
  rng: number;
  /** The run seed. */
  seed: number;
  /** Learning rate of the last step. */
  lr: number;
  /** Run configuration (resuming checks that it matches). */
  config: Record<string, unknown>;
  /** The optimiser's flattened metadata (type, lr, step counters). */
  optimizer: string;
  /** The method's JSON state. */
  state: Record<string, unknown>;
  /** Why it was written. */
  reason: CheckpointReason;
  /** ISO time of writing. */
  time: string;
}

/** A checkpoint held on the host (before writing, or after reading). */
export interface CheckpointData {
  /** The metadata. */
  meta: CheckpointMeta;
  /** All tensors by checkpoint key. */
  tensors: Map<string, HostTensor>;
}

/** The metadata of the latest checkpoint plus its file path. */
export interface LatestCheckpoint extends CheckpointMeta {
  /** Absolute or run-relative path of the safetensors file. */
  file: string;
}

/**
 * Copies the method's full state to the host (one packed readback for modules and extra tensors).
 *
 * @example
 * ```ts ignore
 * const snap = await captureCheckpoint(method, { epoch: 1, batch: 0, step: 100, rng, seed: 0, config: {}, reason: "epoch" });
 * ```
 */
export async function captureCheckpoint(
  method: TrainMethod,
  pos: Omit<CheckpointMeta, "version" | "method" | "optimizer" | "state" | "time" | "lr">,
): Promise<CheckpointData> {
  const named: [string, Tensor][] = [];
  for (const [prefix, m] of Object.entries(method.modules)) {
    if (prefix.includes(".")) throw new RangeError(`checkpoint: module prefix '${prefix}' contains a dot`);
    for (const [k, t] of m.stateDict()) named.push([`model.${prefix}.${k}`, t]);
  }
  for (const [k, t] of Object.entries(method.stateTensors?.() ?? {})) named.push([`state.${k}`, t]);
  const [data, optState] = await Promise.all([
    readTensors(named.map(([, t]) => t)),
    method.optimizer.stateDict(),
  ]);
  const tensors = new Map<string, HostTensor>();
  named.forEach(([k, t], i) => tensors.set(k, { shape: [...t.shape], data: data[i] }));
  const flat = flattenOptimizerState(optState);
  for (const [k, t] of Object.entries(flat.tensors)) tensors.set(`optim.${k}`, t);
  const meta: CheckpointMeta = {
    version: 1,
    method: method.name,
    ...pos,
    lr: optState.lr,
    optimizer: flat.metadata.optimizer,
    state: method.stateJson?.() ?? {},
    time: new Date().toISOString(),
  };
  return { meta, tensors };
}

/**
 * Names of tensors holding NaN or infinite values (a checkpoint with any is not written).
 *
 * @example
 * ```ts
 * import { nonFiniteTensors } from "./checkpoint.ts";
 * const t = new Map([["w", { shape: [2], data: Float32Array.of(1, NaN) }]]);
 * console.log(nonFiniteTensors(t)); // ["w"]
 * ```
 */
export function nonFiniteTensors(tensors: Map<string, HostTensor>): string[] {
  const bad: string[] = [];
  for (const [k, t] of tensors) {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) {
        bad.push(k);
        break;
      }
    }
  }
  return bad;
}

function fileName(step: number): string {
  return `step-${String(step).padStart(8, "0")}.safetensors`;
}

/**
 * Writes a checkpoint into `dir` atomically, points `latest.json` at it, and removes older checkpoint
 * files (keeping the newest `keep`, default 1). Returns the file path.
 *
 * @example
 * ```ts ignore
 * const path = await writeCheckpoint("runs/moco/checkpoints", snap);
 * ```
 */
export async function writeCheckpoint(dir: string, ckpt: CheckpointData, keep = 1): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const name = fileName(ckpt.meta.step);
  const path = `${dir}/${name}`;
  await writeSafetensors(path, ckpt.tensors, { checkpoint: JSON.stringify(ckpt.meta) });
  const latest: LatestCheckpoint = { ...ckpt.meta, file: name };
  await atomicWriteTextFile(`${dir}/latest.json`, JSON.stringify(latest, null, 2) + "\n");
  const old: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^step-\d+\.safetensors$/.test(e.name) && e.name !== name) old.push(e.name);
  }
  old.sort();
  for (const f of old.slice(0, Math.max(0, old.length - (keep - 1)))) {
    await Deno.remove(`${dir}/${f}`).catch(() => {});
  }
  return path;
}

/**
 * The metadata of the latest checkpoint in `dir`, or null when there is none.
 *
 * @example
 * ```ts ignore
 * const latest = await latestCheckpoint("runs/moco/checkpoints");
 * ```
 */
export async function latestCheckpoint(dir: string): Promise<LatestCheckpoint | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/latest.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const meta = JSON.parse(text) as LatestCheckpoint;
  if (meta.version !== 1) throw new Error(`${dir}/latest.json: unknown checkpoint version ${meta.version}`);
  return meta;
}

/**
 * Reads the latest checkpoint of `dir` (null when there is none).
 *
 * @example
 * ```ts ignore
 * const ckpt = await readLatestCheckpoint("runs/moco/checkpoints");
 * ```
 */
export async function readLatestCheckpoint(dir: string): Promise<CheckpointData | null> {
  const latest = await latestCheckpoint(dir);
  if (!latest) return null;
  const path = `${dir}/${latest.file}`;
  const { tensors, metadata } = await readSafetensorsWithMetadata(path);
  if (!metadata.checkpoint) throw new Error(`${path}: not a training checkpoint (no 'checkpoint' metadata)`);
  const meta = JSON.parse(metadata.checkpoint) as CheckpointMeta;
  return { meta, tensors };
}

/**
 * Loads a checkpoint into a method built with the same configuration: module parameters and buffers
 * (strict: every key must be present), optimiser state, extra tensors and JSON state.
 *
 * @example
 * ```ts ignore
 * restoreCheckpoint(method, (await readLatestCheckpoint(dir))!);
 * ```
 */
export function restoreCheckpoint(method: TrainMethod, ckpt: CheckpointData): void {
  if (ckpt.meta.method !== method.name) {
    throw new Error(`checkpoint of method '${ckpt.meta.method}' cannot resume method '${method.name}'`);
  }
  const byPrefix = new Map<string, Map<string, HostTensor>>();
  const optim: Record<string, HostTensor> = {};
  const extra = new Map<string, HostTensor>();
  for (const [key, t] of ckpt.tensors) {
    if (key.startsWith("model.")) {
      const rest = key.slice(6);
      const dot = rest.indexOf(".");
      const prefix = rest.slice(0, dot);
      if (!byPrefix.has(prefix)) byPrefix.set(prefix, new Map());
      byPrefix.get(prefix)!.set(rest.slice(dot + 1), t);
    } else if (key.startsWith("optim.")) optim[key.slice(6)] = t;
    else if (key.startsWith("state.")) extra.set(key.slice(6), t);
    else throw new Error(`checkpoint: unexpected tensor '${key}'`);
  }
  for (const [prefix, m] of Object.entries(method.modules)) {
    const weights = byPrefix.get(prefix) ?? new Map();
    m.loadStateDict(weights, { strict: true, source: `checkpoint (${prefix})` });
  }
  method.optimizer.loadStateDict(
    unflattenOptimizerState({ tensors: optim, metadata: { optimizer: ckpt.meta.optimizer } }),
  );
  const own = method.stateTensors?.() ?? {};
  for (const [k, t] of Object.entries(own)) {
    const h = extra.get(k);
    if (!h) throw new Error(`checkpoint: missing state tensor '${k}'`);
    if (h.data.length !== t.size) {
      throw new RangeError(`checkpoint: state '${k}' has ${h.data.length} values, expected ${t.size}`);
    }
    gpu().runtime.upload(t.buffer, h.data);
  }
  method.loadStateJson?.(ckpt.meta.state);
}
