// 2-D convolution kernels (NCHW activations, torch weight layout [O, C/groups, KH, KW]).
//
// The hot kernels keep a register block of output channels x output pixels per thread and are written
// with unroll blocks that core/ops/conv.ts expands before compiling:
//   `//! for v < EXPR` ... `//! end` repeats the enclosed lines for v = 0 .. EXPR-1, and
//   `$(EXPR)` is replaced by the value of an integer expression over loop variables and config consts.
// Register blocks are named variables rather than arrays: llvmpipe keeps them in vector registers,
// while an array with loop indices ends up in memory. Every storage load costs tens of cycles per lane
// on llvmpipe, so the kernels are shaped to maximise multiply-adds per loaded value: weights are packed
// so that 4 output channels form one vec4 load, and a row segment of the input is loaded once and reused
// by every kernel tap along the row.
//
// Packed weights (kernel `pack`): P[g][ky][kx][ci][co] with co padded to the row width RS*4 (zeros),
// read as vec4 at ((((g * KH + ky) * KW + kx) * CI + ci) * RS + co / 4).

// @kernel pack
// meta: [total, G, KH, KWP, CI, COP, CO, swap, flip, Og, Cg, KW]
// normal: ci = input channel, co = output channel; swap: ci = output channel, co = input channel (for the
// gradient with respect to the input); flip mirrors the taps (a stride-1 transposed convolution). Taps
// kx in [KW, KWP) and channels co in [CO, COP) are zero padding.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let KH = m(2u); let KWP = m(3u); let CI = m(4u); let COP = m(5u); let KW = m(11u);
  let co = i % COP; var r = i / COP;
  let ci = r % CI; r = r / CI;
  let kx = r % KWP; r = r / KWP;
  let ky = r % KH; let g = r / KH;
  if (co >= m(6u) || kx >= KW) { out[i] = 0.0; return; }
  let swap = m(7u) != 0u;
  let o = select(co, ci, swap);
  let c = select(ci, co, swap);
  let flip = m(8u) != 0u;
  let sy = select(ky, KH - 1u - ky, flip);
  let sx = select(kx, KW - 1u - kx, flip);
  out[i] = w[(((g * m(9u) + o) * m(10u) + c) * KH + sy) * KW + sx];
}

// @kernel to_nhwc
// meta: [total, C, HW, G, Cg, Cp]; out[n][p][g][cp] = in[n][g * Cg + cp][p], zero for cp >= Cg. One thread
// writes one vec4 of 4 channels at one pixel (total = number of output vec4s).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let HW = m(2u); let G = m(3u); let Cg = m(4u); let Cp4 = m(5u) / 4u;
  let c4 = i % Cp4; var r = i / Cp4;
  let g = r % G; r = r / G;
  let p = r % HW; let n = r / HW;
  let c0 = c4 * 4u;
  let src = (n * m(1u) + g * Cg + c0) * HW + p;
  var v = vec4<f32>(0.0);
  if (c0 < Cg) { v.x = a[src]; }
  if (c0 + 1u < Cg) { v.y = a[src + HW]; }
  if (c0 + 2u < Cg) { v.z = a[src + 2u * HW]; }
  if (c0 + 3u < Cg) { v.w = a[src + 3u * HW]; }
  out[i] = v;
}

