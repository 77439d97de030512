/**
 * Loads a trained probe of the matrix for the explain stage: backbone + probe as one model, the
 * backbone's input encoding, and the test images the probe was scored on (Fashion-MNIST from
 * `data.root`, or the image-file test split recorded in the probe run's `eval_set.json`).
 *
 * @module
 */
import { loadFashionMnist } from "../../core/data/fashion_mnist.ts";
import { readSafetensorsWithMetadata } from "../../core/io/safetensors.ts";
import { Probe, type ProbeConfig } from "../../core/models/probes.ts";
import { readEvalSet } from "../../core/train/eval_set.ts";
import { loadBackbone } from "../../core/train/export.ts";
import { inputEncoding } from "../../core/train/folder_data.ts";
import { ProbedModel } from "../../explainers/probed.ts";
import { IMAGENET_NORMALIZATION } from "../../explainers/lrp/composites.ts";
import type { PipelineConfig } from "../pipeline/config.ts";
import { encoderFor, fashionEvalData, folderEvalData } from "./eval_data.ts";
import type { ProbedRun } from "./explain_run.ts";

/**
 * Backbone + trained probe as one model (eval mode), with the input encoding and the test images.
 * `fashion` selects the Fashion-MNIST test split (limited by `data.testLimit`); otherwise the probe run
 * directory must hold `eval_set.json`. The caller disposes `model` and closes `data`.
 *
 * @example
 * ```ts ignore
 * const run = await loadProbed("art/pretrain/run", "art/probe/run", "bce", config, false);
 * ```
 */
export async function loadProbed(
  backboneDir: string,
  probeDir: string,
  loss: "ce" | "bce",
  config: PipelineConfig,
  fashion = config.data.dataset === "fashion-mnist",
): Promise<ProbedRun> {
  const { backbone } = await loadBackbone(backboneDir);
  const { tensors, metadata } = await readSafetensorsWithMetadata(`${probeDir}/probe.safetensors`);
  const probe = new Probe(JSON.parse(metadata.probe) as ProbeConfig);
  probe.loadStateDict(tensors, { source: `${probeDir}/probe.safetensors` });
  const model = new ProbedModel(backbone.module, probe).eval();
  const encoding = inputEncoding(backbone);
  const normalization = encoding.name === "imagenet-norm" ? IMAGENET_NORMALIZATION : null;
  const encode = encoderFor(encoding);
  if (fashion) {
    const test = await loadFashionMnist({
      split: "test",
      limit: config.data.testLimit || undefined,
      dir: config.data.root ?? undefined,
    });
    return { model, encode, loss, data: fashionEvalData(test), normalization };
  }
  const { set, logits } = await readEvalSet(probeDir);
  return { model, encode, loss, data: folderEvalData(set, logits, loss), normalization };
}
