/**
 * Elementwise ops with NumPy broadcasting: unary maths, binary arithmetic, `where`, and fills. Each op
 * records its backward rule; gradients of broadcast inputs are summed back to the input's shape.
 *
 * @module
 */
import { record, setTapePrimitives } from "../autograd.ts";
import { f32 } from "../gpu/kernel.ts";
import { gpu } from "../gpu/device.ts";
import { kernelSource } from "../gpu/shader_source.ts";
import type { KernelSpec } from "../gpu/kernel.ts";
import { empty, type Tensor } from "../tensor.ts";
import { broadcastShapes, broadcastStrides, pad6, sameShape } from "./broadcast.ts";
import { sumTo } from "./reduce.ts";
import { gatherStrided } from "./layout_kernels.ts";
import { contiguousStrides } from "./broadcast.ts";

const FILE = "elementwise.wgsl";
const WG = 256;

const FILL: KernelSpec = {
  name: "elementwise.fill",
  source: await kernelSource(FILE, "fill"),
  bindings: [{ name: "out", access: "read_write" }],
  workgroupSize: WG,
};
const UNARY: KernelSpec<{ OP: number }> = {
  name: "elementwise.unary",
  source: await kernelSource(FILE, "unary"),
  bindings: [{ name: "a", access: "read" }, { name: "out", access: "read_write" }],
  workgroupSize: WG,
};
const BINARY: KernelSpec<{ OP: number }> = {
  name: "elementwise.binary",
  source: await kernelSource(FILE, "binary"),
  bindings: [{ name: "a", access: "read" }, { name: "b", access: "read" }, {
    name: "out",
    access: "read_write",
  }],
  workgroupSize: WG,
};
const WHERE: KernelSpec = {
  name: "elementwise.where",
  source: await kernelSource(FILE, "where"),
  bindings: [
    { name: "cond", access: "read" },
    { name: "a", access: "read" },
    { name: "b", access: "read" },
    { name: "out", access: "read_write" },
  ],
  workgroupSize: WG,
};

/** Op codes of the `unary` kernel (see shaders/elementwise.wgsl). */
const U = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  abs: 4,
  relu: 5,
  gelu: 6,
  sigmoid: 7,
  tanh: 8,
  clamp: 9,
  affine: 10,
  powScalar: 11,
  step: 12,
  sign: 13,
  geluGrad: 14,
  inRange: 15,
  square: 16,
  reciprocal: 17,
  stepAt: 18,
} as const;

/** Op codes of the `binary` kernel. */
const B = { add: 0, sub: 1, mul: 2, div: 3, pow: 4, max: 5, min: 6, gt: 7, eq: 8, addScaled: 9 } as const;

/**
 * A tensor of `shape` filled with `value` (no tape record).
 *
 * @example
 * ```ts ignore
 * const ones = full([2, 3], 1);
 * ```
 */
export function full(shape: readonly number[], value: number): Tensor {
  const out = empty(shape);
  gpu().runtime.dispatch(FILL, {}, [out.buffer], [out.size, f32(value)], out.size);
  return out;
}

/**
 * Zeros of `shape`.
 *
 * @example
 * ```ts ignore
 * const z = zeros([4]);
 * ```
 */
export function zeros(shape: readonly number[]): Tensor {
  return full(shape, 0);
}

/**
 * Ones of `shape`.
 *
 * @example
 * ```ts ignore
 * const o = ones([4]);
 * ```
 */
export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}

function unaryRaw(x: Tensor, op: number, p0 = 0, p1 = 0): Tensor {
  const out = empty(x.shape);
  gpu().runtime.dispatch(UNARY, { OP: op }, [x.buffer, out.buffer], [x.size, f32(p0), f32(p1)], x.size);
  return out;
}