// @kernel to_nhwc4
// Like to_nhwc for HW a multiple of 4 and Cg a multiple of 4: one thread transposes a 4 channels x 4
// pixels block with vec4 loads and stores (total = number of blocks).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let HW4 = m(2u) / 4u; let G = m(3u); let Cg = m(4u); let Cp4 = m(5u) / 4u;
  let c4 = i % Cp4; var r = i / Cp4;
  let g = r % G; r = r / G;
  let p4 = r % HW4; let n = r / HW4;
  let src = ((n * m(1u) + g * Cg + c4 * 4u) * HW4) + p4;
  let r0 = a4[src];
  let r1 = a4[src + HW4];
  let r2 = a4[src + 2u * HW4];
  let r3 = a4[src + 3u * HW4];
  let step = G * Cp4;
  let dst = ((n * HW4 + p4) * 4u * G + g) * Cp4 + c4;
  out[dst] = vec4<f32>(r0.x, r1.x, r2.x, r3.x);
  out[dst + step] = vec4<f32>(r0.y, r1.y, r2.y, r3.y);
  out[dst + 2u * step] = vec4<f32>(r0.z, r1.z, r2.z, r3.z);
  out[dst + 3u * step] = vec4<f32>(r0.w, r1.w, r2.w, r3.w);
}

// @kernel strided
// meta: [total, H, W, Ho, Wo, sy, sx, scatter]. Gather (scatter = 0): out[p][oy][ox] = in[p][oy*sy][ox*sx]
// over the small grid; scatter = 1: out[p][iy][ix] = in[p][iy/sy][ix/sx] where both divide, else 0, over
// the large grid. A strided 1x1 convolution is a stride-1 one on the gathered grid.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let H = m(1u); let W = m(2u); let Ho = m(3u); let Wo = m(4u); let sy = m(5u); let sx = m(6u);
  if (m(7u) == 0u) {
    let ox = i % Wo; let oy = (i / Wo) % Ho; let p = i / (Wo * Ho);
    out[i] = a[(p * H + oy * sy) * W + ox * sx];
    return;
  }
  let ix = i % W; let iy = (i / W) % H; let p = i / (W * H);
  let oy = iy / sy; let ox = ix / sx;
  var v = 0.0;
  if (iy % sy == 0u && ix % sx == 0u && oy < Ho && ox < Wo) { v = a[(p * Ho + oy) * Wo + ox]; }
  out[i] = v;
}

// @kernel fwd
// Direct convolution, one thread = OB4*4 output channels x PB consecutive output pixels of one row.
// Per input channel and kernel row, the row segment the PB pixels need under all KW taps is loaded once.
// Config: KW, SX (column stride), DX (column dilation), OB4, PB, VX. VX = 1 (a 1x1 convolution seen as one
// row per plane, plane size and PB multiples of 4) loads the input as vec4 from binding `x4` instead of `x`.
// meta: [N, Cin, Hin, Win, Cout, Hout, Wout, KH, sy, py, px, dy, G, Cin_g, Cout_g, OBg, TPR, hasBias, RS]
// (py, px are i32 and may be negative; TPR = tiles per output row; OBg = channel blocks per group.)
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  let Hin = mi(2u); let Win = mi(3u); let Hout = m(5u); let Wout = m(6u); let KH = m(7u);
  let Cin_g = m(13u); let Cout_g = m(14u); let OBg = m(15u); let TPR = m(16u); let RS = m(18u);
  let tx = t % TPR; var rest = t / TPR;
  let oy = rest % Hout; rest = rest / Hout;
  let blocks = OBg * m(12u);
  let gb = rest % blocks; let n = rest / blocks;
  if (n >= m(0u)) { return; }
  let g = gb / OBg; let obl = gb % OBg;
  let ox0 = tx * PB;
  let ix0 = i32(ox0 * SX) - mi(10u);
  let iy0 = i32(oy * m(8u)) - mi(9u);
  let plane = u32(Hin * Win);
  let xn = (n * m(1u) + g * Cin_g) * plane;
//! for e < (PB - 1) * SX + (KW - 1) * DX + 1
  let ok$(e) = ix0 + $(e) >= 0 && ix0 + $(e) < Win;
  let mk$(e) = select(0.0, 1.0, ok$(e));
  let so$(e) = u32(select(0, ix0 + $(e), ok$(e)));
//! end
//! for j < PB
//! for q < OB4
  var a$(j)_$(q) = vec4<f32>(0.0);
