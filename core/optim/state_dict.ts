/**
 * Converts optimiser state dicts to and from a flat tensor map plus string metadata, the shape of a
 * safetensors file (`state.<param index>.<name>` keys, everything else as JSON under `optimizer`).
 *
 * @module
 */
import type { HostTensor } from "../host_tensor.ts";
import type { OptimizerStateDict, ParamStateDict } from "./optimizer.ts";

/** A state dict as tensors plus metadata strings. */
export interface FlatOptimizerState {
  /** State arrays keyed `state.<index>.<name>`. */
  tensors: Record<string, HostTensor>;
  /** `{ optimizer: JSON }` with type, lr, steps, hyper-parameters and per-parameter step counts. */
  metadata: Record<string, string>;
}

interface FlatMeta {
  type: string;
  lr: number;
  steps: number;
  hyper: Record<string, number | boolean>;
  paramSteps: (number | null)[];
}

/**
 * Flattens a state dict for a tensor file.
 *
 * @example
 * ```ts
 * import { flattenOptimizerState } from "./state_dict.ts";
 * const flat = flattenOptimizerState({
 *   type: "SGD", lr: 0.1, steps: 1, hyper: {},
 *   state: [{ step: 1, tensors: { momentum_buffer: { shape: [2], data: new Float32Array([1, 2]) } } }],
 * });
 * console.log(Object.keys(flat.tensors)); // ["state.0.momentum_buffer"]
 * ```
 */
export function flattenOptimizerState(sd: OptimizerStateDict): FlatOptimizerState {
  const tensors: Record<string, HostTensor> = {};
  sd.state.forEach((s, i) => {
    for (const [k, t] of Object.entries(s?.tensors ?? {})) tensors[`state.${i}.${k}`] = t;
  });
  const meta: FlatMeta = {
    type: sd.type,
    lr: sd.lr,
    steps: sd.steps,
    hyper: sd.hyper,
    paramSteps: sd.state.map((s) => (s ? s.step : null)),
  };
  return { tensors, metadata: { optimizer: JSON.stringify(meta) } };
}

/**
 * Rebuilds a state dict from {@link flattenOptimizerState}'s output (for example after a safetensors
 * round trip).
 *
 * @example
 * ```ts
 * import { flattenOptimizerState, unflattenOptimizerState } from "./state_dict.ts";
 * const sd = { type: "Adam", lr: 1e-3, steps: 0, hyper: {}, state: [null] };
 * const back = unflattenOptimizerState(flattenOptimizerState(sd));
 * console.log(back.state); // [null]
 * ```
 */
export function unflattenOptimizerState(flat: FlatOptimizerState): OptimizerStateDict {
  const text = flat.metadata.optimizer;
  if (text === undefined) throw new Error("unflattenOptimizerState: no 'optimizer' metadata");
  const meta = JSON.parse(text) as FlatMeta;
  const state: (ParamStateDict | null)[] = meta.paramSteps.map((
    s,
  ) => (s === null ? null : { step: s, tensors: {} }));
  for (const [key, t] of Object.entries(flat.tensors)) {
    const m = /^state\.(\d+)\.(.+)$/.exec(key);
    const entry = m ? state[Number(m[1])] : undefined;
    if (!m || !entry) throw new Error(`unflattenOptimizerState: unexpected tensor '${key}'`);
    entry.tensors[m[2]] = t;
  }
  return { type: meta.type, lr: meta.lr, steps: meta.steps, hyper: meta.hyper, state };
}
