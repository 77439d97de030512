/**
 * The primitive ops.
 *
 * @module
 */

export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./statistics.ts";
export * from "./layout.ts";
export * from "./random.ts";
export * from "./norm.ts";
export * from "./softmax.ts";
export * from "./loss.ts";
export * from "./gather.ts";
export * from "./conv.ts";
export * from "./pool.ts";
export * from "./resize.ts";
export * from "./bcos.ts";
export * from "./matmul.ts";