//! end
//! end
  let KS = Cin_g * RS;
  for (var ky = 0u; ky < KH; ky++) {
    let iy = iy0 + i32(ky * m(11u));
    if (iy < 0 || iy >= Hin) { continue; }
    var xo = xn + u32(iy * Win);
    var wq = (g * KH + ky) * KW * KS + obl * OB4;
    for (var c = 0u; c < Cin_g; c++) {
//! if VX
      let xq = (xo + u32(ix0)) / 4u;
//! for v < PB / 4
      let v$(v) = x4[xq + $(v)u] * mk$(v * 4);
//! end
//! for e < PB
      let s$(e) = v$(e / 4)[$(e % 4)];
//! end
//! else
//! for e < (PB - 1) * SX + (KW - 1) * DX + 1
      let s$(e) = x[xo + so$(e)] * mk$(e);
//! end
//! end
//! for kx < KW
//! for q < OB4
      let w$(kx)_$(q) = wp[wq + $(kx)u * KS + $(q)u];
//! end
//! for j < PB
//! for q < OB4
      a$(j)_$(q) = fma(w$(kx)_$(q), vec4<f32>(s$(j * SX + kx * DX)), a$(j)_$(q));
//! end
//! end
//! end
      xo += plane;
      wq += RS;
    }
  }
  let HoWo = Hout * Wout;
  let ol0 = obl * OB4 * 4u;
  let o0 = g * Cout_g + ol0;
  let ybase = (n * m(4u) + o0) * HoWo + oy * Wout + ox0;
//! for q < OB4
//! for i < 4
  if (ol0 + $(q * 4 + i)u < Cout_g) {
    let yb = ybase + $(q * 4 + i)u * HoWo;
    var b = 0.0;
    if (m(17u) != 0u) { b = bias[o0 + $(q * 4 + i)u]; }
//! for j < PB
    if (ox0 + $(j)u < Wout) { y[yb + $(j)u] = a$(j)_$(q)[$(i)] + b; }
//! end
  }
//! end
//! end
}

// @kernel fwd2d
// The `fwd` computation for narrow outputs: one thread = OB4*4 output channels x a tile of PR rows x PB
// columns, with all taps unrolled, so every input value of the tile's window is loaded once per input
// channel. Config: KH, KW, SY, SX, DY, DX, OB4, PB, PR.
// meta: as `fwd`, plus [19] = row tiles per image (ceil(Hout / PR)).
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  let Hin = mi(2u); let Win = mi(3u); let Hout = m(5u); let Wout = m(6u);
  let Cin_g = m(13u); let Cout_g = m(14u); let OBg = m(15u); let TPR = m(16u); let RS = m(18u);
  let tx = t % TPR; var rest = t / TPR;
  let ty = rest % m(19u); rest = rest / m(19u);
  let blocks = OBg * m(12u);
  let gb = rest % blocks; let n = rest / blocks;
  if (n >= m(0u)) { return; }
  let g = gb / OBg; let obl = gb % OBg;
  let ox0 = tx * PB;
  let oy0 = ty * PR;
  let ix0 = i32(ox0 * SX) - mi(10u);
  let iy0 = i32(oy0 * SY) - mi(9u);
  let plane = u32(Hin * Win);
//! for e < (PB - 1) * SX + (KW - 1) * DX + 1
  let ok$(e) = ix0 + $(e) >= 0 && ix0 + $(e) < Win;
  let mk$(e) = select(0.0, 1.0, ok$(e));
  let so$(e) = u32(select(0, ix0 + $(e), ok$(e)));
//! end
//! for r < (PR - 1) * SY + (KH - 1) * DY + 1
  let rok$(r) = iy0 + $(r) >= 0 && iy0 + $(r) < Hin;
  let rm$(r) = select(0.0, 1.0, rok$(r));
  let ro$(r) = u32(select(0, (iy0 + $(r)) * Win, rok$(r)));
