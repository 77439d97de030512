// Fused losses. Reductions run in a single workgroup (grid-stride partials, then a fixed tree), so the
// result does not depend on scheduling. RED: 0 reduce to out[0] (times `scale`), 1 none (one value per
// row / element). WG must be a power of two.

var<workgroup> red: array<f32, WG>;

fn wg_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// log(1 + e) for e in [0, 1], accurate for small e.
fn log1p_small(e: f32) -> f32 {
  return select(log(1.0 + e), e * (1.0 - e * (0.5 - e / 3.0)), e < 1e-3);
}

// A quiet NaN built from a runtime value (a constant NaN is a shader-creation error).
fn nan() -> f32 {
  return bitcast<f32>(m(63u) | 0x7fc00000u);
}

// @kernel ce_forward
// Cross-entropy of logits z [N, C] against class indices t [N] (SOFT = false) or probabilities t [N, C]
// (SOFT = true). Writes per-row stats [N, 2] = (logsumexp_n, sum_c t_nc) for the backward.
// meta: [N, C, scale]
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let N = m(0u);
  let C = m(1u);
  var acc = 0.0;
  for (var n = lid.x; n < N; n += WG) {
    let base = n * C;
    var mx = -3.402823e38;
    for (var c = 0u; c < C; c++) { mx = max(mx, z[base + c]); }
    var s = 0.0;
    for (var c = 0u; c < C; c++) { s += exp(z[base + c] - mx); }
    let lse = mx + log(s);
    var loss = 0.0;
    var tsum = 1.0;
    if (SOFT) {
      tsum = 0.0;
      for (var c = 0u; c < C; c++) {
        let tc = t[base + c];
        tsum += tc;
        loss += tc * ((mx - z[base + c]) + log(s));
      }
    } else {
      let tf = t[n];
      let ti = i32(round(tf));
      if (tf != f32(ti) || ti < 0 || ti >= i32(C)) {
        loss = nan();
      } else {
        loss = (mx - z[base + u32(ti)]) + log(s);
      }
    }
    stats[2u * n] = lse;
    stats[2u * n + 1u] = tsum;
    if (RED == 1u) { out[n] = loss; }
    acc += loss;
  }
  let total = wg_sum(acc, lid.x);
  if (RED == 0u && lid.x == 0u) { out[0] = total * mf(2u); }
}

// @kernel ce_backward
// dz = (softmax(z) * sum_c t - t) * g (soft) or (softmax(z) - onehot(t)) * g, g = g[0] * scale or g[n].
// meta: [N, C, scale]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  let C = m(1u);
  if (i >= m(0u) * C) { return; }
  let n = i / C;
  let c = i % C;
  let gs = select(g[0] * mf(2u), g[n], RED == 1u);
  let p = exp(z[i] - stats[2u * n]);
  var tv = 0.0;
  if (SOFT) {
    tv = t[i];
  } else {
    tv = select(0.0, 1.0, u32(round(t[n])) == c);
  }
  dz[i] = (p * stats[2u * n + 1u] - tv) * gs;
}

// @kernel ce_backward_target
// Gradient for soft targets: dt = -log_softmax(z) * g.
// meta: [N, C, scale]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  let C = m(1u);
  if (i >= m(0u) * C) { return; }
  let n = i / C;
  let gs = select(g[0] * mf(2u), g[n], RED == 1u);
  dt[i] = (stats[2u * n] - z[i]) * gs;
}

// @kernel bce_forward
// Binary cross-entropy with logits, elementwise: max(z, 0) - z t + log(1 + exp(-|z|)).
// meta: [n, scale]
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let n = m(0u);
  var acc = 0.0;
  for (var i = lid.x; i < n; i += WG) {
    let x = z[i];
    let l = max(x, 0.0) - x * t[i] + log1p_small(exp(-abs(x)));
    if (RED == 1u) { out[i] = l; }
    acc += l;
  }
  let total = wg_sum(acc, lid.x);
  if (RED == 0u && lid.x == 0u) { out[0] = total * mf(1u); }
}

// @kernel bce_backward
// dz = (sigmoid(z) - t) * g, dt = -z * g with g = g[0] * scale or g[i].
// meta: [n, scale]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let gs = select(g[0] * mf(1u), g[i], RED == 1u);
  let x = z[i];
  let e = exp(-abs(x));
  let sig = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
  dz[i] = (sig - t[i]) * gs;
  dt[i] = -x * gs;
}
