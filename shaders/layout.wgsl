// Strided copies: one gather kernel covers permute, slice, expand (stride 0) and contiguous copies;
// one scatter kernel writes a tensor into a strided window of a larger one (concat, pad, slice backward).
// meta: [n, rank, base, 0, shape[6] @4, strides[6] @10], where shape is the shape of the iterated tensor.

fn strided_offset(i: u32) -> u32 {
  var rest = i;
  var off = m(2u);
  for (var d = i32(m(1u)) - 1; d >= 0; d--) {
    let dim = m(4u + u32(d));
    off += (rest % dim) * m(10u + u32(d));
    rest = rest / dim;
  }
  return off;
}

// @kernel gather
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  out[i] = a[strided_offset(i)];
}

// @kernel scatter
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  out[strided_offset(i)] = a[i];
}