//! end
//! for pr < PR
//! for j < PB
//! for q < OB4
  var a$(pr)_$(j)_$(q) = vec4<f32>(0.0);
//! end
//! end
//! end
  let KS = Cin_g * RS;
  var xo = (n * m(1u) + g * Cin_g) * plane;
  var wq = g * KH * KW * KS + obl * OB4;
  for (var c = 0u; c < Cin_g; c++) {
//! for r < (PR - 1) * SY + (KH - 1) * DY + 1
//! for e < (PB - 1) * SX + (KW - 1) * DX + 1
    let s$(r)_$(e) = x[xo + ro$(r) + so$(e)] * (rm$(r) * mk$(e));
//! end
//! end
//! for ky < KH
//! for kx < KW
//! for q < OB4
    let w$(ky)_$(kx)_$(q) = wp[wq + $(ky * KW + kx)u * KS + $(q)u];
//! end
//! for pr < PR
//! for j < PB
//! for q < OB4
    a$(pr)_$(j)_$(q) = fma(w$(ky)_$(kx)_$(q), vec4<f32>(s$(pr * SY + ky * DY)_$(j * SX + kx * DX)), a$(pr)_$(j)_$(q));
//! end
//! end
//! end
//! end
//! end
    xo += plane;
    wq += RS;
  }
  let HoWo = Hout * Wout;
  let ol0 = obl * OB4 * 4u;
  let o0 = g * Cout_g + ol0;
  let ybase = (n * m(4u) + o0) * HoWo + oy0 * Wout + ox0;
//! for q < OB4
//! for i < 4
  if (ol0 + $(q * 4 + i)u < Cout_g) {
    let yb = ybase + $(q * 4 + i)u * HoWo;
    var b = 0.0;
    if (m(17u) != 0u) { b = bias[o0 + $(q * 4 + i)u]; }
//! for pr < PR
//! for j < PB
    if (oy0 + $(pr)u < Hout && ox0 + $(j)u < Wout) { y[yb + $(pr)u * Wout + $(j)u] = a$(pr)_$(j)_$(q)[$(i)] + b; }
//! end
//! end
  }
//! end
//! end
}

// @kernel tap
// Gradient with respect to the input for any stride (a transposed convolution, gathered): one thread =
// OB4*4 input channels x PB input pixels of one row that share the column residue rx modulo sx, so that
// every tap is either valid or invalid for the whole block. `x` is the output gradient, `y` the input
// gradient, weights packed with swap. Config: OB4, PB.
// meta: [N, Cin, Hin, Win, Cout, Hout, Wout, KH, KW, sy, sx, py, px, dy, dx, G, Cin_g, Cout_g, OBg, TPR, RS]
// (Cin/Hin/Win describe the output gradient, Cout/Hout/Wout the input gradient.)
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  let Hin = mi(2u); let Win = mi(3u); let Hout = m(5u); let Wout = m(6u); let KH = m(7u); let KW = m(8u);
  let sy = mi(9u); let sx = mi(10u);
  let Cin_g = m(16u); let Cout_g = m(17u); let OBg = m(18u); let TPR = m(19u); let RS = m(20u);
  let tx = t % TPR; var rest = t / TPR;
  let oy = rest % Hout; rest = rest / Hout;
  let rx = rest % u32(sx); rest = rest / u32(sx);
  let blocks = OBg * m(15u);
  let gb = rest % blocks; let n = rest / blocks;
  if (n >= m(0u)) { return; }
  let g = gb / OBg; let obl = gb % OBg;
  let plane = u32(Hin * Win);
  let xn = (n * m(1u) + g * Cin_g) * plane;
//! for j < PB
//! for q < OB4
  var a$(j)_$(q) = vec4<f32>(0.0);
