// Elementwise kernels: fill, unary ops selected by the OP constant, binary and ternary ops with
// broadcasting through per-input strides (0 on broadcast dimensions). Ranks up to 6.

fn erf_approx(x: f32) -> f32 {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
  let s = sign(x);
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t *
    exp(-a * a);
  return s * y;
}

// Offset of output element i in an input whose strides start at meta word `sbase`.
fn bcast_offset(i: u32, rank: u32, sbase: u32) -> u32 {
  var rest = i;
  var off = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let dim = m(4u + u32(d));
    let c = rest % dim;
    rest = rest / dim;
    off += c * m(sbase + u32(d));
  }
  return off;
}

// @kernel fill
// meta: [n, value]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  out[i] = mf(1u);
}

// @kernel unary
// meta: [n, p0, p1]; OP selects the function of x (p0, p1 are scalar parameters).
fn unary_op(x: f32, p0: f32, p1: f32) -> f32 {
  switch OP {
    case 0u: { return -x; }
    case 1u: { return exp(x); }
    case 2u: { return log(x); }
    case 3u: { return sqrt(x); }
    case 4u: { return abs(x); }
    case 5u: { return max(x, 0.0); }
    case 6u: { return 0.5 * x * (1.0 + erf_approx(x * 0.70710678118654752)); }
    case 7u: { return 1.0 / (1.0 + exp(-x)); }
    case 8u: { return tanh(x); }
    case 9u: { return clamp(x, p0, p1); }
    case 10u: { return p0 * x + p1; }
    case 11u: { return pow(abs(x), p0) * select(1.0, select(-1.0, 1.0, x >= 0.0), p1 != 0.0); }
    case 12u: { return select(0.0, 1.0, x > 0.0); }
    case 13u: { return sign(x); }
    case 14u: {
      // d gelu / dx = Phi(x) + x phi(x)
      return 0.5 * (1.0 + erf_approx(x * 0.70710678118654752)) + x * 0.3989422804014327 * exp(-0.5 * x * x);
    }
    case 15u: { return select(0.0, 1.0, x >= p0 && x <= p1); }
    case 16u: { return x * x; }
    case 17u: { return 1.0 / x; }
    case 18u: { return select(0.0, 1.0, x >= p0); }
    default: { return x; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  out[i] = unary_op(a[i], mf(1u), mf(2u));
}

// @kernel binary
// meta: [n, rank, contiguous, alpha, shape[6] @4, aStrides[6] @10, bStrides[6] @16]
fn binary_op(x: f32, y: f32, alpha: f32) -> f32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return pow(x, y); }
    case 5u: { return max(x, y); }
    case 6u: { return min(x, y); }
    case 7u: { return select(0.0, 1.0, x > y); }
    case 8u: { return select(0.0, 1.0, x == y); }
    case 9u: { return x + alpha * y; }
    default: { return x; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  var ia = i;
  var ib = i;
  if (m(2u) == 0u) {
    ia = bcast_offset(i, m(1u), 10u);
    ib = bcast_offset(i, m(1u), 16u);
  }
  out[i] = binary_op(a[ia], b[ib], mf(3u));
}

// @kernel where
// meta: [n, rank, 0, 0, shape[6] @4, condStrides @10, aStrides @16, bStrides @22]; out = cond != 0 ? a : b
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let r = m(1u);
  let c = cond[bcast_offset(i, r, 10u)];
  out[i] = select(b[bcast_offset(i, r, 22u)], a[bcast_offset(i, r, 16u)], c != 0.0);
}
