/**
 * The primitive ops. Importing this module also installs the add and ones-like that the tape uses
 * to accumulate gradients.
 *
 * @module
 */
import { setTapePrimitives } from "../autograd.ts";
import { add, full } from "./elementwise.ts";

setTapePrimitives(add, (t) => full(t.shape, 1));

export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./statistics.ts";
export * from "./layout.ts";
export * from "./random.ts";