//! end
//! end
  for (var ky = 0u; ky < KH; ky++) {
    let ry = i32(oy) + mi(11u) - i32(ky * m(13u));
    if (ry < 0 || ry % sy != 0) { continue; }
    let iy = ry / sy;
    if (iy >= Hin) { continue; }
    for (var kx = 0u; kx < KW; kx++) {
      let rc = i32(rx) + mi(12u) - i32(kx * m(14u));
      if (rc % sx != 0) { continue; }
      let ib = rc / sx + i32(tx * PB);
//! for j < PB
      let ok$(j) = ib + $(j) >= 0 && ib + $(j) < Win;
      let mk$(j) = select(0.0, 1.0, ok$(j));
      let so$(j) = u32(select(0, ib + $(j), ok$(j)));
//! end
      var xo = xn + u32(iy * Win);
      var wq = ((g * KH + ky) * KW + kx) * Cin_g * RS + obl * OB4;
      for (var c = 0u; c < Cin_g; c++) {
//! for q < OB4
        let w$(q) = wp[wq + $(q)u];
//! end
//! for j < PB
        let s$(j) = vec4<f32>(x[xo + so$(j)] * mk$(j));
//! for q < OB4
        a$(j)_$(q) = fma(w$(q), s$(j), a$(j)_$(q));
//! end
//! end
        xo += plane;
        wq += RS;
      }
    }
  }
  let HoWo = Hout * Wout;
  let ol0 = obl * OB4 * 4u;
  let ybase = (n * m(4u) + g * Cout_g + ol0) * HoWo + oy * Wout;
  let c0 = rx + u32(sx) * tx * PB;
//! for q < OB4
//! for i < 4
  if (ol0 + $(q * 4 + i)u < Cout_g) {
    let yb = ybase + $(q * 4 + i)u * HoWo;
//! for j < PB
    if (c0 + $(j)u * u32(sx) < Wout) { y[yb + c0 + $(j)u * u32(sx)] = a$(j)_$(q)[$(i)]; }
//! end
  }
//! end
//! end
}

// @kernel tap_seg
// The `tap` computation for column dilation 1 with reuse along the row: for input-gradient columns
// ix = rx + sx * (T + j), the valid taps are kx = k0 + t * sx (k0 = (rx + px) mod sx, t < NT) and they read
// output-gradient columns b + j - t, so one segment of PB + NT - 1 values serves all of them. Weights are
// packed (swap) with the taps padded to KWP = NT * sx. Config: SX, NT, OB4, PB.
// meta: as `tap`, with KW = KWP.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  let Hin = mi(2u); let Win = mi(3u); let Hout = m(5u); let Wout = m(6u); let KH = m(7u); let KWP = m(8u);
  let sy = mi(9u);
  let Cin_g = m(16u); let Cout_g = m(17u); let OBg = m(18u); let TPR = m(19u); let RS = m(20u);
  let tx = t % TPR; var rest = t / TPR;
  let oy = rest % Hout; rest = rest / Hout;
  let rx = rest % SX; rest = rest / SX;
  let blocks = OBg * m(15u);
  let gb = rest % blocks; let n = rest / blocks;
  if (n >= m(0u)) { return; }
  let g = gb / OBg; let obl = gb % OBg;
  let plane = u32(Hin * Win);
  let xn = (n * m(1u) + g * Cin_g) * plane;
  let k0 = (rx + m(12u)) % SX;
  let b0 = i32((rx + m(12u) - k0) / SX + tx * PB) - i32(NT - 1u);
//! for e < PB + NT - 1
  let ok$(e) = b0 + $(e) >= 0 && b0 + $(e) < Win;
  let mk$(e) = select(0.0, 1.0, ok$(e));
  let so$(e) = u32(select(0, b0 + $(e), ok$(e)));
//! end
//! for j < PB
//! for q < OB4
  var a$(j)_$(q) = vec4<f32>(0.0);
