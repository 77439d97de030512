// Batched matrix multiply without workgroup memory: out[z, i, j] = sum_k A(z, i, k) * B(z, k, j)
// (+ bias[j]). The output is contiguous [batch, M, N].
//
// Storage-buffer kernels `blocked` and `vec4` read the operands directly; on CPU adapters the
// `tex_nt` / `tex_nn` kernels read them from rgba32float textures that `pack` fills first (see there).
//
// Operands are read through strides, so transposes cost nothing: A(i, k) = a[aoff + i * sAi + k * sAk]
// and B(k, j) = b[boff + k * sBk + j * sBj]. Batch entry z decomposes over up to 4 (merged) batch
// dimensions; the per-operand batch strides are 0 on broadcast dimensions.
//
// Workgroup w covers batch entry z = w / wgMN and tile (w % wgMN) / wgN, (w % wgMN) % wgN of
// (WG / WX) x WX threads (WX threads along N).
//
// meta (blocked, vec4): [M, N, K, sAi, sAk, sBk, sBj, wgN, wgMN, nbatch, batchRank,
//                        batchShape[4] @11, aBatchStride[4] @15, bBatchStride[4] @19]

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

// Element offset of batch entry z in one operand: z decomposes over `rank` dimensions whose extents
// are meta words shapeAt.. and whose strides are meta words strideAt...
fn operand_offset(z: u32, rank: u32, shapeAt: u32, strideAt: u32) -> u32 {
  var rest = z;
  var off = 0u;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let dim = m(shapeAt + u32(d));
    off += (rest % dim) * m(strideAt + u32(d));
    rest = rest / dim;
  }
  return off;
}

// @kernel blocked
// Each thread accumulates a TM x (4 * BN) block in registers, one k per step: TM + 4 * BN scalar
// loads feed 4 * TM * BN multiply-adds. On a CPU adapter (llvmpipe) every load of a storage buffer is
// a loop over the SIMD lanes, so large blocks (up to 32 x 32) pay off there; 4 x 4 is the fallback for
// shapes the vec4 kernel cannot take on GPUs. Rows/columns past M/N are clamped (loads stay inside the
// operand) and never stored. The `//#unroll VAR COUNT` ... `//#end` lines are expanded by
// core/ops/matmul.ts (COUNT is a number or TM / BN), replacing `{VAR}` with 0 .. COUNT-1.
fn bias_at(j: u32) -> f32 {
  if (BIAS) { return bias[j]; }
  return 0.0;
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
fn bias_at(j: u32) -> f32 {
  if (BIAS) { return bias[j]; }
  return 0.0;
}

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

// @kernel pack
// Copies one operand into an rgba32float storage texture: texel (x, y) holds elements 4x .. 4x+3 of
// row y, where "row" and "column" are whatever the strides make them. The texture stacks blocks of RB
// rows, one per batch entry z0, z0+1, ...; rows r >= R of a block and columns >= C are zeros, so the
// matmul kernels need no bounds checks along k. Element (z, r, c) is
//   src[operand_offset(z) + (r0 + r) * sR + c * sC].
// Consecutive invocations walk x (TR false) or y (TR true): pick the one along which the source is
// contiguous, so neighbouring lanes read neighbouring elements.
// meta: [W, H, RB, R, C, sR, sC, z0, r0, batchRank, batchShape[4] @10, batchStride[4] @14]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let W = m(0u);
  let H = m(1u);
  let id = flat_id(gid, nwg);
  if (id >= W * H) { return; }
  var x = id % W;
  var y = id / W;
  if (TR) {
    x = id / H;
    y = id % H;
  }
  let RB = m(2u);
  let r = y % RB;
  var v = vec4<f32>(0.0);
  if (r < m(3u)) {
    let base = operand_offset(m(7u) + y / RB, m(9u), 10u, 14u) + (m(8u) + r) * m(5u);
    let C = m(4u);
    let sC = m(6u);
    let c = 4u * x;
    if (c < C) { v.x = src[base + c * sC]; }
    if (c + 1u < C) { v.y = src[base + (c + 1u) * sC]; }
    if (c + 2u < C) { v.z = src[base + (c + 2u) * sC]; }
    if (c + 3u < C) { v.w = src[base + (c + 3u) * sC]; }
  }
  textureStore(dst, vec2<u32>(x, y), v);
}

