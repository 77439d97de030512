/**
 * The primitive ops. Importing this module also installs the add and ones-like that the tape uses
 * to accumulate gradients.
 *
 * @module
 */
import { setTapePrimitives } from "../autograd.ts";
import { contiguousStrides } from "./broadcast.ts";
import { add, full } from "./elementwise.ts";
import { gatherStrided } from "./layout_kernels.ts";

setTapePrimitives(add, (t) => full(t.shape, 1), (t) => gatherStrided(t, t.shape, contiguousStrides(t.shape)));

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