function binaryRaw(a: Tensor, b: Tensor, op: number, opName: string, alpha = 0): Tensor {
  const shape = broadcastShapes(opName, a.shape, b.shape);
  const out = empty(shape);
  const contiguous = sameShape(a.shape, shape) && sameShape(b.shape, shape) ? 1 : 0;
  const meta = [
    out.size,
    shape.length,
    contiguous,
    f32(alpha),
    ...pad6(shape, 1),
    ...pad6(broadcastStrides(a.shape, shape)),
    ...pad6(broadcastStrides(b.shape, shape)),
  ];
  gpu().runtime.dispatch(BINARY, { OP: op }, [a.buffer, b.buffer, out.buffer], meta, out.size);
  return out;
}

// ---- binary ops -------------------------------------------------------------------------------

/**
 * `a + b` with broadcasting.
 *
 * @example
 * ```ts ignore
 * const y = add(x, bias); // [N, C] + [C]
 * ```
 */
export function add(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(a, b, B.add, "add");
  return record("add", [a, b], y, ({ gradOutput: g }) => [sumTo(g, a.shape), sumTo(g, b.shape)]);
}

/**
 * `a - b` with broadcasting.
 *
 * @example
 * ```ts ignore
 * const d = sub(x, mean);
 * ```
 */
export function sub(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(a, b, B.sub, "sub");
  return record("sub", [a, b], y, ({ gradOutput: g }) => [sumTo(g, a.shape), sumTo(neg(g), b.shape)]);
}

/**
 * `a * b` with broadcasting.
 *
 * @example
 * ```ts ignore
 * const y = mul(x, scale);
 * ```
 */
export function mul(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(a, b, B.mul, "mul");
  return record("mul", [a, b], y, ({ gradOutput: g }) => [
    a.requiresGrad ? sumTo(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(mul(g, a), b.shape) : null,
  ]);
}

/**
 * `a / b` with broadcasting.
 *
 * @example
 * ```ts ignore
 * const y = div(x, norm);
 * ```
 */
export function div(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(a, b, B.div, "div");
  return record("div", [a, b], y, ({ gradOutput: g }) => [
    a.requiresGrad ? sumTo(div(g, b), a.shape) : null,
    b.requiresGrad ? sumTo(neg(div(mul(g, y), b)), b.shape) : null,
  ]);
}

/**
 * `a ** b` elementwise with broadcasting (`a > 0` where `b` needs a gradient).
 *
 * @example
 * ```ts ignore
 * const y = pow(x, e);
 * ```
 */
export function pow(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(a, b, B.pow, "pow");
  return record("pow", [a, b], y, ({ gradOutput: g }) => [
    a.requiresGrad
      ? sumTo(mul(g, mul(b, binaryRaw(a, unaryRaw(b, U.affine, 1, -1), B.pow, "pow"))), a.shape)
      : null,
    b.requiresGrad ? sumTo(mul(g, mul(y, log(a))), b.shape) : null,
  ]);
}

/**
 * Elementwise maximum with broadcasting; the gradient goes to `a` where `a >= b`, else to `b`.
 *
 * @example
 * ```ts ignore
 * const y = maximum(x, zerosLike);
 * ```
 */
export function maximum(a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(a, b, B.max, "maximum");
  return record("maximum", [a, b], y, ({ gradOutput: g }) => {
    const takeA = geMask(a, b);
    return [sumTo(mul(g, takeA), a.shape), sumTo(mul(g, unaryRaw(takeA, U.affine, -1, 1)), b.shape)];
  });
}

function geMask(a: Tensor, b: Tensor): Tensor {
  // a >= b  <=>  not (b > a)
  return unaryRaw(binaryRaw(b, a, B.gt, "ge"), U.affine, -1, 1);
}

/**
 * `a > b` as 1/0 (not differentiable).
 *
 * @example
 * ```ts ignore
 * const mask = greater(x, zeros([1]));
 * ```
 */
export function greater(a: Tensor, b: Tensor): Tensor {
  return binaryRaw(a, b, B.gt, "greater");
}

/**
 * `a == b` as 1/0 (not differentiable).
 *
 * @example
 * ```ts ignore
 * const hits = equal(pred, labels);
 * ```
 */
export function equal(a: Tensor, b: Tensor): Tensor {
  return binaryRaw(a, b, B.eq, "equal");
}

/**
 * `cond != 0 ? a : b` with broadcasting of all three; gradients flow to `a` and `b` only.
 *
 * @example
 * ```ts ignore
 * const y = where(mask, x, zeros([1]));
 * ```
 */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes("where", cond.shape, a.shape, b.shape);
  const out = empty(shape);
  const meta = [
    out.size,
    shape.length,
    0,
    0,
    ...pad6(shape, 1),
    ...pad6(broadcastStrides(cond.shape, shape)),
    ...pad6(broadcastStrides(a.shape, shape)),
    ...pad6(broadcastStrides(b.shape, shape)),
  ];
  gpu().runtime.dispatch(WHERE, {}, [cond.buffer, a.buffer, b.buffer, out.buffer], meta, out.size);
  return record("where", [cond, a, b], out, ({ gradOutput: g }) => {
    const z = zeros([1]);
    return [null, sumTo(where(cond, g, z), a.shape), sumTo(where(cond, z, g), b.shape)];
  });
}

