/**
 * SLIC superpixels (Achanta et al. 2012), following scikit-image's `slic` on 2-D RGB images: the image
 * is rescaled to [0, 1] by its global min / max, converted to Lab and divided by `compactness`;
 * centres start on a regular grid of step `s = sqrt(H W / n)` (offset `floor(s / 2)`, stride
 * `round(s)`) with zero colour; each iteration assigns every pixel within `2 s` of a centre to the
 * centre of least `d_colour^2 + d_space^2 / s^2` and moves the centres to their members' means; then
 * connectivity is enforced (connected components smaller than half the mean segment size join the
 * last adjacent component met, larger than three times are split). Labels `0 .. n - 1`.
 *
 * @module
 */
import { rgbToLab } from "./color.ts";

/** Options of {@link slic}. */
export interface SlicOptions {
  /** Approximate number of segments (default 100). */
  nSegments?: number;
  /** Colour / space balance; higher is more square (default 10). */
  compactness?: number;
  /** Iterations (default 10). */
  maxIterations?: number;
  /** Merge small and split large connected components (default true). */
  enforceConnectivity?: boolean;
  /** Minimum component size as a fraction of the mean segment size (default 0.5). */
  minSizeFactor?: number;
  /** Maximum component size as a multiple of the mean segment size (default 3). */
  maxSizeFactor?: number;
}

/** scikit-image's `regular_grid` for a [1, H, W] volume: per-axis start and step. */
function grid(H: number, W: number, n: number): { start: [number, number]; step: [number, number] } {
  const dims = [1, H, W];
  const order = [0, 1, 2].sort((a, b) => dims[a] - dims[b] || a - b);
  const sorted = order.map((i) => dims[i]);
  const size = H * W;
  if (size <= n) return { start: [0, 0], step: [1, 1] };
  const steps = [0, 1, 2].map(() => Math.pow(size / n, 1 / 3));
  if (sorted.some((d, i) => d < steps[i])) {
    for (let d = 0; d < 3; d++) {
      steps[d] = sorted[d];
      const rest = sorted.slice(d + 1).reduce((p, v) => p * v, 1);
      for (let e = d + 1; e < 3; e++) steps[e] = Math.pow(rest / n, 1 / (3 - d - 1));
      if (sorted.every((v, i) => v >= steps[i])) break;
    }
  }
  const starts = steps.map((s) => Math.floor(s / 2));
  const rounded = steps.map((s) => roundHalfEven(s));
  const byAxis = [0, 0, 0];
  const stepByAxis = [0, 0, 0];
  order.forEach((axis, i) => {
    byAxis[axis] = starts[i];
    stepByAxis[axis] = rounded[i];
  });
  return { start: [byAxis[1], byAxis[2]], step: [stepByAxis[1], stepByAxis[2]] };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Segments an interleaved RGB image (`H * W * 3` values); returns one label per pixel, `0 .. n - 1`.
 *
 * @example
 * ```ts
 * import { slic } from "./slic.ts";
 * const img = new Float64Array(16 * 16 * 3).map((_, i) => (i % 3) / 2);
 * console.log(slic(img, 16, 16, { nSegments: 4 }).length); // 256
 * ```
 */
export function slic(rgb: ArrayLike<number>, H: number, W: number, opts: SlicOptions = {}): Int32Array {
  if (rgb.length !== H * W * 3) throw new RangeError(`slic: ${rgb.length} values for a ${H}x${W} RGB image`);
  const n = opts.nSegments ?? 100;
  const compactness = opts.compactness ?? 10;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < rgb.length; i++) [lo, hi] = [Math.min(lo, rgb[i]), Math.max(hi, rgb[i])];
  const scaled = Float64Array.from(rgb, (v) => (hi > lo ? (v - lo) / (hi - lo) : v - lo));
  const img = rgbToLab(scaled).map((v) => v / compactness);
  const { start, step } = grid(H, W, n);
  const centres: number[][] = [];
  for (let y = start[0]; y < H; y += step[0]) {
    for (let x = start[1]; x < W; x += step[1]) centres.push([y, x, 0, 0, 0]);
  }
  const K = centres.length;
  const s = Math.max(1, step[0], step[1]);
  const ss = 1 / (s * s);
  const N = H * W;
  const nearest = new Int32Array(N).fill(-1);
  const distance = new Float64Array(N);
  for (let it = 0; it < (opts.maxIterations ?? 10); it++) {
    let changed = false;
    distance.fill(Infinity);
    for (let k = 0; k < K; k++) {
      const [cy, cx, l, a, b] = centres[k];
      if (Number.isNaN(cy)) continue;
      const y0 = Math.max(Math.trunc(cy - 2 * step[0]), 0),
        y1 = Math.min(Math.trunc(cy + 2 * step[0] + 1), H);
      const x0 = Math.max(Math.trunc(cx - 2 * step[1]), 0),
        x1 = Math.min(Math.trunc(cx + 2 * step[1] + 1), W);
      for (let y = y0; y < y1; y++) {
        const dy = (cy - y) ** 2;
        for (let x = x0; x < x1; x++) {
          const p = y * W + x;
          const dl = img[p * 3] - l, da = img[p * 3 + 1] - a, db = img[p * 3 + 2] - b;
          const d = (dy + (cx - x) ** 2) * ss + dl * dl + da * da + db * db;
          if (distance[p] > d) {
            if (nearest[p] !== k) changed = true;
            nearest[p] = k;
            distance[p] = d;
          }
        }
      }
    }
    if (!changed) break;
    const sums = Array.from({ length: K }, () => [0, 0, 0, 0, 0, 0]);
    for (let p = 0; p < N; p++) {
      const k = nearest[p];
      if (k < 0) continue;
      const t = sums[k];
      t[0] += Math.floor(p / W);
      t[1] += p % W;
      t[2] += img[p * 3];
      t[3] += img[p * 3 + 1];
      t[4] += img[p * 3 + 2];
      t[5]++;
    }
    sums.forEach((t, k) => (centres[k] = t.slice(0, 5).map((v) => v / t[5])));
  }
  if (!(opts.enforceConnectivity ?? true)) return compact(nearest);
  const size = N / K;
  return enforceConnectivity(
    nearest,
    H,
    W,
    Math.trunc((opts.minSizeFactor ?? 0.5) * size),
    Math.trunc((opts.maxSizeFactor ?? 3) * size),
  );
}

