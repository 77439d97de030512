// Bilinear resizing of NCHW planes, torch's F.interpolate(mode="bilinear"): half-pixel centres with the
// source coordinate clamped at 0 (align_corners=False), or corner-aligned sampling (align_corners=True).
// meta: [total, H, W, Ho, Wo, scaleY (f32), scaleX (f32), alignCorners]

struct Taps { i0: u32, i1: u32, l1: f32 }

// The two source taps of output position o along an axis of n inputs, and the weight of the second.
fn taps(o: u32, scale: f32, n: u32) -> Taps {
  var s = f32(o) * scale;
  if (m(7u) == 0u) { s = max((f32(o) + 0.5) * scale - 0.5, 0.0); }
  let i0 = min(u32(s), n - 1u);
  let i1 = select(i0, i0 + 1u, i0 + 1u < n);
  return Taps(i0, i1, s - f32(i0));
}

// Weight with which output position o reads input position i along one axis.
fn weight_of(o: u32, i: u32, scale: f32, n: u32) -> f32 {
  let t = taps(o, scale, n);
  return select(0.0, 1.0 - t.l1, t.i0 == i) + select(0.0, t.l1, t.i1 == i);
}

// Output positions [lo, hi) that may read input position i (a superset; weight_of decides).
fn candidates(i: u32, scale: f32, outN: u32) -> vec2<u32> {
  if (scale <= 0.0) { return vec2<u32>(0u, outN); }
  var lo = (f32(i) - 1.0) / scale;
  var hi = (f32(i) + 1.0) / scale;
  if (m(7u) == 0u) {
    lo = (f32(i) - 0.5) / scale - 0.5;
    hi = (f32(i) + 1.5) / scale - 0.5;
  }
  let a = u32(max(floor(lo) - 2.0, 0.0));
  let b = u32(clamp(ceil(hi) + 3.0, 0.0, f32(outN)));
  return vec2<u32>(min(a, outN), b);
}

// @kernel fwd
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = m(1u); let W = m(2u); let Ho = m(3u); let Wo = m(4u);
  let ox = i % Wo; let oy = (i / Wo) % Ho; let plane = i / (Wo * Ho);
  let ty = taps(oy, mf(5u), H);
  let tx = taps(ox, mf(6u), W);
  let base = plane * H * W;
  let r0 = base + ty.i0 * W;
  let r1 = base + ty.i1 * W;
  let top = (1.0 - tx.l1) * x[r0 + tx.i0] + tx.l1 * x[r0 + tx.i1];
  let bottom = (1.0 - tx.l1) * x[r1 + tx.i0] + tx.l1 * x[r1 + tx.i1];
  y[i] = (1.0 - ty.l1) * top + ty.l1 * bottom;
}

// @kernel bwd
// dx[iy, ix] = sum over outputs of g * wy(oy, iy) * wx(ox, ix), gathered per input element.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = m(1u); let W = m(2u); let Ho = m(3u); let Wo = m(4u);
  let ix = i % W; let iy = (i / W) % H; let plane = i / (W * H);
  let ry = candidates(iy, mf(5u), Ho);
  let rx = candidates(ix, mf(6u), Wo);
  let base = plane * Ho * Wo;
  var acc = 0.0;
  for (var oy = ry.x; oy < ry.y; oy++) {
    let wy = weight_of(oy, iy, mf(5u), H);
    if (wy == 0.0) { continue; }
    var row = 0.0;
    for (var ox = rx.x; ox < rx.y; ox++) {
      row += weight_of(ox, ix, mf(6u), W) * g[base + oy * Wo + ox];
    }
    acc += wy * row;
  }
  dx[i] = acc;
}
