// Batched matrix multiply without workgroup memory: out[z, i, j] = sum_k A(z, i, k) * B(z, k, j)
// (+ bias[j] when BIAS). The output is contiguous [batch, M, N].
//
// Operands are read through strides, so transposes cost nothing: A(i, k) = a[aoff + i * sAi + k * sAk]
// and B(k, j) = b[boff + k * sBk + j * sBj]. Batch entry z decomposes over up to 4 (merged) batch
// dimensions; the per-operand batch strides are 0 on broadcast dimensions.
//
// Workgroup w covers batch entry z = w / wgMN and tile (w % wgMN) / wgN, (w % wgMN) % wgN of
// (WG / WX) x WX threads (WX threads along N).
//
// meta (both kernels): [M, N, K, sAi, sAk, sBk, sBj, wgN, wgMN, nbatch, batchRank,
//                       batchShape[4] @11, aBatchStride[4] @15, bBatchStride[4] @19]

// Element offsets of batch entry z in A and B.
fn batch_offsets(z: u32) -> vec2<u32> {
  var rest = z;
  var off = vec2<u32>(0u);
  for (var d = i32(m(10u)) - 1; d >= 0; d--) {
    let dim = m(11u + u32(d));
    let c = rest % dim;
    rest = rest / dim;
    off += c * vec2<u32>(m(15u + u32(d)), m(19u + u32(d)));
  }
  return off;
}

fn bias_at(j: u32) -> f32 {
  if (BIAS) { return bias[j]; }
  return 0.0;
}

// @kernel blocked
// Each thread accumulates a TM x (4 * BN) block in registers, one k per step: TM + 4 * BN scalar
// loads feed 4 * TM * BN multiply-adds. On a CPU adapter (llvmpipe) every load of a storage buffer is
// a loop over the SIMD lanes, so large blocks (up to 32 x 32) pay off there; 4 x 4 is the fallback for
// shapes the vec4 kernel cannot take on GPUs. Rows/columns past M/N are clamped (loads stay inside the
// operand) and never stored. The `//#unroll VAR COUNT` ... `//#end` lines are expanded by
// core/ops/matmul.ts (COUNT is a number or TM / BN), replacing `{VAR}` with 0 .. COUNT-1.
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let M = m(0u);
  let N = m(1u);
  let K = m(2u);
  let sAi = m(3u);
  let sAk = m(4u);
  let sBk = m(5u);
  let sBj = m(6u);
  let wgN = m(7u);
  let wgMN = m(8u);
  let w = wid.x + wid.y * nwg.x;
  let z = w / wgMN;
  if (z >= m(9u)) { return; }
  let tile = w % wgMN;
  let r0 = ((tile / wgN) * (WG / WX) + lid / WX) * TM;
  let c0 = ((tile % wgN) * WX + lid % WX) * (4u * BN);
  let offs = batch_offsets(z);
  let M1 = M - 1u;
  let N1 = N - 1u;
  //#unroll i TM
  let ra{i} = offs.x + min(r0 + {i}u, M1) * sAi;
  //#end
  //#unroll j BN
  //#unroll q 4
  let cb{j}_{q} = offs.y + min(c0 + 4u * {j}u + {q}u, N1) * sBj;
  //#end
  //#end
  //#unroll i TM
  //#unroll j BN
  var acc{i}_{j} = vec4<f32>(0.0);
  //#end
  //#end
  for (var k = 0u; k < K; k++) {
    let ka = k * sAk;
    let kb = k * sBk;
    //#unroll j BN
    let b{j} = vec4<f32>(b[kb + cb{j}_0], b[kb + cb{j}_1], b[kb + cb{j}_2], b[kb + cb{j}_3]);
    //#end
    //#unroll i TM
    let a{i} = vec4<f32>(a[ka + ra{i}]);
    //#unroll j BN
    acc{i}_{j} = fma(a{i}, b{j}, acc{i}_{j});
    //#end
    //#end
  }
  //#unroll j BN
  //#unroll q 4
  let bias{j}_{q} = bias_at(min(c0 + 4u * {j}u + {q}u, N1));
  //#end
  //#end
  let obase = z * M * N;
  //#unroll i TM
  if (r0 + {i}u < M) {
    let o{i} = obase + (r0 + {i}u) * N + c0;
    //#unroll j BN
    //#unroll q 4
    if (c0 + 4u * {j}u + {q}u < N) { out[o{i} + 4u * {j}u + {q}u] = acc{i}_{j}[{q}] + bias{j}_{q}; }
    //#end
    //#end
  }
  //#end
}