function compact(labels: Int32Array): Int32Array {
  const map = new Map<number, number>();
  return labels.map((l) => {
    if (!map.has(l)) map.set(l, map.size);
    return map.get(l)!;
  });
}

/**
 * scikit-image's label-connectivity enforcement (4-neighbourhood, scan order): each unvisited pixel
 * starts a breadth-first component of its label (capped at `maxSize` pixels); a component smaller than
 * `minSize` takes the label of the last adjacent component met (label 0 if none was met yet, as
 * scikit-image with `start_label=0`). Returns labels `0 .. n - 1`.
 *
 * @example
 * ```ts
 * import { enforceConnectivity } from "./slic.ts";
 * // A one-pixel island of label 1 inside label 0 joins label 0.
 * const out = enforceConnectivity(Int32Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0), 3, 3, 2, 100);
 * console.log([...out]); // [0, 0, 0, 0, 0, 0, 0, 0, 0]
 * ```
 */
export function enforceConnectivity(
  segments: Int32Array,
  H: number,
  W: number,
  minSize: number,
  maxSize: number,
): Int32Array {
  const N = H * W;
  const out = new Int32Array(N).fill(-1);
  const coords = new Int32Array(Math.max(1, maxSize));
  const dx = [1, -1, 0, 0];
  const dy = [0, 0, 1, -1];
  let next = 0;
  for (let p0 = 0; p0 < N; p0++) {
    if (out[p0] >= 0) continue;
    let adjacent = 0; // as scikit-image with start_label=0: no labelled neighbour met -> label 0
    const label = segments[p0];
    out[p0] = next;
    let count = 1;
    let visited = 0;
    coords[0] = p0;
    while (visited < count && count < maxSize) {
      const p = coords[visited];
      const y = Math.floor(p / W), x = p % W;
      for (let i = 0; i < 4; i++) {
        const yy = y + dy[i], xx = x + dx[i];
        if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
        const q = yy * W + xx;
        if (segments[q] === label && out[q] === -1) {
          out[q] = next;
          coords[count++] = q;
          if (count >= maxSize) break;
        } else if (out[q] >= 0 && out[q] !== next) {
          adjacent = out[q];
        }
      }
      visited++;
    }
    if (count < minSize) {
      for (let i = 0; i < count; i++) out[coords[i]] = adjacent;
    } else next++;
  }
  return out;
}
