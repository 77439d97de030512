/**
 * A toy three-stage pipeline for the runner tests: `data` (a run stage writing values), `explain:sq`
 * (a shardable map stage squaring each value, optionally failing once at one item) and `report` (a run
 * stage summing the squares, resumable through `ctx.item`, optionally failing once midway).
 *
 * @module
 */
import { defineMapStage, defineStage, type Stage } from "../../../tasks/pipeline/mod.ts";

/** What the toy stages did, for assertions. */
export interface ToyLog {
  /** Calls in order: `data`, item keys, `report:<i>`. */
  calls: string[];
}

/** Options of {@link toyPipeline}. */
export interface ToyOptions {
  /** Number of values. */
  n?: number;
  /** Exponent of the map stage (its config). */
  power?: number;
  /** Throw once when the map stage reaches this item index. */
  failItem?: number;
  /** Throw once when the report stage reaches this chunk. */
  failChunk?: number;
}

/**
 * Builds the toy pipeline.
 *
 * @example
 * ```ts ignore
 * const log = { calls: [] };
 * const stages = toyPipeline(log, { n: 7 });
 * ```
 */
export function toyPipeline(log: ToyLog, o: ToyOptions = {}): Stage[] {
  let itemFailed = false, chunkFailed = false;
  const data = defineStage({
    name: "data",
    config: { n: o.n ?? 7, seed: 3 },
    run: async (ctx) => {
      log.calls.push("data");
      const values = Array.from({ length: ctx.config.n }, (_, i) => (i * 37 + ctx.config.seed) % 11);
      await ctx.writeJson("values.json", values);
      ctx.meta.count = values.length;
    },
  });
  const square = defineMapStage({
    name: "explain:sq",
    config: { power: o.power ?? 2 },
    deps: ["data"],
    items: async (ctx) => (await ctx.readDepJson<number[]>("data", "values.json")).map((_, i) => `item-${i}`),
    runItem: async (ctx, key, index) => {
      if (index === o.failItem && !itemFailed) {
        itemFailed = true;
        throw new Error(`boom at ${key}`);
      }
      log.calls.push(key);
      const values = await ctx.readDepJson<number[]>("data", "values.json");
      await ctx.writeText(`maps/${key}.txt`, String(values[index]));
      return { key, value: values[index] ** ctx.config.power };
    },
    finalize: async (ctx, results, keys) => {
      await ctx.writeJson("results.json", { keys, results });
    },
  });
  const report = defineStage({
    name: "report",
    config: { chunks: 3 },
    deps: ["explain:sq"],
    run: async (ctx) => {
      const { results } = await ctx.readDepJson<{ results: { value: number }[] }>(
        "explain:sq",
        "results.json",
      );
      const per = Math.ceil(results.length / ctx.config.chunks);
      let total = 0;
      for (let c = 0; c < ctx.config.chunks; c++) {
        total += await ctx.item(`chunk-${c}`, () => {
          if (c === o.failChunk && !chunkFailed) {
            chunkFailed = true;
            throw new Error(`boom at chunk ${c}`);
          }
          log.calls.push(`report:${c}`);
          return results.slice(c * per, (c + 1) * per).reduce((s, r) => s + r.value, 0);
        });
      }
      await ctx.writeJson("sum.json", { total });
    },
  });
  return [data, square, report];
}
