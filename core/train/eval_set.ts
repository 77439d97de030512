/**
 * `eval_set.json` + `test_logits.safetensors`: what a probe run on image files (ImageNet, VOC, COCO)
 * leaves for the explain / evaluate stage: the test samples whose features were scored (path, labels,
 * boxes in the original image's coordinates), the dataset, image side and input encoding, and the
 * probe's logits on them (row i belongs to sample i), so the confident, correctly classified images of
 * GridPG are chosen without running the backbone over the test split again.
 *
 * @module
 */
import type { Sample } from "../data/dataset.ts";
import { atomicWriteTextFile } from "../io/atomic_write.ts";
import type { HostTensor } from "../host_tensor.ts";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import type { FolderDataset, InputEncoding } from "./folder_data.ts";

/** The test split of a probe run on image files. */
export interface EvalSet {
  /** Dataset. */
  dataset: FolderDataset;
  /** Its root directory. */
  root: string;
  /** Input side in pixels. */
  imageSize: number;
  /** The backbone's input encoding. */
  encoding: InputEncoding;
  /** Class names. */
  classes: string[];
  /** Multi-label dataset. */
  multiLabel: boolean;
  /** The scored test samples, in logit-row order. */
  samples: Sample[];
}

/**
 * Writes `dir/eval_set.json` and `dir/test_logits.safetensors` (logits `[samples, classes]`).
 *
 * @example
 * ```ts ignore
 * await writeEvalSet("runs/probe", set, scores.logits);
 * ```
 */
export async function writeEvalSet(dir: string, set: EvalSet, logits: HostTensor): Promise<void> {
  if (logits.shape[0] !== set.samples.length || logits.shape[1] !== set.classes.length) {
    throw new RangeError(
      `writeEvalSet: logits [${logits.shape}] for ${set.samples.length} samples of ${set.classes.length} classes`,
    );
  }
  await writeSafetensors(`${dir}/test_logits.safetensors`, { logits });
  await atomicWriteTextFile(`${dir}/eval_set.json`, JSON.stringify(set) + "\n");
}

/**
 * Reads what {@link writeEvalSet} wrote; errors name the file.
 *
 * @example
 * ```ts ignore
 * const { set, logits } = await readEvalSet("runs/probe");
 * ```
 */
export async function readEvalSet(dir: string): Promise<{ set: EvalSet; logits: HostTensor }> {
  const path = `${dir}/eval_set.json`;
  let set: EvalSet;
  try {
    set = JSON.parse(await Deno.readTextFile(path)) as EvalSet;
  } catch (e) {
    throw new Error(`${path}: cannot read the probe's test split (${(e as Error).message})`, { cause: e });
  }
  const logitsPath = `${dir}/test_logits.safetensors`;
  const logits = (await readSafetensors(logitsPath)).get("logits");
  if (!logits || logits.shape[0] !== set.samples.length) {
    throw new Error(`${logitsPath}: no logits for the ${set.samples.length} samples of ${path}`);
  }
  return { set, logits };
}
