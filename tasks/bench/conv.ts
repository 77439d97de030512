/**
 * Bench group `conv`: conv2d forward, backward to the input and backward to the weight at ResNet-50
 * layer shapes with batch 2. `core/ops/conv.ts` is imported at run time, so the group prints a note
 * and skips its rows where that module is missing.
 *
 * @module
 */
import { grad } from "../../core/autograd.ts";
import "../../core/ops/mod.ts";
import { randUniform } from "../../core/ops/random.ts";
import { type Tensor, tidy } from "../../core/tensor.ts";
import { gflops, registerBench } from "./registry.ts";

/** One conv layer: batch, channels in/out, spatial size, kernel size, padding. */
export interface ConvShape {
  /** Batch. */
  n: number;
  /** Input channels. */
  c: number;
  /** Output channels. */
  o: number;
  /** Height and width (stride 1, same padding: the output has the same size). */
  hw: number;
  /** Kernel height and width. */
  k: number;
  /** Zero padding per side. */
  pad: number;
}

/** ResNet-50 layer shapes at batch 2. */
export const CONV_SHAPES: readonly ConvShape[] = [
  { n: 2, c: 64, o: 64, hw: 56, k: 3, pad: 1 },
  { n: 2, c: 128, o: 128, hw: 28, k: 3, pad: 1 },
  { n: 2, c: 256, o: 256, hw: 14, k: 3, pad: 1 },
  { n: 2, c: 512, o: 512, hw: 7, k: 3, pad: 1 },
  { n: 2, c: 64, o: 256, hw: 56, k: 1, pad: 0 },
];

type Conv2d = (x: Tensor, w: Tensor, bias?: Tensor | null, opts?: { padding?: number }) => Tensor;

async function loadConv(): Promise<Conv2d | null> {
  const specifier = "../../core/ops/conv.ts"; // not a literal: the bench runs before conv exists
  try {
    const mod = await import(specifier) as { conv2d?: Conv2d };
    return mod.conv2d ?? null;
  } catch {
    return null;
  }
}

registerBench("conv", async (ctx) => {
  const conv2d = await loadConv();
  if (!conv2d) {
    ctx.note("conv rows skipped: core/ops/conv.ts (conv2d) is not available");
    return;
  }
  for (const s of CONV_SHAPES) {
    const shape = `${s.n}x${s.c}x${s.hw}x${s.hw} -> ${s.o} ${s.k}x${s.k}`;
    // Same padding, stride 1: the output is n x o x hw x hw.
    const flops = 2 * s.n * s.o * s.hw * s.hw * s.c * s.k * s.k;
    const x = randUniform([s.n, s.c, s.hw, s.hw], 3, -1, 1);
    const w = randUniform([s.o, s.c, s.k, s.k], 4, -0.1, 0.1);
    const gy = randUniform([s.n, s.o, s.hw, s.hw], 5, -1, 1);
    const opts = { padding: s.pad };
    try {
      const fwd = await ctx.time(() => tidy(() => void conv2d(x, w, null, opts)));
      ctx.report({ name: "conv2d.forward", shape, ms: fwd.ms, gflops: gflops(flops, fwd.ms) });
      for (const [name, wrt] of [["conv2d.backward_data", x], ["conv2d.backward_weight", w]] as const) {
        x.requiresGrad = wrt === x;
        w.requiresGrad = wrt === w;
        const y = conv2d(x, w, null, opts);
        try {
          const t = await ctx.time(() => tidy(() => void grad(y, [wrt], { gradOutput: gy })));
          ctx.report({ name, shape, ms: t.ms, gflops: gflops(flops, t.ms) });
        } finally {
          y.dispose();
        }
      }
    } finally {
      for (const t of [x, w, gy]) t.dispose();
    }
  }
});
