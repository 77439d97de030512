// Small kernels of the explainers: the LRP stabilised division, the row layout of batched Integrated
// Gradients steps, LIME's perturbed images, a per-row percentile, and the B-cos colour rendering.

// Order-preserving map of float bits to u32 keys (negative floats below positive ones).
fn key_of(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b ^ 0x80000000u, ~b, (b >> 31u) == 1u);
}

fn value_of(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k ^ 0x80000000u, (k >> 31u) == 1u));
}

// @kernel stab_div
// out = g / (z + eps * s), s = 1 where z >= 0 and -1 where z < 0 (zennit's stabilize).
// meta: [n, eps (f32)]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let v = z[i];
  out[i] = g[i] / (v + select(mf(1u), -mf(1u), v < 0.0));
}

// @kernel row_interp
// Rows j of a chunk that starts at global row r0 of the (image, step) grid with S steps per image:
// out[j, :] = base[b, :] + a[k] * (x[b, :] - base[b, :]) with b = (r0 + j) / S, k = (r0 + j) % S.
// meta: [total, n, r0, S]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  if (t >= m(0u)) { return; }
  let n = m(1u);
  let r = m(2u) + t / n;
  let b = r / m(3u);
  let k = r % m(3u);
  let src = b * n + t % n;
  out[t] = base[src] + a[k] * (x[src] - base[src]);
}

// @kernel row_scale
// out[j, :] = x[b, :] * a[k] (same row layout as row_interp). meta: [total, n, r0, S]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  if (t >= m(0u)) { return; }
  let n = m(1u);
  let r = m(2u) + t / n;
  out[t] = x[(r / m(3u)) * n + t % n] * a[r % m(3u)];
}

// @kernel segment_accumulate
// acc[b, i] += sum of g[j - r0, i] over the global rows j in [r0, r1) of image b (rows b*S .. b*S+S-1),
// for images b0, b0 + 1, ... meta: [total, n, r0, r1, S, b0]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  if (t >= m(0u)) { return; }
  let n = m(1u);
  let r0 = m(2u);
  let S = m(4u);
  let b = m(5u) + t / n;
  let i = t % n;
  let lo = max(r0, b * S);
  let hi = min(m(3u), b * S + S);
  var s = 0.0;
  for (var j = lo; j < hi; j++) { s += g[(j - r0) * n + i]; }
  acc[b * n + i] += s;
}

// @kernel lime_compose
// Perturbed images of one image: out[s, c, p] = x[c, p] where sample s keeps segment seg[p], else
// fud[c, p]. meta: [total, C, P, K]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  if (t >= m(0u)) { return; }
  let P = m(2u);
  let cp = t % (m(1u) * P);
  let s = t / (m(1u) * P);
  let keep = z[s * m(3u) + u32(seg[cp % P])] > 0.5;
  out[t] = select(fud[cp], x[cp], keep);
}

// @kernel percentile
// One workgroup per row of x [rows, n]: out[row] = the q-quantile with linear interpolation between
// order statistics (numpy's default): pos = q (n - 1), v = x_(k) + (pos - k) (x_(k+1) - x_(k)).
// x_(k) is found by bisection on order-preserving keys (32 counting passes), x_(k+1) by one more pass.
// meta: [rows, n, q (f32)]
var<workgroup> red: array<u32, WG>;

fn reduce_sum(lid: u32, v: u32) -> u32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let r = workgroupUniformLoad(&red[0]);
  return r;
}

fn reduce_min(lid: u32, v: u32) -> u32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = min(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = workgroupUniformLoad(&red[0]);
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  let n = m(1u);
  let valid = row < m(0u);
  let base = row * n;
  let pos = mf(2u) * f32(max(n, 1u) - 1u);
  let k = u32(floor(pos));
  let frac = pos - f32(k);
  var lo = 0u;
  var hi = 0xffffffffu;
  for (var it = 0u; it < 32u; it++) {
    let mid = lo + (hi - lo) / 2u;
    var c = 0u;
    if (valid) {
      for (var i = lid; i < n; i += WG) { c += select(0u, 1u, key_of(x[base + i]) <= mid); }
    }
    let total = reduce_sum(lid, c);
    if (total >= k + 1u) { hi = mid; } else { lo = mid + 1u; }
  }
  // The next order statistic: x_(k) again if it repeats, else the smallest value above it.
  var c = 0u;
  var above = 0xffffffffu;
  if (valid) {
    for (var i = lid; i < n; i += WG) {
      let kk = key_of(x[base + i]);
      c += select(0u, 1u, kk <= lo);
      if (kk > lo) { above = min(above, kk); }
    }
  }
  let total = reduce_sum(lid, c);
  let nextKey = reduce_min(lid, above);
  let v0 = value_of(lo);
  var v1 = v0;
  if (total < k + 2u && k + 1u < n) { v1 = value_of(nextKey); }
  if (valid && lid == 0u) { out[row] = v0 + frac * (v1 - v0); }
}

// @kernel bcos_rgba
// B-cos v2's colour rendering of the dynamic linear map W [B, 6, P] (channels r, g, b, 1-r, 1-g, 1-b) of
// input x: per pixel W / max|W|, clamped at 0, rgb = W[:3] / (W[:3] + W[3:] + 1e-12); the raw alpha is
// the L2 norm over the 6 channels of W (ALPHA_CONTRIB: of x * W), 1e-12 where the contribution
// sum(x * W) is negative. out: [B, 4, P]. meta: [total = B * P, P]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  if (t >= m(0u)) { return; }
  let P = m(1u);
  let b = t / P;
  let p = t % P;
  var v: array<f32, 6>;
  var mx = 0.0;
  var contrib = 0.0;
  var sq = 0.0;
  for (var c = 0u; c < 6u; c++) {
    let i = (b * 6u + c) * P + p;
    v[c] = w[i];
    mx = max(mx, abs(v[c]));
    contrib += x[i] * v[c];
    let a = select(v[c], x[i] * v[c], ALPHA_CONTRIB);
    sq += a * a;
  }
  let o = b * 4u * P + p;
  for (var c = 0u; c < 3u; c++) {
    let pos = max(v[c] / (mx + 1e-12), 0.0);
    let neg = max(v[c + 3u] / (mx + 1e-12), 0.0);
    out[o + c * P] = pos / (pos + neg + 1e-12);
  }
  out[o + 3u * P] = select(sqrt(sq), 1e-12, contrib < 0.0);
}

// @kernel bcos_alpha
// rgba[b, 3, p] = clamp(alpha[b, p] / pct[b], 0, 1) (0 where pct <= 0). meta: [total = B * P, P]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  if (t >= m(0u)) { return; }
  let P = m(1u);
  let b = t / P;
  let q = pct[b];
  rgba[(b * 4u + 3u) * P + t % P] = select(0.0, clamp(alpha[t] / q, 0.0, 1.0), q > 0.0);
}