// ---- unary ops ---------------------------------------------------------------------------------

function unaryOp(
  kind: string,
  x: Tensor,
  op: number,
  grad: (g: Tensor, y: Tensor) => Tensor,
  p0 = 0,
  p1 = 0,
): Tensor {
  const y = unaryRaw(x, op, p0, p1);
  return record(kind, [x], y, ({ gradOutput: g }) => [grad(g, y)], { p0, p1 });
}

/**
 * `-x`.
 *
 * @example
 * ```ts ignore
 * const y = neg(x);
 * ```
 */
export function neg(x: Tensor): Tensor {
  return unaryOp("neg", x, U.neg, (g) => neg(g));
}

/**
 * `e^x`.
 *
 * @example
 * ```ts ignore
 * const y = exp(x);
 * ```
 */
export function exp(x: Tensor): Tensor {
  return unaryOp("exp", x, U.exp, (g, y) => mul(g, y));
}

/**
 * Natural logarithm.
 *
 * @example
 * ```ts ignore
 * const y = log(x);
 * ```
 */
export function log(x: Tensor): Tensor {
  return unaryOp("log", x, U.log, (g) => div(g, x));
}

/**
 * Square root.
 *
 * @example
 * ```ts ignore
 * const y = sqrt(x);
 * ```
 */
export function sqrt(x: Tensor): Tensor {
  return unaryOp("sqrt", x, U.sqrt, (g, y) => div(scale(g, 0.5), y));
}

/**
 * `|x|` (gradient `sign(x)`, 0 at 0).
 *
 * @example
 * ```ts ignore
 * const y = abs(x);
 * ```
 */
export function abs(x: Tensor): Tensor {
  return unaryOp("abs", x, U.abs, (g) => mul(g, unaryRaw(x, U.sign)));
}

/**
 * `max(x, 0)`; its op kind `relu` is what guided backprop overrides.
 *
 * @example
 * ```ts ignore
 * const y = relu(x);
 * ```
 */
export function relu(x: Tensor): Tensor {
  return unaryOp("relu", x, U.relu, (g) => mul(g, unaryRaw(x, U.step)));
}

/**
 * Exact GELU, `x * Phi(x)` with the error function.
 *
 * @example
 * ```ts ignore
 * const y = gelu(x);
 * ```
 */
export function gelu(x: Tensor): Tensor {
  return unaryOp("gelu", x, U.gelu, (g) => mul(g, unaryRaw(x, U.geluGrad)));
}

/**
 * Logistic sigmoid.
 *
 * @example
 * ```ts ignore
 * const p = sigmoid(logits);
 * ```
 */