//! end
//! end
  let KS = SX * Cin_g * RS;
  for (var ky = 0u; ky < KH; ky++) {
    let ry = i32(oy) + mi(11u) - i32(ky * m(13u));
    if (ry < 0 || ry % sy != 0) { continue; }
    let iy = ry / sy;
    if (iy >= Hin) { continue; }
    var xo = xn + u32(iy * Win);
    var wq = ((g * KH + ky) * KWP + k0) * Cin_g * RS + obl * OB4;
    for (var c = 0u; c < Cin_g; c++) {
//! for e < PB + NT - 1
      let s$(e) = x[xo + so$(e)] * mk$(e);
//! end
//! for k < NT
//! for q < OB4
      let w$(k)_$(q) = wp[wq + $(k)u * KS + $(q)u];
//! end
//! for j < PB
//! for q < OB4
      a$(j)_$(q) = fma(w$(k)_$(q), vec4<f32>(s$(j - k + NT - 1)), a$(j)_$(q));
//! end
//! end
//! end
      xo += plane;
      wq += RS;
    }
  }
  let HoWo = Hout * Wout;
  let ol0 = obl * OB4 * 4u;
  let ybase = (n * m(4u) + g * Cout_g + ol0) * HoWo + oy * Wout;
  let c0 = rx + SX * tx * PB;
//! for q < OB4
//! for i < 4
  if (ol0 + $(q * 4 + i)u < Cout_g) {
    let yb = ybase + $(q * 4 + i)u * HoWo;
//! for j < PB
    if (c0 + $(j * SX)u < Wout) { y[yb + c0 + $(j * SX)u] = a$(j)_$(q)[$(i)]; }
//! end
  }
//! end
//! end
}

// @kernel dw
// Partial weight gradients over a chunk of output pixels: one thread = one kernel row ky x KT consecutive
// taps kx x CB4*4 input channels x OB4*4 output channels (KT > 1 pays off when there are few input
// channels, as in a stem). Inputs are channel-last copies (kernel `to_nhwc`) so that 4 channels are one
// vec4 load: xt [N, H, W, G, Cp] and gt [N, Ho, Wo, G, Op]. Output part[s][g][ky][kx][c][o] (vec4 over o);
// with direct = 1 (S = 1) the weight gradient [O, Cg, KH, KW] itself. Config: OB4, CB4, KT.
// meta: [N, H, W, Ho, Wo, KH, KW, sy, sx, py, px, dy, dx, G, Cp, Op, OBg, CBg, S, chunk, direct, Og, Cg]
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = flat_id(gid, nwg);
  let H = mi(1u); let W = mi(2u); let Ho = m(3u); let Wo = m(4u); let KH = m(5u); let KW = m(6u);
  let G = m(13u); let Cp = m(14u); let Op = m(15u); let OBg = m(16u); let CBg = m(17u);
  let KB = (KW + KT - 1u) / KT;
  let ob = t % OBg; var rest = t / OBg;
  let cb = rest % CBg; rest = rest / CBg;
  let kb = rest % KB; rest = rest / KB;
  let ky = rest % KH; rest = rest / KH;
  let g = rest % G; let s = rest / G;
  if (s >= m(18u)) { return; }
  let kx0 = kb * KT;
  let total = m(0u) * Ho * Wo;
  let r0 = s * m(19u);
  let r1 = min(total, r0 + m(19u));
  var ox = r0 % Wo;
  var oy = (r0 / Wo) % Ho;
  var n = r0 / (Wo * Ho);
  let xs = G * Cp / 4u;
  let gs = G * Op / 4u;
  let xoff = g * Cp / 4u + cb * CB4;
  let goff = g * Op / 4u + ob * OB4;
  let offy = i32(ky * m(11u)) - mi(9u);
  let offx = i32(kx0 * m(12u)) - mi(10u);
  let dxs = mi(12u);
//! for k < KT
//! for c < CB4 * 4
//! for q < OB4
  var a$(k)_$(c)_$(q) = vec4<f32>(0.0);
