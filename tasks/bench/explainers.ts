/**
 * Bench group `explainers`: images/s of every explainer on a small ResNet (and, with `--full`,
 * ResNet-50 / B-cos ResNet-50 / ViT-B/16 at 224 px), measured by `explainers/bench.ts`.
 *
 * @module
 */
import { explainerBenchRows } from "../../explainers/bench.ts";
import { registerBench } from "./registry.ts";

registerBench("explainers", async (ctx) => {
  await explainerBenchRows({
    repeat: ctx.repeat,
    full: Deno.args.includes("--full"),
    onRow: (r) => ctx.report(r),
  });
});
