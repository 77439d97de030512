/**
 * Throughput of every explainer (images per second), for the bench task: `explainerBenchRows(opts)`
 * returns one row per (model, explainer) in the shape of `tasks/bench/registry.ts`'s `BenchRow`.
 * Small models always (a bottleneck ResNet, a B-cos ResNet and a ViT on 32 px inputs); with
 * `opts.full` also ResNet-50, B-cos ResNet-50 and ViT-B/16 at 224 px. Random weights: the work per
 * image does not depend on them.
 *
 * Synchronous explainers are timed by recording `repeat` calls back to back and waiting once;
 * asynchronous ones (LIME, ViT-CX: host-side segmentation / clustering and one readback each) by the
 * wall clock of awaited calls. One untimed call first compiles the pipelines.
 *
 * @module
 */
import { gpu } from "../core/gpu/device.ts";
import { bcosEncode, BcosResNet } from "../core/models/bcos_resnet.ts";
import { ResNet, resnet } from "../core/models/resnet.ts";
import { VisionTransformer, vitB16 } from "../core/models/vit.ts";
import type { Module } from "../core/nn/module.ts";
import "../core/ops/mod.ts";
import { randUniform } from "../core/ops/random.ts";
import { type Tensor, tidy, tidyAsync } from "../core/tensor.ts";
import { bcosContributions } from "./bcos.ts";
import { gradCam } from "./gradcam.ts";
import { gradientMap, inputXGradient } from "./gradient.ts";
import { guidedBackprop } from "./guided.ts";
import { integratedGradients } from "./integrated_gradients.ts";
import { lime } from "./lime/lime.ts";
import { epsilonGammaBox } from "./lrp/composites.ts";
import { lrp } from "./lrp/lrp.ts";
import { scoreCam } from "./scorecam.ts";
import { causalX } from "./vit/causalx.ts";
import { cgw1 } from "./vit/cgw1.ts";
import { attentionRollout } from "./vit/rollout.ts";

/** Options of {@link explainerBenchRows}. */
export interface ExplainerBenchOptions {
  /** Add ResNet-50 / B-cos ResNet-50 / ViT-B/16 at 224 px (default false). */
  full?: boolean;
  /** Timed calls per row (default 3). */
  repeat?: number;
  /** Images per call on the small models (default 8). */
  batch?: number;
  /** Images per call at 224 px (default 8; ScoreCAM, LIME and ViT-CX use 1). */
  fullBatch?: number;
  /** Only rows whose name contains this string. */
  only?: string;
  /** Called with each row as soon as it is measured. */
  onRow?: (row: ExplainerBenchRow) => void;
}

/** One measured row (structurally a `BenchRow` of tasks/bench/registry.ts). */
export interface ExplainerBenchRow {
  /** `explain.<method>`. */
  name: string;
  /** Model and input, e.g. `resnet50 8x3x224x224`. */
  shape: string;
  /** Milliseconds per call. */
  ms: number;
  /** Always null (FLOPs are not meaningful across methods). */
  gflops: null;
  /** Images per second. */
  throughput: { value: number; unit: string };
}

type SyncExplain = (m: Module, x: Tensor, t: number[]) => Tensor;
type AsyncExplain = (m: Module, x: Tensor, t: number[]) => Promise<Tensor>;

interface Case {
  name: string;
  run: SyncExplain | AsyncExplain;
  async?: boolean;
  batch?: number;
}

async function time(c: Case, model: Module, x: Tensor, target: number[], repeat: number): Promise<number> {
  const rt = gpu().runtime;
  if (c.async) {
    const run = c.run as AsyncExplain;
    await tidyAsync(async () => void (await run(model, x, target)).dispose());
    await rt.sync();
    const t0 = performance.now();
    for (let i = 0; i < repeat; i++) {
      await tidyAsync(async () => void (await run(model, x, target)).dispose());
    }
    await rt.sync();
    return (performance.now() - t0) / repeat;
  }
  const run = c.run as SyncExplain;
  tidy(() => void run(model, x, target));
  await rt.sync();
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) tidy(() => void run(model, x, target));
  await rt.sync();
  return (performance.now() - t0) / repeat;
}