export function sigmoid(x: Tensor): Tensor {
  return unaryOp("sigmoid", x, U.sigmoid, (g, y) => mul(g, mul(y, unaryRaw(y, U.affine, -1, 1))));
}

/**
 * Hyperbolic tangent.
 *
 * @example
 * ```ts ignore
 * const y = tanh(x);
 * ```
 */
export function tanh(x: Tensor): Tensor {
  return unaryOp("tanh", x, U.tanh, (g, y) => mul(g, unaryRaw(unaryRaw(y, U.square), U.affine, -1, 1)));
}

/**
 * Clamps to `[lo, hi]`; the gradient passes where `lo <= x <= hi`.
 *
 * @example
 * ```ts ignore
 * const y = clamp(x, 0, 1);
 * ```
 */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  return unaryOp("clamp", x, U.clamp, (g) => mul(g, unaryRaw(x, U.inRange, lo, hi)), lo, hi);
}

/**
 * `a * x + b` for scalars `a`, `b`.
 *
 * @example
 * ```ts ignore
 * const y = affine(x, 2, 1);
 * ```
 */
export function affine(x: Tensor, a: number, b: number): Tensor {
  return unaryOp("affine", x, U.affine, (g) => scale(g, a), a, b);
}

/**
 * `s * x` for a scalar `s`.
 *
 * @example
 * ```ts ignore
 * const y = scale(x, 0.5);
 * ```
 */
export function scale(x: Tensor, s: number): Tensor {
  return affine(x, s, 0);
}

/**
 * `x + s` for a scalar `s`.
 *
 * @example
 * ```ts ignore
 * const y = addScalar(x, 1e-6);
 * ```
 */
export function addScalar(x: Tensor, s: number): Tensor {
  return affine(x, 1, s);
}

/**
 * `x ** p` for a scalar exponent (sign-preserving when `p` is an odd integer; `|x| ** p` otherwise).
 *
 * @example
 * ```ts ignore
 * const y = powScalar(x, 2);
 * ```
 */
export function powScalar(x: Tensor, p: number): Tensor {
  const odd = Number.isInteger(p) && Math.abs(p % 2) === 1 ? 1 : 0;
  const evenInt = Number.isInteger(p) && p % 2 === 0;
  return unaryOp(
    "pow_scalar",
    x,
    U.powScalar,
    (g) => {
      // d/dx x^p = p x^(p-1); x^(p-1) keeps the sign for even integer p (odd p-1).
      const dpow = unaryRaw(x, U.powScalar, p - 1, evenInt ? 1 : 0);
      return mul(g, affine(dpow, p, 0));
    },
    p,
    odd,
  );
}

/**
 * `x * x`.
 *
 * @example
 * ```ts ignore
 * const y = square(x);
 * ```
 */
export function square(x: Tensor): Tensor {
  return unaryOp("square", x, U.square, (g) => mul(g, scale(x, 2)));
}

/**
 * `1 / x`.
 *
 * @example
 * ```ts ignore
 * const y = reciprocal(x);
 * ```
 */
export function reciprocal(x: Tensor): Tensor {
  return unaryOp("reciprocal", x, U.reciprocal, (g, y) => neg(mul(g, unaryRaw(y, U.square))));
}

/**
 * `x > 0` as 1/0 (not differentiable); the ReLU derivative.
 *
 * @example
 * ```ts ignore
 * const mask = step(x);
 * ```
 */
export function step(x: Tensor): Tensor {
  return unaryRaw(x, U.step);
}

/**
 * `sign(x)` as -1/0/1 (not differentiable).
 *
 * @example
 * ```ts ignore
 * const s = signOf(x);
 * ```
 */
export function signOf(x: Tensor): Tensor {
  return unaryRaw(x, U.sign);
}

// The tape accumulates gradients with `add`, seeds them with ones, and copies shared ones.
setTapePrimitives(add, (t) => full(t.shape, 1), (t) => gatherStrided(t, t.shape, contiguousStrides(t.shape)));
