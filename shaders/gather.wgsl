// Index-driven ops: gather along an axis (torch.gather and index_select share one kernel through the
// strides of the index tensor), its deterministic adjoint (each input element is summed by one thread
// looping over the candidate index positions; no atomics), and one-hot encoding. Indices are float
// tensors holding integers. Ranks up to 6.

// A quiet NaN built from a runtime value (a constant NaN is a shader-creation error).
fn nan() -> f32 {
  return bitcast<f32>(m(63u) | 0x7fc00000u);
}

// @kernel gather
// out[c] = x[c with c_axis replaced by idx[c]]
// meta: [n, rank, axis, axisLen, outShape[6] @4, idxStrides[6] @10, xStrides[6] @16]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let rank = m(1u);
  let axis = m(2u);
  var rest = i;
  var io = 0u;
  var xo = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let du = u32(d);
    let c = rest % m(4u + du);
    rest = rest / m(4u + du);
    io += c * m(10u + du);
    if (du != axis) { xo += c * m(16u + du); }
  }
  let v = idx[io];
  let k = i32(round(v));
  if (k < 0 || k >= i32(m(3u)) || f32(k) != v) {
    out[i] = nan();
    return;
  }
  out[i] = x[xo + u32(k) * m(16u + axis)];
}

// @kernel gather_backward
// dx[c] = sum over j < K of g[c with c_axis = j] where idx[c with c_axis = j] == c_axis (0 where c lies
// outside the index shape on a non-gathered axis).
// meta: [xn, rank, axis, K, xShape[6] @4, outShape[6] @10, idxStrides[6] @16]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let rank = m(1u);
  let axis = m(2u);
  var rest = i;
  var io = 0u;
  var go = 0u;
  var gstride = 1u;
  var gaxis = 1u;
  var inside = true;
  var ca = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let du = u32(d);
    let c = rest % m(4u + du);
    rest = rest / m(4u + du);
    let od = m(10u + du);
    if (du == axis) {
      ca = c;
      gaxis = gstride;
    } else {
      if (c >= od) { inside = false; }
      io += c * m(16u + du);
      go += c * gstride;
    }
    gstride *= od;
  }
  var acc = 0.0;
  if (inside) {
    let istride = m(16u + axis);
    for (var j = 0u; j < m(3u); j++) {
      if (i32(round(idx[io + j * istride])) == i32(ca)) { acc += g[go + j * gaxis]; }
    }
  }
  dx[i] = acc;
}

// @kernel one_hot
// out[n, c] = (c == labels[n]) ? on : off
// meta: [n, C, on, off]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let C = m(1u);
  let v = labels[i / C];
  let hit = v >= 0.0 && u32(round(v)) == i % C;
  out[i] = select(mf(3u), mf(2u), hit);
}
