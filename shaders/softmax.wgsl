// Softmax and log-softmax along one axis, numerically stable (the row maximum is subtracted first).
// The input is viewed as [outer, L, inner]: row r = (o, i) holds L elements at base + l * inner with
// base = o * L * inner + i. Small rows use one thread per row (`*_row`), long rows one workgroup per
// row (`*_group`, strided partials and a tree in workgroup memory; WG must be a power of two).
// meta: [rows, L, inner]
// LOG: false for softmax, true for log-softmax.

fn row_base(r: u32) -> u32 {
  let inner = m(2u);
  return (r / inner) * m(1u) * inner + r % inner;
}

var<workgroup> red: array<f32, WG>;

// Reduces one value per thread of the workgroup (sum, or max when `is_max`); every thread gets the result.
fn wg_reduce(v: f32, lid: u32, is_max: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      let o = red[lid + s];
      red[lid] = select(red[lid] + o, max(red[lid], o), is_max);
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// @kernel forward_row
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_id(gid, nwg);
  if (r >= m(0u)) { return; }
  let L = m(1u);
  let st = m(2u);
  let base = row_base(r);
  var mx = -3.402823e38;
  for (var l = 0u; l < L; l++) { mx = max(mx, x[base + l * st]); }
  var s = 0.0;
  for (var l = 0u; l < L; l++) { s += exp(x[base + l * st] - mx); }
  if (LOG) {
    let ls = log(s);
    for (var l = 0u; l < L; l++) { out[base + l * st] = (x[base + l * st] - mx) - ls; }
  } else {
    let inv = 1.0 / s;
    for (var l = 0u; l < L; l++) { out[base + l * st] = exp(x[base + l * st] - mx) * inv; }
  }
}

// @kernel forward_group
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= m(0u)) { return; }
  let L = m(1u);
  let st = m(2u);
  let base = row_base(r);
  var mx = -3.402823e38;
  for (var l = lid.x; l < L; l += WG) { mx = max(mx, x[base + l * st]); }
  mx = wg_reduce(mx, lid.x, true);
  var s = 0.0;
  for (var l = lid.x; l < L; l += WG) { s += exp(x[base + l * st] - mx); }
  s = wg_reduce(s, lid.x, false);
  if (LOG) {
    let ls = log(s);
    for (var l = lid.x; l < L; l += WG) { out[base + l * st] = (x[base + l * st] - mx) - ls; }
  } else {
    let inv = 1.0 / s;
    for (var l = lid.x; l < L; l += WG) { out[base + l * st] = exp(x[base + l * st] - mx) * inv; }
  }
}

// @kernel backward_row
// softmax: dx = y * (g - sum(g * y)); log-softmax: dx = g - exp(y) * sum(g).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_id(gid, nwg);
  if (r >= m(0u)) { return; }
  let L = m(1u);
  let st = m(2u);
  let base = row_base(r);
  var s = 0.0;
  for (var l = 0u; l < L; l++) {
    let i = base + l * st;
    s += select(g[i] * y[i], g[i], LOG);
  }
  for (var l = 0u; l < L; l++) {
    let i = base + l * st;
    dx[i] = select(y[i] * (g[i] - s), g[i] - exp(y[i]) * s, LOG);
  }
}

// @kernel backward_group
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= m(0u)) { return; }
  let L = m(1u);
  let st = m(2u);
  let base = row_base(r);
  var s = 0.0;
  for (var l = lid.x; l < L; l += WG) {
    let i = base + l * st;
    s += select(g[i] * y[i], g[i], LOG);
  }
  s = wg_reduce(s, lid.x, false);
  for (var l = lid.x; l < L; l += WG) {
    let i = base + l * st;
    dx[i] = select(y[i] * (g[i] - s), g[i] - exp(y[i]) * s, LOG);
  }
}
