/**
 * Parity of the two-layer B-cos fixture (`bcos_small`: BcosConv2d(6 -> 16 as 8 max-out pairs, k3,
 * pad 1, B = 2) -> BcosConv2d(8 -> C, k1) -> global mean -> + logit bias): logits, the
 * explanation-mode input gradient, the contribution map, the ordinary input gradient, and the
 * dynamic-linear check (contributions sum to the logit minus the bias).
 *
 * @module
 */
import { grad, withRules } from "../../core/autograd.ts";
import type { HostTensor } from "../../core/host_tensor.ts";
import { BCOS_EXPLANATION_RULES, bcosConv2d } from "../../core/ops/bcos.ts";
import { addScalar, mul } from "../../core/ops/elementwise.ts";
import { oneHot } from "../../core/ops/gather.ts";
import { mean, sum } from "../../core/ops/reduce.ts";
import { fromArray, fromHost, tidyAsync } from "../../core/tensor.ts";
import { compareTensor, FORWARD_TOLERANCE, GRADIENT_TOLERANCE, type ParityRow } from "./compare.ts";

/** The fields of the B-cos fixture's JSON used here. */
export interface BcosFixture {
  target: number;
}

/**
 * Runs the B-cos network of the fixture and compares every expected tensor.
 *
 * @example
 * ```ts ignore
 * const rows = await bcosSmallParity(json, tensors);
 * ```
 */
export async function bcosSmallParity(
  spec: BcosFixture,
  tensors: Map<string, HostTensor>,
): Promise<ParityRow[]> {
  const rows: ParityRow[] = [];
  const w1h = tensors.get("w1")!;
  const w2h = tensors.get("w2")!;
  const maxOut = w1h.shape[0] / w2h.shape[1];
  const classes = w2h.shape[0];
  const bias = -Math.log(classes - 1);
  await tidyAsync(async () => {
    const x = fromHost(tensors.get("input_6ch")!);
    x.requiresGrad = true;
    const w1 = fromHost(w1h);
    const w2 = fromHost(w2h);
    const h = bcosConv2d(x, w1, { padding: (w1h.shape[2] - 1) / 2, maxOut });
    const logits = addScalar(mean(bcosConv2d(h, w2), [2, 3]), bias);
    rows.push(compareTensor("logits", await logits.read(), tensors.get("logits")!, FORWARD_TOLERANCE));
    const N = logits.shape[0];
    const select = oneHot(fromArray([N], new Array(N).fill(spec.target)), classes);
    const [explain] = withRules(BCOS_EXPLANATION_RULES, () => grad(logits, [x], { gradOutput: select }));
    const [plain] = grad(logits, [x], { gradOutput: select });
    rows.push(
      compareTensor("explain_grad", await explain!.read(), tensors.get("explain_grad")!, GRADIENT_TOLERANCE),
    );
    rows.push(
      compareTensor("plain_grad", await plain!.read(), tensors.get("plain_grad")!, GRADIENT_TOLERANCE),
    );
    const contributions = sum(mul(x, explain!), 1);
    rows.push(
      compareTensor(
        "contribution_map",
        await contributions.read(),
        tensors.get("contribution_map")!,
        GRADIENT_TOLERANCE,
      ),
    );
    // Dynamic linearity: contributions summed over pixels equal the target logit minus the bias.
    const totals = await sum(contributions, [1, 2]).read();
    const l = await logits.read();
    const expected = {
      shape: [N],
      data: Float32Array.from({ length: N }, (_, i) => l[i * classes + spec.target] - bias),
    };
    rows.push(compareTensor("dynamic_linear_sum", totals, expected, FORWARD_TOLERANCE));
  });
  return rows;
}
