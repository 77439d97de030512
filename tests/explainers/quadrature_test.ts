import assert from "node:assert/strict";
import { gaussLegendre, quadrature, type QuadratureRule } from "../../explainers/quadrature.ts";
import { assertClose } from "../util/assert_close.ts";

Deno.test("Gauss-Legendre nodes and weights match numpy's leggauss and integrate polynomials exactly", () => {
  // numpy.polynomial.legendre.leggauss(3) and (4).
  const g3 = gaussLegendre(3);
  assertClose(g3.nodes, [-0.7745966692414834, 0, 0.7745966692414834], 1e-14);
  assertClose(g3.weights, [5 / 9, 8 / 9, 5 / 9], 1e-14);
  const g4 = gaussLegendre(4);
  assertClose(
    g4.nodes,
    [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526],
    1e-14,
  );
  assertClose(
    g4.weights,
    [0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538],
    1e-14,
  );
  for (const n of [1, 5, 50, 128]) {
    const q = quadrature("gausslegendre", n);
    // Exact for degree 2n - 1 on [0, 1].
    const deg = 2 * n - 1;
    let s = 0;
    for (let i = 0; i < n; i++) s += q.weights[i] * q.alphas[i] ** deg;
    assert.ok(Math.abs(s - 1 / (deg + 1)) < 1e-12, `degree ${deg}`);
  }
});

Deno.test("Riemann rules follow captum's conventions", () => {
  const cases: [QuadratureRule, number[], number[]][] = [
    ["riemann_left", [0, 0.25, 0.5, 0.75], [0.25, 0.25, 0.25, 0.25]],
    ["riemann_right", [0.25, 0.5, 0.75, 1], [0.25, 0.25, 0.25, 0.25]],
    ["riemann_middle", [0.125, 0.375, 0.625, 0.875], [0.25, 0.25, 0.25, 0.25]],
    ["riemann_trapezoid", [0, 1 / 3, 2 / 3, 1], [1 / 6, 1 / 3, 1 / 3, 1 / 6]],
  ];
  for (const [rule, alphas, weights] of cases) {
    const q = quadrature(rule, 4);
    assertClose(q.alphas, alphas, 1e-15, rule);
    assertClose(q.weights, weights, 1e-15, rule);
  }
  assert.throws(() => quadrature("riemann_trapezoid", 1), RangeError);
});
