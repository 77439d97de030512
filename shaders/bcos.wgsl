// The non-convolution parts of the B-cos unit (B-cos v2); the linear part is the conv2d op.
//
//   w_hat = w / ||w||                                   per output filter (filter_norm)
//   P     = sum over the receptive patch (the group's input channels, KH x KW, same stride / padding /
//           dilation as the convolution) of x^2         (patch_norm)
//   norm  = sqrt(P + eps)            (convolution, BcosConv2d)
//         = sqrt(P) + eps            (LINEAR_NORM: BcosLinear's ||x|| + eps)
//   lin   = max over j < MO of conv(x, w_hat)[o * MO + j]   (scale_forward)
//   y     = |lin| / norm * lin                          (b = 2)
//         = (|lin / norm| + 1e-6)^(b - 1) * lin        (other b; b = 1 gives lin)

// Sum of v over the workgroup (filter_norm, filter_norm_backward).
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

// The dynamic scale s and the partial derivatives of y = s * lin: (s, dy/dlin, dy/dnorm).
fn scale_terms(l: f32, norm: f32, b: f32) -> vec3<f32> {
  if (b == 1.0) { return vec3<f32>(1.0, 1.0, 0.0); }
  let c = abs(l / norm);
  if (b == 2.0) {
    let s = abs(l) / norm;
    return vec3<f32>(s, 2.0 * s, -s * l / norm);
  }
  let s = pow(c + 1e-6, b - 1.0);
  let t = (b - 1.0) * pow(c + 1e-6, b - 2.0) * c;
  return vec3<f32>(s, s + t, -t * l / norm);
}

// Offset of output (n, o, p) of the scaled output y for the scale kernels (meta [N, O, P, G, count, b,
// rowsOut]): [N, O, P], or [P, O] when rowsOut != 0 (then N = 1; the B-cos linear layer's layout).
fn y_offset(n: u32, o: u32, p: u32) -> u32 {
  let O = m(1u);
  let P = m(2u);
  if (m(6u) != 0u) { return p * O + o; }
  return (n * O + o) * P + p;
}

// @kernel patch_norm
// One thread per (n, group, oy, ox).
// meta: [N, C, H, W, G, Ho, Wo, KH, KW, sy, sx, py, px, dy, dx, count, eps]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = flat_id(gid, nwg);
  if (q >= m(15u)) { return; }
  let C = m(1u);
  let H = m(2u);
  let W = m(3u);
  let G = m(4u);
  let Ho = m(5u);
  let Wo = m(6u);
  let KH = m(7u);
  let KW = m(8u);
  let ox = q % Wo;
  let oy = (q / Wo) % Ho;
  let grp = (q / (Wo * Ho)) % G;
  let n = q / (Wo * Ho * G);
  let cg = C / G;
  let iy0 = i32(oy * m(9u)) - i32(m(11u));
  let ix0 = i32(ox * m(10u)) - i32(m(12u));
  var sq = 0.0;
  for (var cl = 0u; cl < cg; cl++) {
    let base = (n * C + grp * cg + cl) * H;
    for (var ky = 0u; ky < KH; ky++) {
      let iy = iy0 + i32(ky * m(13u));
      if (iy < 0 || iy >= i32(H)) { continue; }
      for (var kx = 0u; kx < KW; kx++) {
        let ix = ix0 + i32(kx * m(14u));
        if (ix < 0 || ix >= i32(W)) { continue; }
        let v = x[(base + u32(iy)) * W + u32(ix)];
        sq += v * v;
      }
    }
  }
  let eps = mf(16u);
  out[q] = select(sqrt(sq + eps), sqrt(sq) + eps, LINEAR_NORM);
}

// @kernel patch_norm_backward
// One thread per input element: dx = x * sum over the windows containing it of g / sqrt(P (+ eps)).
// meta: as patch_norm, count = N * C * H * W
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(15u)) { return; }
  let C = m(1u);
  let H = m(2u);
  let W = m(3u);
  let G = m(4u);
  let Ho = m(5u);
  let Wo = m(6u);
  let KH = m(7u);
  let KW = m(8u);
  let sy = m(9u);
  let sx = m(10u);
  let ix = i % W;
  let iy = (i / W) % H;
  let c = (i / (W * H)) % C;
  let n = i / (W * H * C);
  let grp = c / (C / G);
  let eps = mf(16u);
  var acc = 0.0;
  for (var ky = 0u; ky < KH; ky++) {
    let ty = i32(iy + m(11u)) - i32(ky * m(13u));
    if (ty < 0 || u32(ty) % sy != 0u) { continue; }
    let oy = u32(ty) / sy;
    if (oy >= Ho) { continue; }
    for (var kx = 0u; kx < KW; kx++) {
      let tx = i32(ix + m(12u)) - i32(kx * m(14u));
      if (tx < 0 || u32(tx) % sx != 0u) { continue; }
      let ox = u32(tx) / sx;
      if (ox >= Wo) { continue; }
      let q = ((n * G + grp) * Ho + oy) * Wo + ox;
      let root = select(nrm[q], nrm[q] - eps, LINEAR_NORM);
      if (root > 0.0) { acc += g[q] / root; }
    }
  }
  dx[i] = x[i] * acc;
}

