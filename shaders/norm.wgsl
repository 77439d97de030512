// Normalisation kernels: batch norm (statistics per channel over [N, S]) and layer norm (statistics
// per row over the last D elements). Reductions use a fixed tree in workgroup memory (deterministic).
//
// Batch norm views x as [N, C, S]; channel c holds M = N * S elements at (r / S) * C * S + c * S + r % S.
// Flags: CENTRED subtracts the mean (false: B-cos uncentred BN, x * invstd only); HAS_W / HAS_B apply
// the affine weight / bias (absent ones are bound to a dummy buffer and never read).

var<workgroup> red: array<f32, WG>;

// Sums `v` over the LANES consecutive threads of each segment of the workgroup; every thread of the
// segment gets its segment's sum. LANES is a power of two dividing WG.
fn seg_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s = s >> 1u) {
    if ((lid % LANES) < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[lid - lid % LANES];
  workgroupBarrier();
  return r;
}

fn bn_offset(r: u32, c: u32) -> u32 {
  let S = m(2u);
  return (r / S) * m(1u) * S + c * S + r % S;
}

// @kernel bn_stats
// One workgroup per channel (LANES = WG): batch mean and 1 / sqrt(var + eps), and the running-stat update.
// STAT_MEAN: the variance is taken around the batch mean (true) or around 0 (false: the second moment;
// then `mean` is written as 0). UPDATE_MEAN / UPDATE_VAR: update the running buffers in place with
// momentum; UNBIASED: the running variance uses var * M / (M - 1).
// meta: [C, C, S, M, eps, momentum]
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= m(0u)) { return; }
  let M = m(3u);
  var mu = 0.0;
  if (STAT_MEAN) {
    var s = 0.0;
    for (var r = lid.x; r < M; r += WG) { s += x[bn_offset(r, c)]; }
    mu = seg_sum(s, lid.x) / f32(M);
  }
  var q = 0.0;
  for (var r = lid.x; r < M; r += WG) {
    let d = x[bn_offset(r, c)] - mu;
    q += d * d;
  }
  let v = seg_sum(q, lid.x) / f32(M);
  if (lid.x == 0u) {
    mean[c] = mu;
    invstd[c] = inverseSqrt(v + mf(4u));
    let mom = mf(5u);
    if (UPDATE_MEAN) { rmean[c] = (1.0 - mom) * rmean[c] + mom * mu; }
    if (UPDATE_VAR) {
      let vr = select(v, v * f32(M) / f32(max(M, 2u) - 1u), UNBIASED);
      rvar[c] = (1.0 - mom) * rvar[c] + mom * vr;
    }
  }
}

// @kernel bn_eval_stats
// Snapshot of the running statistics for a recorded eval-mode op: mean = running mean (0 if not
// CENTRED), invstd = 1 / sqrt(running var + eps).
// meta: [C, 0, 0, 0, eps]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flat_id(gid, nwg);
  if (c >= m(0u)) { return; }
  mean[c] = select(0.0, rmean[c], CENTRED);
  invstd[c] = inverseSqrt(rvar[c] + mf(4u));
}

// @kernel bn_apply
// y = (x - mean) * invstd * w + b (no mean unless CENTRED). FROM_RUNNING: `invstd` holds the running
// variance and 1 / sqrt(var + eps) is taken here (eval mode without a tape record).
// meta: [n, C, S, 0, eps]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let c = (i / m(2u)) % m(1u);
  var k = invstd[c];
  if (FROM_RUNNING) { k = inverseSqrt(k + mf(4u)); }
  var v = x[i];
  if (CENTRED) { v = v - mean[c]; }
  v = v * k;
  if (HAS_W) { v = v * w[c]; }
  if (HAS_B) { v = v + b[c]; }
  y[i] = v;
}

// @kernel bn_backward_reduce
// One workgroup per channel: db = sum g, dw = sum g * u with u = (x - mean) * invstd (x * invstd if not
// CENTRED), the normalised input before the affine map.
// meta: [C, C, S, M]
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = wid.x + wid.y * nwg.x;
  if (c >= m(0u)) { return; }
  let M = m(3u);
  let mu = select(0.0, mean[c], CENTRED);
  let k = invstd[c];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var r = lid.x; r < M; r += WG) {
    let o = bn_offset(r, c);
    s1 += g[o];
    s2 += g[o] * (x[o] - mu) * k;
  }
  s1 = seg_sum(s1, lid.x);
  s2 = seg_sum(s2, lid.x);
  if (lid.x == 0u) {
    db[c] = s1;
    dw[c] = s2;
  }
}

