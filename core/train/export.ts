/**
 * Exported backbones: a run directory holds `backbone.safetensors` (the headless backbone's state dict,
 * torchvision / B-cos v2 keys) and `backbone.json` ({@link BackboneRecord}: how to rebuild it and how
 * its inputs are encoded). Supervised runs also write `classifier.safetensors` (backbone + head keys,
 * loadable into the full ResNet / B-cos ResNet with `numClasses`).
 *
 * @module
 */
import { atomicWriteTextFile } from "../io/atomic_write.ts";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import type { Module } from "../nn/module.ts";
import { readWeights } from "../io/weights.ts";
import { type ArchConfig, type ArchName, type Backbone, buildBackbone } from "./arch.ts";
import { readStateDict } from "./readback.ts";

/** What `backbone.json` records. */
export interface BackboneRecord {
  /** How to rebuild the network. */
  arch: ArchConfig;
  /** Pre-training method (`random` for an untrained backbone). */
  method: string;
  /** Width of the features. */
  featureDim: number;
  /** Input channels after encoding. */
  inChannels: number;
  /** Input encoding: `none` (gray [0, 1], 1 channel) or `bcos6` (`[rgb, 1 - rgb]`). */
  encoding: "none" | "bcos6";
  /** Training image side. */
  imageSize: number;
  /** Anything else about the run (seed, epochs, data, losses). */
  run: Record<string, unknown>;
}

/**
 * Writes `backbone.safetensors` and `backbone.json` into `dir` (atomically); with a `head`, also
 * `classifier.safetensors`. Returns the record.
 *
 * @example
 * ```ts ignore
 * await saveBackbone("runs/moco", method.exported, { method: "mocov2", run: { epochs: 5 } });
 * ```
 */
export async function saveBackbone(
  dir: string,
  backbone: Backbone,
  info: { method: string; imageSize?: number; run?: Record<string, unknown>; head?: Module },
): Promise<BackboneRecord> {
  await Deno.mkdir(dir, { recursive: true });
  const weights = await readStateDict(backbone.module.stateDict());
  await writeSafetensors(`${dir}/backbone.safetensors`, weights);
  if (info.head) {
    const head = await readStateDict(info.head.stateDict());
    await writeSafetensors(`${dir}/classifier.safetensors`, new Map([...weights, ...head]));
  }
  const record: BackboneRecord = {
    arch: backbone.config,
    method: info.method,
    featureDim: backbone.featureDim,
    inChannels: backbone.inChannels,
    encoding: backbone.bcos ? "bcos6" : "none",
    imageSize: info.imageSize ?? 28,
    run: info.run ?? {},
  };
  await atomicWriteTextFile(`${dir}/backbone.json`, JSON.stringify(record, null, 2) + "\n");
  return record;
}

/** A loaded backbone with its record and the SHA-256 of its weights file. */
export interface LoadedBackbone {
  /** The network (weights loaded). */
  backbone: Backbone;
  /** Its record. */
  record: BackboneRecord;
  /** Hex SHA-256 of `backbone.safetensors` (the feature-cache key). */
  hash: string;
}

/**
 * Hex SHA-256 of bytes.
 *
 * @example
 * ```ts ignore
 * const h = await sha256Hex(new TextEncoder().encode("x"));
 * ```
 */
export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Loads a backbone exported by {@link saveBackbone}.
 *
 * @example
 * ```ts ignore
 * const { backbone, record, hash } = await loadBackbone("runs/moco");
 * ```
 */
export async function loadBackbone(dir: string): Promise<LoadedBackbone> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/backbone.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`${dir} holds no exported backbone (backbone.json); run tasks/pretrain.ts first`);
    }
    throw e;
  }
  const record = JSON.parse(text) as BackboneRecord;
  const path = `${dir}/backbone.safetensors`;
  const bytes = await Deno.readFile(path);
  const backbone = buildBackbone(record.arch);
  backbone.module.loadStateDict(await readSafetensors(path), { strict: true, source: path });
  return { backbone, record, hash: await sha256Hex(bytes) };
}

/**
 * A randomly initialised backbone (the probes' baseline), keyed by its architecture and seed.
 *
 * @example
 * ```ts ignore
 * const { backbone, hash } = await randomBackbone({ name: "resnet_small", seed: 0 });
 * ```
 */
export async function randomBackbone(arch: ArchConfig): Promise<LoadedBackbone> {
  const backbone = buildBackbone(arch);
  const record: BackboneRecord = {
    arch: backbone.config,
    method: "random",
    featureDim: backbone.featureDim,
    inChannels: backbone.inChannels,
    encoding: backbone.bcos ? "bcos6" : "none",
    imageSize: 28,
    run: {},
  };
  return { backbone, record, hash: await sha256Hex(`random:${JSON.stringify(backbone.config)}`) };
}

/** Wrapper prefixes of released checkpoints, stripped (each at most once, in this order) on import. */
export const CHECKPOINT_PREFIXES: readonly string[] = [
  "module.",
  "encoder_q.",
  "base_encoder.",
  "online_network.",
  "backbone.",
];

/**
 * Imports pre-trained weights as an exported backbone in `outDir` (`backbone.safetensors` +
 * `backbone.json`, as {@link saveBackbone} writes them). `source` is either a run directory of
 * `tasks/pretrain.ts` (its architecture must be `arch`) or a weights file (safetensors or a PyTorch
 * checkpoint; torchvision / B-cos v2 key names, wrapper prefixes such as `module.encoder_q.` removed;
 * a small conventional network takes the input channels of the checkpoint's first layer).
 * Keys the headless backbone does not hold (a classifier `fc.*`, projection heads) are dropped and
 * counted; a missing key or a shape mismatch is an error naming the file and the key.
 *
 * @example
 * ```ts ignore
 * const rec = await importBackbone("weights/resnet50_mocov2.pth.tar", "resnet50", "mocov2", "runs/moco");
 * console.log(rec.run.droppedKeys);
 * ```
 */
export async function importBackbone(
  source: string,
  arch: ArchName,
  method: string,
  outDir: string,
): Promise<BackboneRecord> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(source);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`checkpoint ${source} does not exist`);
    throw e;
  }
  if (stat.isDirectory) {
    const { backbone, record } = await loadBackbone(source);
    try {
      if (record.arch.name !== arch) {
        throw new Error(`${source}/backbone.json: architecture '${record.arch.name}', expected '${arch}'`);
      }
      return await saveBackbone(outDir, backbone, {
        method: record.method,
        imageSize: record.imageSize,
        run: { ...record.run, importedFrom: source },
      });
    } finally {
      backbone.module.dispose();
    }
  }
  const weights = await readWeights(source, { stripPrefixes: CHECKPOINT_PREFIXES });
  // A small conventional network reads as many channels as the checkpoint's first layer takes.
  const first = weights.get("conv1.weight") ?? weights.get("conv_proj.weight");
  const small = /_(small|tiny)$/.test(arch) && !arch.startsWith("bcos_");
  const backbone = buildBackbone(
    small && first ? { name: arch, inChannels: first.shape[1] } : { name: arch },
  );
  try {
    const own = backbone.module.stateDict();
    const kept = new Map([...weights].filter(([k]) => own.has(k)));
    backbone.module.loadStateDict(kept, { strict: true, source });
    return await saveBackbone(outDir, backbone, {
      method,
      imageSize: backbone.fixedSize ?? (arch.endsWith("50") ? 224 : 28),
      run: { importedFrom: source, droppedKeys: weights.size - kept.size },
    });
  } finally {
    backbone.module.dispose();
  }
}