// @kernel vec4
// 4x4 outputs per thread, operands bound as vec4<f32>: per step of 4 along k it loads one 4x4 block
// of A and of B as four 16-byte runs along each operand's contiguous axis and accumulates
// acc += Ablock * Bblock. The contiguous axis is k for A unless TA (then i) and j for B unless TB
// (then k); TA/TB must agree with the strides. Needs M (TA) or K (!TA), N (!TB) or K (TB), and all
// batch strides to be multiples of 4. Elements past K are replaced by zeros; rows/columns past M/N
// read whatever lies there and are never stored.
fn ld4a(i: u32) -> vec4<f32> {
  return a[i >> 2u];
}
fn ld4b(i: u32) -> vec4<f32> {
  return b[i >> 2u];
}

// Column kk of the result is A(r.., k + kk).
fn a_block(aoff: u32, sAi: u32, sAk: u32, r: u32, k: u32, kmask: vec4<bool>) -> mat4x4<f32> {
  let zero = vec4<f32>(0.0);
  if (TA) {
    return mat4x4<f32>(
      select(zero, ld4a(aoff + k * sAk + r), kmask.x),
      select(zero, ld4a(aoff + (k + 1u) * sAk + r), kmask.y),
      select(zero, ld4a(aoff + (k + 2u) * sAk + r), kmask.z),
      select(zero, ld4a(aoff + (k + 3u) * sAk + r), kmask.w),
    );
  }
  return transpose(mat4x4<f32>(
    select(zero, ld4a(aoff + r * sAi + k), kmask),
    select(zero, ld4a(aoff + (r + 1u) * sAi + k), kmask),
    select(zero, ld4a(aoff + (r + 2u) * sAi + k), kmask),
    select(zero, ld4a(aoff + (r + 3u) * sAi + k), kmask),
  ));
}

// Column jj of the result is B(k.., c + jj).
fn b_block(boff: u32, sBk: u32, sBj: u32, k: u32, c: u32, kmask: vec4<bool>) -> mat4x4<f32> {
  let zero = vec4<f32>(0.0);
  if (TB) {
    return mat4x4<f32>(
      select(zero, ld4b(boff + c * sBj + k), kmask),
      select(zero, ld4b(boff + (c + 1u) * sBj + k), kmask),
      select(zero, ld4b(boff + (c + 2u) * sBj + k), kmask),
      select(zero, ld4b(boff + (c + 3u) * sBj + k), kmask),
    );
  }
  return transpose(mat4x4<f32>(
    select(zero, ld4b(boff + k * sBk + c), kmask.x),
    select(zero, ld4b(boff + (k + 1u) * sBk + c), kmask.y),
    select(zero, ld4b(boff + (k + 2u) * sBk + c), kmask.z),
    select(zero, ld4b(boff + (k + 3u) * sBk + c), kmask.w),
  ));
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let M = m(0u);
  let N = m(1u);
  let K = m(2u);
  let sAi = m(3u);
  let sAk = m(4u);
  let sBk = m(5u);
  let sBj = m(6u);
  let wgN = m(7u);
  let wgMN = m(8u);
  let w = wid.x + wid.y * nwg.x;
  let z = w / wgMN;
  if (z >= m(9u)) { return; }
  let tile = w % wgMN;
  let r0 = ((tile / wgN) * (WG / WX) + lid / WX) * 4u;
  let c0 = ((tile % wgN) * WX + lid % WX) * 4u;
  let offs = batch_offsets(z);
  var acc = mat4x4<f32>();
  for (var k = 0u; k < K; k += 4u) {
    let kmask = vec4<u32>(k, k + 1u, k + 2u, k + 3u) < vec4<u32>(K);
    acc += a_block(offs.x, sAi, sAk, r0, k, kmask) * b_block(offs.y, sBk, sBj, k, c0, kmask);
  }
  let obase = z * M * N;
  for (var ii = 0u; ii < 4u; ii++) {
    let row = r0 + ii;
    if (row >= M) { break; }
    for (var jj = 0u; jj < 4u; jj++) {
      let col = c0 + jj;
      if (col < N) { out[obase + row * N + col] = acc[jj][ii] + bias_at(col); }
    }
  }
}
