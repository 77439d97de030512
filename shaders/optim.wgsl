// Optimiser updates, exponential moving averages and gradient-norm clipping. Every update is in place,
// one thread per element, with learning rates, step-dependent factors and flags in the uniform block so
// that a new learning rate or step never recompiles a pipeline.

// Gradient-norm accumulation: sum of squares (L2) or max |x| (inf norm).
fn norm_accumulate(acc: f32, x: f32, inf: bool) -> f32 {
  if (inf) { return max(acc, abs(x)); }
  return fma(x, x, acc);
}

// Combines two partial results of norm_accumulate.
fn norm_combine(a: f32, b: f32, inf: bool) -> f32 {
  if (inf) { return max(a, b); }
  return a + b;
}

// @kernel sgd
// Plain SGD: p -= lr * (g + wd * p).
// meta: [n, lr, weightDecay]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let x = p[i];
  p[i] = x - mf(1u) * (g[i] + mf(2u) * x);
}

// @kernel sgd_momentum
// SGD with momentum (PyTorch semantics): d = g + wd * p; b = first ? d : momentum * b + (1 - dampening) * d;
// p -= lr * (nesterov ? d + momentum * b : b).
// meta: [n, lr, weightDecay, momentum, 1 - dampening, first, nesterov]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let x = p[i];
  let momentum = mf(3u);
  let d = fma(mf(2u), x, g[i]);
  var b = d;
  if (m(5u) == 0u) { b = fma(momentum, buf[i], mf(4u) * d); }
  buf[i] = b;
  let u = select(b, fma(momentum, b, d), m(6u) != 0u);
  p[i] = x - mf(1u) * u;
}

// @kernel adam
// Adam / AdamW (PyTorch semantics). With decay = 1 - lr * wd (AdamW, else 1) and l2 = wd (Adam, else 0):
// p *= decay; d = g + l2 * p; m = b1 m + (1 - b1) d; v = b2 v + (1 - b2) d^2;
// p -= stepSize * m / (sqrt(v) / sqrt(bc2) + eps) with stepSize = lr / bc1. On the first step m = v = 0.
// meta: [n, stepSize, sqrt(bc2), eps, b1, 1 - b1, b2, 1 - b2, l2, decay, first]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let x = p[i] * mf(9u);
  let d = fma(mf(8u), x, g[i]);
  var m1 = mf(5u) * d;
  var m2 = mf(7u) * d * d;
  if (m(10u) == 0u) {
    m1 = fma(mf(4u), exp_avg[i], m1);
    m2 = fma(mf(6u), exp_avg_sq[i], m2);
  }
  exp_avg[i] = m1;
  exp_avg_sq[i] = m2;
  let denom = sqrt(m2) / mf(2u) + mf(3u);
  p[i] = x - mf(1u) * (m1 / denom);
}

// @kernel ema
// shadow = decay * shadow + (1 - decay) * src
// meta: [n, decay, 1 - decay]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  shadow[i] = fma(mf(1u), shadow[i], mf(2u) * src[i]);
}

// @kernel norm_partials
// One partial norm accumulation per workgroup of one gradient, written at partials[offset + group].
// meta: [n, offset, groups, inf]
var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let grp = wid.x + wid.y * nwg.x;
  let n = m(0u);
  let groups = m(2u);
  let inf = m(3u) != 0u;
  var acc = 0.0;
  if (grp < groups) {
    for (var i = grp * WG + lid.x; i < n; i += groups * WG) {
      acc = norm_accumulate(acc, g[i], inf);
    }
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) { part[lid.x] = norm_combine(part[lid.x], part[lid.x + s], inf); }
    workgroupBarrier();
  }
  if (lid.x == 0u && grp < groups) { partials[m(1u) + grp] = part[0]; }
}

// @kernel norm_finish
// One workgroup: combines all partials into the norm and the clip coefficient
// stats = [norm, min(1, maxNorm / (norm + 1e-6))].
// meta: [count, maxNorm, inf]
var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let inf = m(2u) != 0u;
  var acc = 0.0;
  for (var i = lid.x; i < m(0u); i += WG) {
    acc = norm_combine(acc, partials[i], inf);
  }
  part[lid.x] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) { part[lid.x] = norm_combine(part[lid.x], part[lid.x + s], inf); }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let norm = select(sqrt(part[0]), part[0], inf);
    stats[0] = norm;
    stats[1] = min(1.0, mf(1u) / (norm + 1e-6));
  }
}

// @kernel scale_by_stat
// g *= stats[1] (the clip coefficient written by norm_finish).
// meta: [n]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  g[i] = g[i] * stats[1];
}
