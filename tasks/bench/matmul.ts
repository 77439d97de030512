/**
 * Bench group `matmul`: square products at 512, 1024 and 2048 with the adapter's default kernel.
 *
 * @module
 */
import { matmul } from "../../core/ops/matmul.ts";
import { randUniform } from "../../core/ops/random.ts";
import { tidy } from "../../core/tensor.ts";
import { gflops, registerBench } from "./registry.ts";

/** Square sizes of the matmul rows. */
export const MATMUL_SIZES: readonly number[] = [512, 1024, 2048];

registerBench("matmul", async (ctx) => {
  for (const n of MATMUL_SIZES) {
    const a = randUniform([n, n], 1, -1, 1);
    const b = randUniform([n, n], 2, -1, 1);
    try {
      const t = await ctx.time(() => tidy(() => void matmul(a, b)));
      ctx.report({ name: "matmul", shape: `${n}x${n}x${n}`, ms: t.ms, gflops: gflops(2 * n ** 3, t.ms) });
    } finally {
      a.dispose();
      b.dispose();
    }
  }
});
