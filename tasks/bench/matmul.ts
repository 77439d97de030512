/**
 * Bench group `matmul`: square products at 512, 1024 and 2048 with the adapter's default kernel, plus
 * `matmul.tB` (the second operand stored transposed, as in `linear`) at 1024. On a CPU adapter the
 * default is the texture path (operands packed into rgba32float textures); see core/ops/matmul.ts.
 *
 * @module
 */
import { matmul } from "../../core/ops/matmul.ts";
import { randUniform } from "../../core/ops/random.ts";
import { tidy } from "../../core/tensor.ts";
import { gflops, registerBench } from "./registry.ts";

/** Square sizes of the matmul rows. */
export const MATMUL_SIZES: readonly number[] = [512, 1024, 2048];

/** Square size of the `matmul.tB` row. */
export const MATMUL_TB_SIZE = 1024;

registerBench("matmul", async (ctx) => {
  const rows: [string, number, boolean][] = [
    ...MATMUL_SIZES.map((n): [string, number, boolean] => ["matmul", n, false]),
    ["matmul.tB", MATMUL_TB_SIZE, true],
  ];
  for (const [name, n, transposeB] of rows) {
    const a = randUniform([n, n], 1, -1, 1);
    const b = randUniform([n, n], 2, -1, 1);
    try {
      const t = await ctx.time(() => tidy(() => void matmul(a, b, { transposeB })));
      ctx.report({ name, shape: `${n}x${n}x${n}`, ms: t.ms, gflops: gflops(2 * n ** 3, t.ms) });
    } finally {
      a.dispose();
      b.dispose();
    }
  }
});