// @kernel bn_backward_apply
// Eval (TRAINING = false): dx = g * w * invstd. Training, with v = (x - mean) * invstd (mean = the centre
// of the batch variance):
//   dx = w * invstd * (g - [CENTRED] db / M - [not DETACH] v * dw / M)
// DETACH treats the batch variance as a constant (B-cos explanation mode).
// meta: [n, C, S, M]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let c = (i / m(2u)) % m(1u);
  let k = invstd[c];
  var gi = g[i];
  if (TRAINING) {
    let inv_m = 1.0 / f32(m(3u));
    if (CENTRED) { gi -= db[c] * inv_m; }
    if (!DETACH) { gi -= (x[i] - mean[c]) * k * dw[c] * inv_m; }
  }
  var scale = k;
  if (HAS_W) { scale = scale * w[c]; }
  dx[i] = gi * scale;
}

// @kernel ln_forward
// Layer norm over rows of D elements; LANES threads per row, WG / LANES rows per workgroup.
// y = (x - mean) * invstd * w + b; writes the row's mean and invstd for the backward.
// meta: [R, D, 0, 0, eps]
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + lid.x / LANES;
  let lane = lid.x % LANES;
  let valid = row < m(0u);
  let D = m(1u);
  let base = row * D;
  var s = 0.0;
  if (valid) { for (var d = lane; d < D; d += LANES) { s += x[base + d]; } }
  let mu = seg_sum(s, lid.x) / f32(D);
  var q = 0.0;
  if (valid) {
    for (var d = lane; d < D; d += LANES) {
      let t = x[base + d] - mu;
      q += t * t;
    }
  }
  let k = inverseSqrt(seg_sum(q, lid.x) / f32(D) + mf(4u));
  if (valid) {
    for (var d = lane; d < D; d += LANES) {
      var v = (x[base + d] - mu) * k;
      if (HAS_W) { v = v * w[d]; }
      if (HAS_B) { v = v + b[d]; }
      y[base + d] = v;
    }
    if (lane == 0u) {
      mean[row] = mu;
      invstd[row] = k;
    }
  }
}

// @kernel ln_backward
// dx = invstd * (gw - mean(gw) - [not DETACH] xhat * mean(gw * xhat)), gw = g * w, per row.
// meta: [R, D]
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + lid.x / LANES;
  let lane = lid.x % LANES;
  let valid = row < m(0u);
  let D = m(1u);
  let base = row * D;
  var mu = 0.0;
  var k = 0.0;
  var s1 = 0.0;
  var s2 = 0.0;
  if (valid) {
    mu = mean[row];
    k = invstd[row];
    for (var d = lane; d < D; d += LANES) {
      var gw = g[base + d];
      if (HAS_W) { gw = gw * w[d]; }
      s1 += gw;
      s2 += gw * (x[base + d] - mu) * k;
    }
  }
  let inv_d = 1.0 / f32(D);
  s1 = seg_sum(s1, lid.x) * inv_d;
  s2 = seg_sum(s2, lid.x) * inv_d;
  if (DETACH) { s2 = 0.0; }
  if (valid) {
    for (var d = lane; d < D; d += LANES) {
      var gw = g[base + d];
      if (HAS_W) { gw = gw * w[d]; }
      dx[base + d] = k * (gw - s1 - (x[base + d] - mu) * k * s2);
    }
  }
}

// @kernel ln_backward_params
// One thread per column d: dw[d] = sum_r g * xhat, db[d] = sum_r g (fixed row order).
// meta: [R, D]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let d = flat_id(gid, nwg);
  let D = m(1u);
  if (d >= D) { return; }
  var s1 = 0.0;
  var s2 = 0.0;
  for (var r = 0u; r < m(0u); r++) {
    let gv = g[r * D + d];
    s1 += gv;
    s2 += gv * (x[r * D + d] - mean[r]) * invstd[r];
  }
  db[d] = s1;
  dw[d] = s2;
}