async function benchModel(
  label: string,
  model: Module,
  inShape: [number, number, number],
  batch: number,
  cases: Case[],
  opts: ExplainerBenchOptions,
  rows: ExplainerBenchRow[],
  encode?: (x: Tensor) => Tensor,
): Promise<void> {
  model.eval();
  for (const c of cases) {
    const name = `explain.${c.name}`;
    if (opts.only && !name.includes(opts.only)) continue;
    const n = c.batch ?? batch;
    const raw = randUniform([n, ...inShape], 17);
    const x = encode ? tidy(() => encode(raw)) : raw;
    const target = Array.from({ length: n }, (_, i) => i % 5);
    try {
      const ms = await time(c, model, x, target, Math.max(1, opts.repeat ?? 3));
      const row: ExplainerBenchRow = {
        name,
        shape: `${label} ${x.shape.join("x")}`,
        ms,
        gflops: null,
        throughput: { value: (n * 1000) / ms, unit: "images/s" },
      };
      rows.push(row);
      opts.onRow?.(row);
    } finally {
      raw.dispose();
      if (x !== raw) x.dispose();
    }
  }
}

/** The explainers of conventional CNNs (gradient, propagation, CAM and perturbation methods). */
function cnnCases(full: boolean): Case[] {
  const one = full ? 1 : undefined;
  return [
    { name: "gradient", run: (m, x, t) => gradientMap(m, x, t) },
    { name: "input_x_gradient", run: (m, x, t) => inputXGradient(m, x, t) },
    { name: "guided_backprop", run: (m, x, t) => guidedBackprop(m, x, t) },
    {
      name: "integrated_gradients",
      run: (m, x, t) => integratedGradients(m, x, t, { steps: 50, batchSize: 32 }),
    },
    { name: "gradcam", run: (m, x, t) => gradCam(m, x, t) },
    { name: "lrp_epsilon_gamma_box", run: (m, x, t) => lrp(m, x, t, { composite: epsilonGammaBox() }) },
    { name: "scorecam", run: (m, x, t) => scoreCam(m, x, t, { batchSize: 64 }), batch: one },
    {
      name: "lime",
      run: (m, x, t) => lime(m, x, t, { samples: 500, batchSize: 50 }),
      async: true,
      batch: one,
    },
  ];
}

/** The explainers of ViTs. */
function vitCases(full: boolean): Case[] {
  return [
    { name: "rollout", run: (m, x, t) => attentionRollout(m, x, t) },
    { name: "cgw1", run: (m, x, t) => cgw1(m, x, t) },
    { name: "causalx", run: (m, x, t) => causalX(m, x, t), async: true, batch: full ? 1 : undefined },
  ];
}

/**
 * Measures images/s of every explainer (see the module doc) and returns the rows.
 *
 * @example
 * ```ts ignore
 * for (const row of await explainerBenchRows({ full: true })) ctx.report(row);
 * ```
 */
export async function explainerBenchRows(opts: ExplainerBenchOptions = {}): Promise<ExplainerBenchRow[]> {
  const rows: ExplainerBenchRow[] = [];
  const batch = opts.batch ?? 8;
  const small = new ResNet({
    block: "bottleneck",
    layers: [1, 1, 1, 1],
    widths: [8, 16, 16, 16],
    numClasses: 10,
    stem: "small",
  });
  const bcosSmall = new BcosResNet({
    block: "bottleneck",
    layers: [1, 1, 1, 1],
    widths: [8, 16, 16, 16],
    numClasses: 10,
    stem: "small",
  });
  const vitSmall = new VisionTransformer({
    imageSize: 32,
    patchSize: 8,
    numLayers: 2,
    numHeads: 2,
    hiddenDim: 32,
    mlpDim: 64,
    numClasses: 10,
  });
  const bcosCase: Case[] = [{ name: "bcos", run: (m, x, t) => bcosContributions(m, x, t) }];
  try {
    await benchModel("resnet-small", small, [3, 32, 32], batch, cnnCases(false), opts, rows);
    await benchModel("bcos-resnet-small", bcosSmall, [3, 32, 32], batch, bcosCase, opts, rows, bcosEncode);
    await benchModel("vit-small", vitSmall, [3, 32, 32], batch, vitCases(false), opts, rows);
  } finally {
    for (const m of [small, bcosSmall, vitSmall]) m.dispose();
  }
  if (!opts.full) return rows;
  const fb = opts.fullBatch ?? 8;
  const r50 = resnet("resnet50", { numClasses: 1000 });
  try {
    await benchModel("resnet50", r50, [3, 224, 224], fb, cnnCases(true), opts, rows);
  } finally {
    r50.dispose();
  }
  const b50 = new BcosResNet({ block: "bottleneck", layers: [3, 4, 6, 3], numClasses: 1000 });
  try {
    await benchModel("bcos-resnet50", b50, [3, 224, 224], fb, bcosCase, opts, rows, bcosEncode);
  } finally {
    b50.dispose();
  }
  const vit = vitB16({ numClasses: 1000 });
  try {
    await benchModel("vit_b_16", vit, [3, 224, 224], fb, vitCases(true), opts, rows);
  } finally {
    vit.dispose();
  }
  return rows;
}
