/**
 * LRP: rules as data, one generic backward, composites, canonizers and the explainer.
 *
 * @example
 * ```ts ignore
 * import { epsilonGammaBox, lrp } from "./mod.ts";
 * const maps = lrp(model, x, [3, 1], { composite: epsilonGammaBox() });
 * ```
 *
 * @module
 */
export * from "./rules.ts";
export * from "./backward.ts";
export * from "./canonizers.ts";
export * from "./composites.ts";
export * from "./lrp.ts";