// @kernel scale_forward
// One thread per output (n, o, p): max-out over lin_full [N, O * MO, P], scale by the group's norm
// [N, G, P]; writes y, and lin and the max-out index (float) as [N, O, P].
// meta: [N, O, P, G, count, b, rowsOut]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let q = flat_id(gid, nwg);
  if (q >= m(4u)) { return; }
  let O = m(1u);
  let P = m(2u);
  let G = m(3u);
  let p = q % P;
  let o = (q / P) % O;
  let n = q / (P * O);
  let base = ((n * O + o) * MO) * P + p;
  var best = linf[base];
  var bi = 0u;
  for (var j = 1u; j < MO; j++) {
    let v = linf[base + j * P];
    if (v > best) {
      best = v;
      bi = j;
    }
  }
  let norm = nrm[(n * G + o / (O / G)) * P + p];
  y[y_offset(n, o, p)] = scale_terms(best, norm, mf(5u)).x * best;
  lin[q] = best;
  idx[q] = f32(bi);
}

// @kernel scale_backward_lin
// One thread per element (n, f, p) of lin_full: g * dy/dlin for the chosen max-out member, else 0.
// DETACH (explanation mode): the scale is a constant, dy/dlin = s.
// meta: [N, O, P, G, count, b, rowsOut]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_id(gid, nwg);
  if (e >= m(4u)) { return; }
  let O = m(1u);
  let P = m(2u);
  let G = m(3u);
  let p = e % P;
  let f = (e / P) % (O * MO);
  let n = e / (P * O * MO);
  let o = f / MO;
  let q = (n * O + o) * P + p;
  var v = 0.0;
  if (u32(idx[q]) == f % MO) {
    let t = scale_terms(lin[q], nrm[(n * G + o / (O / G)) * P + p], mf(5u));
    v = g[y_offset(n, o, p)] * select(t.y, t.x, DETACH);
  }
  glin[e] = v;
}

// @kernel scale_backward_norm
// One thread per (n, group, p): sum over the group's outputs of g * dy/dnorm.
// meta: [N, O, P, G, count, b, rowsOut]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_id(gid, nwg);
  if (e >= m(4u)) { return; }
  let O = m(1u);
  let P = m(2u);
  let G = m(3u);
  let p = e % P;
  let grp = (e / P) % G;
  let n = e / (P * G);
  let og = O / G;
  let norm = nrm[e];
  var acc = 0.0;
  for (var o = grp * og; o < (grp + 1u) * og; o++) {
    let q = (n * O + o) * P + p;
    acc += g[y_offset(n, o, p)] * scale_terms(lin[q], norm, mf(5u)).z;
  }
  gnorm[e] = acc;
}

// @kernel filter_norm
// One workgroup per filter row of K elements: w_hat = w / ||w||, and the norm (no epsilon, as B-cos v2).
// meta: [rows, K]
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= m(0u)) { return; }
  let K = m(1u);
  var s = 0.0;
  for (var k = lid.x; k < K; k += WG) {
    let v = w[r * K + k];
    s += v * v;
  }
  let nv = sqrt(wg_sum(s, lid.x));
  for (var k = lid.x; k < K; k += WG) { what[r * K + k] = w[r * K + k] / nv; }
  if (lid.x == 0u) { norms[r] = nv; }
}

// @kernel filter_norm_backward
// dw = (g - w_hat * <g, w_hat>) / ||w|| per filter row.
// meta: [rows, K]
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= m(0u)) { return; }
  let K = m(1u);
  var s = 0.0;
  for (var k = lid.x; k < K; k += WG) { s += g[r * K + k] * what[r * K + k]; }
  let d = wg_sum(s, lid.x);
  let inv = 1.0 / norms[r];
  for (var k = lid.x; k < K; k += WG) { dw[r * K + k] = (g[r * K + k] - what[r * K + k] * d) * inv; }
}
