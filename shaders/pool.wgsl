// 2-D pooling over NCHW planes (torch semantics, floor mode). One thread per output element in the
// forward kernels; the backward kernels gather, one thread per input element, so no atomics are needed.
// Window meta (max / avg): [total, H, W, Ho, Wo, kh, kw, sh, sw, ph, pw, countIncludePad]

// Output windows [lo, hi] along one axis whose taps cover input position i (empty when lo > hi).
fn covering(i: i32, k: i32, s: i32, p: i32, count: i32) -> vec2<i32> {
  // o * s - p <= i <= o * s - p + k - 1
  let a = i + p - k + 1;
  let lo = select((a + s - 1) / s, 0, a <= 0);
  let hi = min((i + p) / s, count - 1);
  return vec2<i32>(lo, hi);
}

// Divisor of the average window at (oy, ox), torch's avg_pool2d rule.
fn avg_divisor(oy: i32, ox: i32, H: i32, W: i32) -> f32 {
  let ys = oy * mi(7u) - mi(9u);
  let xs = ox * mi(8u) - mi(10u);
  let ye = min(ys + mi(5u), H + mi(9u));
  let xe = min(xs + mi(6u), W + mi(10u));
  if (m(11u) != 0u) { return f32((ye - ys) * (xe - xs)); }
  return f32((min(ye, H) - max(ys, 0)) * (min(xe, W) - max(xs, 0)));
}

// @kernel max_fwd
// y = max over the window (padding is -inf); idx = the first maximal position iy * W + ix in the plane.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = mi(1u); let W = mi(2u); let Ho = m(3u); let Wo = m(4u);
  let ox = i32(i % Wo); let oy = i32((i / Wo) % Ho); let plane = i / (Wo * Ho);
  let base = plane * u32(H * W);
  let y0 = oy * mi(7u) - mi(9u);
  let x0 = ox * mi(8u) - mi(10u);
  var best = -3.4028235e38;
  var at = -1;
  var seen = false;
  for (var ky = 0; ky < mi(5u); ky++) {
    let iy = y0 + ky;
    if (iy < 0 || iy >= H) { continue; }
    for (var kx = 0; kx < mi(6u); kx++) {
      let ix = x0 + kx;
      if (ix < 0 || ix >= W) { continue; }
      let v = x[base + u32(iy * W + ix)];
      if (!seen || v > best || (v != v && best == best)) {
        best = v;
        at = iy * W + ix;
        seen = true;
      }
    }
  }
  y[i] = best;
  idx[i] = f32(at);
}

// @kernel max_bwd
// dx[p] = sum of g over the windows whose recorded maximum is p.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = mi(1u); let W = mi(2u); let Ho = mi(3u); let Wo = mi(4u);
  let ix = i32(i % u32(W)); let iy = i32((i / u32(W)) % u32(H)); let plane = i / u32(H * W);
  let ry = covering(iy, mi(5u), mi(7u), mi(9u), Ho);
  let rx = covering(ix, mi(6u), mi(8u), mi(10u), Wo);
  let me = f32(iy * W + ix);
  let base = plane * u32(Ho * Wo);
  var acc = 0.0;
  for (var oy = ry.x; oy <= ry.y; oy++) {
    for (var ox = rx.x; ox <= rx.y; ox++) {
      let o = base + u32(oy * Wo + ox);
      if (idx[o] == me) { acc += g[o]; }
    }
  }
  dx[i] = acc;
}

// @kernel avg_fwd
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = mi(1u); let W = mi(2u); let Ho = m(3u); let Wo = m(4u);
  let ox = i32(i % Wo); let oy = i32((i / Wo) % Ho); let plane = i / (Wo * Ho);
  let base = plane * u32(H * W);
  let y0 = oy * mi(7u) - mi(9u);
  let x0 = ox * mi(8u) - mi(10u);
  var acc = 0.0;
  for (var iy = max(y0, 0); iy < min(y0 + mi(5u), H); iy++) {
    for (var ix = max(x0, 0); ix < min(x0 + mi(6u), W); ix++) {
      acc += x[base + u32(iy * W + ix)];
    }
  }
  y[i] = acc / avg_divisor(oy, ox, H, W);
}

// @kernel avg_bwd
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = mi(1u); let W = mi(2u); let Ho = mi(3u); let Wo = mi(4u);
  let ix = i32(i % u32(W)); let iy = i32((i / u32(W)) % u32(H)); let plane = i / u32(H * W);
  let ry = covering(iy, mi(5u), mi(7u), mi(9u), Ho);
  let rx = covering(ix, mi(6u), mi(8u), mi(10u), Wo);
  let base = plane * u32(Ho * Wo);
  var acc = 0.0;
  for (var oy = ry.x; oy <= ry.y; oy++) {
    for (var ox = rx.x; ox <= rx.y; ox++) {
      acc += g[base + u32(oy * Wo + ox)] / avg_divisor(oy, ox, H, W);
    }
  }
  dx[i] = acc;
}

// Adaptive windows: output o covers [floor(o * n / out), ceil((o + 1) * n / out)).
// meta: [total, H, W, Ho, Wo]

// @kernel adaptive_fwd
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = m(1u); let W = m(2u); let Ho = m(3u); let Wo = m(4u);
  let ox = i % Wo; let oy = (i / Wo) % Ho; let plane = i / (Wo * Ho);
  let ys = (oy * H) / Ho; let ye = ((oy + 1u) * H + Ho - 1u) / Ho;
  let xs = (ox * W) / Wo; let xe = ((ox + 1u) * W + Wo - 1u) / Wo;
  let base = plane * H * W;
  var acc = 0.0;
  for (var iy = ys; iy < ye; iy++) {
    for (var ix = xs; ix < xe; ix++) { acc += x[base + iy * W + ix]; }
  }
  y[i] = acc / f32((ye - ys) * (xe - xs));
}

// @kernel adaptive_bwd
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = m(1u); let W = m(2u); let Ho = m(3u); let Wo = m(4u);
  let ix = i % W; let iy = (i / W) % H; let plane = i / (W * H);
  // windows o with start(o) <= i < end(o): o in [floor(i * out / n), ceil((i + 1) * out / n) - 1]
  let oy0 = (iy * Ho) / H; let oy1 = ((iy + 1u) * Ho + H - 1u) / H;
  let ox0 = (ix * Wo) / W; let ox1 = ((ix + 1u) * Wo + W - 1u) / W;
  let base = plane * Ho * Wo;
  var acc = 0.0;
  for (var oy = oy0; oy < oy1; oy++) {
    let hy = ((oy + 1u) * H + Ho - 1u) / Ho - (oy * H) / Ho;
    for (var ox = ox0; ox < ox1; ox++) {
      let hx = ((ox + 1u) * W + Wo - 1u) / Wo - (ox * W) / Wo;
      acc += g[base + oy * Wo + ox] / f32(hy * hx);
    }
  }
  dx[i] = acc;
}
