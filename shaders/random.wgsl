// Counter-based random numbers: element i of a draw with seed s is a pure function of (s, i), so
// results never depend on the order in which kernels run.
// meta: [n, seed, lo|mean (f32), hi|std (f32)]

fn mix32(x: u32) -> u32 {
  var v = x;
  v ^= v >> 16u;
  v *= 0x7feb352du;
  v ^= v >> 15u;
  v *= 0x846ca68bu;
  v ^= v >> 16u;
  return v;
}

// A uniform float in [0, 1) with 24 random bits, from (seed, counter).
fn uniform01(seed: u32, counter: u32) -> f32 {
  return f32(mix32(counter ^ mix32(seed)) >> 8u) * 5.9604644775390625e-8;
}

// @kernel uniform
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  out[i] = mf(2u) + (mf(3u) - mf(2u)) * uniform01(m(1u), i);
}

// @kernel normal
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m(0u)) { return; }
  // Box-Muller on two independent counters; u1 in (0, 1].
  let u1 = 1.0 - uniform01(m(1u), 2u * i);
  let u2 = uniform01(m(1u), 2u * i + 1u);
  out[i] = mf(2u) + mf(3u) * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