//! end
//! end
//! end
  for (var r = r0; r < r1; r++) {
    let iy = i32(oy * m(7u)) + offy;
    let ix = i32(ox * m(8u)) + offx;
    let rowok = iy >= 0 && iy < H;
    let xrow = (n * u32(H) + u32(select(0, iy, rowok))) * u32(W);
    let gp = ((n * Ho + oy) * Wo + ox) * gs + goff;
//! for q < OB4
    let d$(q) = gt[gp + $(q)u];
//! end
//! for k < KT
    let ok$(k) = rowok && ix + $(k) * dxs >= 0 && ix + $(k) * dxs < W && kx0 + $(k)u < KW;
    let xp$(k) = (xrow + u32(select(0, ix + $(k) * dxs, ok$(k)))) * xs + xoff;
    let mk$(k) = select(0.0, 1.0, ok$(k));
//! for b < CB4
    let v$(k)_$(b) = xt[xp$(k) + $(b)u] * mk$(k);
//! end
//! for c < CB4 * 4
//! for q < OB4
    a$(k)_$(c)_$(q) = fma(d$(q), vec4<f32>(v$(k)_$(c / 4)[$(c % 4)]), a$(k)_$(c)_$(q));
//! end
//! end
//! end
    ox++;
    if (ox == Wo) {
      ox = 0u;
      oy++;
      if (oy == Ho) { oy = 0u; n++; }
    }
  }
  let c0 = cb * CB4 * 4u;
  if (m(20u) != 0u) {
    // A single chunk: write the weight gradient [O, Cg, KH, KW] directly.
    let Og = m(21u); let Cg = m(22u);
    let o0 = ob * OB4 * 4u;
    let KK = KH * KW;
    let d0 = ((g * Og + o0) * Cg + c0) * KK + ky * KW + kx0;
//! for k < KT
//! for c < CB4 * 4
//! for q < OB4
//! for i < 4
    if (kx0 + $(k)u < KW && c0 + $(c)u < Cg && o0 + $(q * 4 + i)u < Og) {
      let d$(k)_$(c)_$(q)_$(i) = d0 + ($(q * 4 + i)u * Cg + $(c)u) * KK + $(k)u;
      part[d$(k)_$(c)_$(q)_$(i) / 4u][d$(k)_$(c)_$(q)_$(i) % 4u] = a$(k)_$(c)_$(q)[$(i)];
    }
//! end
//! end
//! end
//! end
    return;
  }
  let Op4 = Op / 4u;
  let base = ((((s * G + g) * KH + ky) * KW + kx0) * Cp + c0) * Op4 + ob * OB4;
//! for k < KT
//! for c < CB4 * 4
//! for q < OB4
  if (kx0 + $(k)u < KW && c0 + $(c)u < Cp && ob * OB4 + $(q)u < Op4) {
    part[base + ($(k)u * Cp + $(c)u) * Op4 + $(q)u] = a$(k)_$(c)_$(q);
  }
//! end
//! end
//! end
}

// @kernel dw_reduce
// meta: [total, S, G, Og, Cg, KH, KW, Cp, Op]; dW[g * Og + o][c][ky][kx] = sum over s of
// part[s][g][ky][kx][c][o].
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  let G = m(2u); let Og = m(3u); let Cg = m(4u); let KH = m(5u); let KW = m(6u); let Cp = m(7u); let Op = m(8u);
  let kx = i % KW; var r = i / KW;
  let ky = r % KH; r = r / KH;
  let c = r % Cg; r = r / Cg;
  let o = r % Og; let g = r / Og;
  let step = G * KH * KW * Cp * Op;
  var p = (((g * KH + ky) * KW + kx) * Cp + c) * Op + o;
  var acc = 0.0;
  for (var s = 0u; s < m(1u); s++) {
    acc += part[p];
    p += step;
  }
  out[i] = acc;
}
