// Reductions over any set of axes. The input is addressed as kept dimensions (one output element
// each) times reduced dimensions, both through strides, so no transpose is needed.
// meta: [outN, keptRank, redRank, R, keptShape[6] @4, keptStrides[6] @10, redShape[6] @16,
//        redStrides[6] @22, scale @28]
// OP: 0 sum (times scale), 1 max, 2 min, 3 argmax (flat index within the reduced block), 4 argmin

fn kept_offset(o: u32) -> u32 {
  var rest = o;
  var off = 0u;
  for (var d = i32(m(1u)) - 1; d >= 0; d--) {
    let dim = m(4u + u32(d));
    off += (rest % dim) * m(10u + u32(d));
    rest = rest / dim;
  }
  return off;
}

fn red_offset(r: u32) -> u32 {
  var rest = r;
  var off = 0u;
  for (var d = i32(m(2u)) - 1; d >= 0; d--) {
    let dim = m(16u + u32(d));
    off += (rest % dim) * m(22u + u32(d));
    rest = rest / dim;
  }
  return off;
}

struct Acc { v: f32, i: u32 }

fn acc_init() -> Acc {
  switch OP {
    case 1u, 3u: { return Acc(-3.402823e38, 0u); }
    case 2u, 4u: { return Acc(3.402823e38, 0u); }
    default: { return Acc(0.0, 0u); }
  }
}

fn acc_merge(acc: Acc, v: f32, i: u32) -> Acc {
  switch OP {
    case 1u, 3u: { if (v > acc.v || (v == acc.v && i < acc.i)) { return Acc(v, i); } return acc; }
    case 2u, 4u: { if (v < acc.v || (v == acc.v && i < acc.i)) { return Acc(v, i); } return acc; }
    default: { return Acc(acc.v + v, 0u); }
  }
}

fn acc_result(acc: Acc) -> f32 {
  switch OP {
    case 0u: { return acc.v * mf(28u); }
    case 3u, 4u: { return f32(acc.i); }
    default: { return acc.v; }
  }
}

// @kernel per_thread
// One thread per output element (small reduced blocks).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat_id(gid, nwg);
  if (o >= m(0u)) { return; }
  let base = kept_offset(o);
  var acc = acc_init();
  for (var r = 0u; r < m(3u); r++) {
    acc = acc_merge(acc, a[base + red_offset(r)], r);
  }
  out[o] = acc_result(acc);
}

// @kernel per_group
// One workgroup per output element (large reduced blocks): strided partials, then a tree in shared memory.
var<workgroup> part_v: array<f32, WG>;
var<workgroup> part_i: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < m(0u);
  var acc = acc_init();
  if (valid) {
    let base = kept_offset(o);
    for (var r = lid.x; r < m(3u); r += WG) {
      acc = acc_merge(acc, a[base + red_offset(r)], r);
    }
  }
  part_v[lid.x] = acc.v;
  part_i[lid.x] = acc.i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid.x < s) {
      var left = Acc(part_v[lid.x], part_i[lid.x]);
      left = acc_merge(left, part_v[lid.x + s], part_i[lid.x + s]);
      part_v[lid.x] = left.v;
      part_i[lid.x] = left.i;
    }
    workgroupBarrier();
  }
  if (valid && lid.x == 0u) {
    out[o] = acc_result(Acc(part_v[0], part_i[0]));
  }
}