// @kernel tex
// The texture-operand matmul: core/ops/matmul.ts splices the `tex_nt` (C = A · Bᵀ) or `tex_nn`
// (C = A · B) loop section below in place of the `//#loop` line.
//
// C = A · Bᵀ from packed textures: A holds rows i, B rows j, both with texels over k (see `pack`).
// Each thread accumulates a TM x (4 * BN) block of outputs: per texel step along k it loads TM texels
// of A and 4 * BN of B and takes their dot products. On llvmpipe a texel fetch is far cheaper than a
// storage-buffer load (a loop over the SIMD lanes), which is what this path is for. WX threads of a
// workgroup run along N (they then fetch the same A texels). Threads past M / N read rows that are
// never stored; the texture zero-padding makes the k tail exact.
// The `//#unroll` blocks are expanded by core/ops/matmul.ts (see the `blocked` kernel).
// meta (tex_nt, tex_nn): [M, N, K4, wgN, wgMN, nz, aRows, bRows, obase, ozs, WX, hasBias, G]:
//   rows of A and B per batch entry in their textures (0: one block shared by every z), output
//   element out[obase + z * ozs + i * N + j], G row tiles per group of the workgroup order.
fn bias_at(j: u32) -> f32 {
  if (m(11u) != 0u) { return bias[j]; }
  return 0.0;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let M = m(0u);
  let N = m(1u);
  let K4 = m(2u);
  let wgN = m(3u);
  let wgMN = m(4u);
  let WX = m(10u);
  let w = wid.x + wid.y * nwg.x;
  let z = w / wgMN;
  if (z >= m(5u)) { return; }
  let tile = w % wgMN;
  // Workgroups walk groups of G row tiles column by column, so that consecutive ones share B's
  // columns and the group's rows of A stay in cache.
  let G = m(12u);
  let g = tile / (G * wgN);
  let gr = min(G, wgMN / wgN - g * G);
  let t = tile % (G * wgN);
  let r0 = ((g * G + t % gr) * (WG / WX) + lid / WX) * TM;
  let c0 = ((t / gr) * WX + lid % WX) * (4u * BN);
  let ya = z * m(6u) + r0;
  //#loop
  // Epilogue: bias, stores masked to the M x N block.
  let obase = m(8u) + z * m(9u) + c0;
  let N1 = N - 1u;
  //#unroll j BN
  //#unroll q 4
  let bias{j}_{q} = bias_at(min(c0 + 4u * {j}u + {q}u, N1));
  //#end
  //#end
  //#unroll i TM
  if (r0 + {i}u < M) {
    let o{i} = obase + (r0 + {i}u) * N;
    //#unroll j BN
    //#unroll q 4
    if (c0 + 4u * {j}u + {q}u < N) { out[o{i} + 4u * {j}u + {q}u] = acc{i}_{j}[{q}] + bias{j}_{q}; }
    //#end
    //#end
  }
  //#end
}

// @kernel tex_nt
// Loop of `tex` for C = A · Bᵀ (B packed as rows j).
  let yb = z * m(7u) + c0;
  //#unroll i TM
  //#unroll j BN
  var acc{i}_{j} = vec4<f32>(0.0);
  //#end
  //#end
  for (var k = 0u; k < K4; k++) {
    //#unroll i TM
    let a{i} = textureLoad(A, vec2<u32>(k, ya + {i}u), 0);
    //#end
    //#unroll j BN
    //#unroll q 4
    let b{j}_{q} = textureLoad(B, vec2<u32>(k, yb + 4u * {j}u + {q}u), 0);
    //#end
    //#end
    //#unroll i TM
    //#unroll j BN
    acc{i}_{j} += vec4<f32>(dot(a{i}, b{j}_0), dot(a{i}, b{j}_1), dot(a{i}, b{j}_2), dot(a{i}, b{j}_3));
    //#end
    //#end
  }

// @kernel tex_nn
// C = A · B from packed textures: A holds rows i with texels over k, B rows k with texels over j (see
// `pack`; B's rows are zero-padded to a multiple of 4). Per texel step along k a thread loads TM texels
// of A and 4 x BN of B and accumulates acc += a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3 on vec4s of
// outputs. Otherwise as `tex_nt` (same meta).
  let yb = z * m(7u);
  let cx = c0 / 4u;
  //#unroll i TM
  //#unroll j BN
  var acc{i}_{j} = vec4<f32>(0.0);
  //#end
  //#end
  for (var k = 0u; k < K4; k++) {
    //#unroll i TM
    let a{i} = textureLoad(A, vec2<u32>(k, ya + {i}u), 0);
    //#end
    //#unroll q 4
    //#unroll j BN
    let b{q}_{j} = textureLoad(B, vec2<u32>(cx + {j}u, yb + 4u * k + {q}u), 0);
    //#end
    //#end
    //#unroll i TM
    //#unroll j BN
    acc{i}_{j} += a{i}.x * b0_{j} + a{i}.y * b1_{j} + a{i}.z * b2_{j} + a{i}.w * b3_{j};
    //#end
    //#end
  }
