import assert from "node:assert/strict";
import type { HostTensor } from "../../../core/host_tensor.ts";
import {
  bcosEncode,
  centerCropImage,
  cropImage,
  flipImageH,
  normalizeImage,
  roundHalfEven,
  shorterSideSize,
  toRgb,
} from "../../../core/data/image_ops.ts";
import { resizeImage } from "../../../core/data/resize.ts";
import { Rng } from "../../../core/data/rng.ts";
import {
  bcos6,
  centerCrop,
  compose,
  normalize,
  randomHorizontalFlip,
  randomResizedCrop,
  resizeCenterCrop,
  sampleResizedCrop,
} from "../../../core/data/transforms.ts";
import { assertClose } from "../../util/assert_close.ts";

const t = (shape: number[], values: number[]): HostTensor => ({ shape, data: new Float32Array(values) });

Deno.test("flipImageH mirrors each row of each channel", () => {
  const out = flipImageH(t([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  assert.deepEqual([...out.data], [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
});

Deno.test("cropImage / centerCropImage (torchvision rounding, zero padding)", () => {
  const img = t([1, 4, 4], Array.from({ length: 16 }, (_, i) => i));
  assert.deepEqual([...cropImage(img, 1, 2, 2, 2).data], [6, 7, 10, 11]);
  assert.deepEqual([...centerCropImage(img, 2, 2).data], [5, 6, 9, 10]);
  // (4 - 1) / 2 = 1.5 rounds half to even -> 2
  assert.deepEqual([...centerCropImage(img, 1, 1).data], [10]);
  assert.deepEqual([...cropImage(t([1, 1, 2], [1, 2]), -1, -1, 2, 3).data], [0, 0, 0, 0, 1, 2]);
  assert.deepEqual([...centerCropImage(t([1, 1, 1], [5]), 3, 3).data], [0, 0, 0, 0, 5, 0, 0, 0, 0]);
  assert.deepEqual([roundHalfEven(0.5), roundHalfEven(1.5), roundHalfEven(2.5), roundHalfEven(2.6)], [
    0,
    2,
    2,
    3,
  ]);
  assert.deepEqual(shorterSideSize(375, 500, 256), [256, 341]);
  assert.deepEqual(shorterSideSize(500, 375, 256), [341, 256]);
});

Deno.test("resizeImage: bilinear upscaling of a 2x2 image (half-pixel centres)", () => {
  const out = resizeImage(t([1, 2, 2], [0, 1, 2, 3]), 4, 4);
  // Along x: [a, .75a+.25b, .25a+.75b, b]; same along y.
  const row = (a: number, b: number) => [a, 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b, b];
  const r0 = row(0, 1), r1 = row(2, 3);
  const expected = [
    ...r0,
    ...r0.map((v, i) => 0.75 * v + 0.25 * r1[i]),
    ...r0.map((v, i) => 0.25 * v + 0.75 * r1[i]),
    ...r1,
  ];
  assertClose(out.data, expected, 1e-6, "upscale");
});

Deno.test("resizeImage: downscaling 4 -> 2 with and without antialias", () => {
  const img = t([1, 1, 4], [0, 4, 8, 16]);
  // No antialias: sample at x = 0.5 and 2.5 -> means of neighbouring pairs.
  assertClose(resizeImage(img, 1, 2, { antialias: false }).data, [2, 12], 1e-6, "plain");
  // Antialias: triangle of half-width 2 centred at 1 and 3; weights .75,.75,.25 (renormalised at edges).
  const aa0 = (0.75 * 0 + 0.75 * 4 + 0.25 * 8) / 1.75;
  const aa1 = (0.25 * 4 + 0.75 * 8 + 0.75 * 16) / 1.75;
  assertClose(resizeImage(img, 1, 2).data, [aa0, aa1], 1e-6, "antialias");
  // Same size is a copy.
  assert.deepEqual([...resizeImage(img, 1, 4).data], [0, 4, 8, 16]);
});

Deno.test("normalize, toRgb and the B-cos 6-channel encoding", () => {
  assertClose(normalizeImage(t([2, 1, 1], [0.5, 0.2]), [0.5, 0.1], [0.25, 0.2]).data, [0, 0.5], 1e-6);
  assert.deepEqual(toRgb(t([1, 1, 2], [0.1, 0.2])).shape, [3, 1, 2]);
  const enc = bcosEncode(t([3, 1, 2], [0, 1, 0.25, 0.5, 0.75, 0.1]));
  assert.deepEqual(enc.shape, [6, 1, 2]);
  assertClose(enc.data, [0, 1, 0.25, 0.5, 0.75, 0.1, 1, 0, 0.75, 0.5, 0.25, 0.9], 1e-6);
  const gray = bcosEncode(t([1, 1, 1], [0.2]));
  assertClose(gray.data, [0.2, 0.2, 0.2, 0.8, 0.8, 0.8], 1e-6);
});

Deno.test("Rng: determinism, state save/restore, fork, derive", () => {
  const a = new Rng(123), b = new Rng(123);
  const seqA = Array.from({ length: 5 }, () => a.u32());
  assert.deepEqual(seqA, Array.from({ length: 5 }, () => b.u32()));
  assert.notDeepEqual(seqA, Array.from({ length: 5 }, () => new Rng(124).u32()));
  const saved = a.state();
  const next = [a.float(), a.float()];
  a.restore(saved);
  assert.deepEqual([a.float(), a.float()], next);
  assert.deepEqual(Rng.fromState(saved).float(), next[0]);
  const f1 = new Rng(5).fork(1), f2 = new Rng(5).fork(2);
  assert.notEqual(f1.u32(), f2.u32());
  assert.equal(Rng.derive(9, 1, 2).u32(), Rng.derive(9, 1, 2).u32());
  assert.notEqual(Rng.derive(9, 1, 2).u32(), Rng.derive(9, 2, 1).u32());
  const r = new Rng(0);
  for (let i = 0; i < 1000; i++) {
    const v = r.float();
    assert.ok(v >= 0 && v < 1);
    const k = r.intRange(3, 5);
    assert.ok(k >= 3 && k <= 5);
  }
  assert.deepEqual(new Rng(1).permutation(10).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(new Set(new Rng(2).sample([1, 2, 3, 4, 5], 5)).size, 5);
  assert.throws(() => a.restore(-1), /uint32/);
});

Deno.test("randomResizedCrop: bounds, ratio range, box mapping, determinism with the same seed", () => {
  const rng = new Rng(7);
  for (let i = 0; i < 200; i++) {
    const r = sampleResizedCrop(60, 90, rng, [0.08, 1], [3 / 4, 4 / 3]);
    assert.ok(
      r.top >= 0 && r.left >= 0 && r.top + r.height <= 60 && r.left + r.width <= 90,
      JSON.stringify(r),
    );
    assert.ok(r.height > 0 && r.width > 0);
  }
  // Impossible ratio range -> centre-crop fallback with clamped ratio.
  const fb = sampleResizedCrop(10, 100, new Rng(1), [1, 1], [1, 1]);
  assert.deepEqual(fb, { top: 0, left: 45, height: 10, width: 10 });

  const img: HostTensor = { shape: [3, 40, 50], data: new Float32Array(6000).map((_, i) => (i % 97) / 97) };
  const boxes = [{ cls: 1, x0: 0, y0: 0, x1: 50, y1: 40 }];
  const pipe = compose(randomResizedCrop(16, { scale: [0.2, 1] }), randomHorizontalFlip(), bcos6());
  const o1 = pipe({ image: img, boxes }, new Rng(99));
  const o2 = pipe({ image: img, boxes }, new Rng(99));
  const o3 = pipe({ image: img, boxes }, new Rng(100));
  assert.deepEqual(o1.image.shape, [6, 16, 16]);
  assert.deepEqual(o1.image.data, o2.image.data);
  assert.deepEqual(o1.boxes, o2.boxes);
  assert.notDeepEqual(o1.image.data, o3.image.data);
  // The whole-image box covers the whole crop after mapping.
  assertClose([o1.boxes[0].x0, o1.boxes[0].y0, o1.boxes[0].x1, o1.boxes[0].y1], [0, 0, 16, 16], 1e-6);
});

Deno.test("box-aware flip / centre crop / resizeCenterCrop / normalize steps", () => {
  const img = t([1, 2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
  const flipped = randomHorizontalFlip(1)(
    { image: img, boxes: [{ cls: 0, x0: 0, y0: 0, x1: 1, y1: 2 }] },
    new Rng(),
  );
  assert.deepEqual([...flipped.image.data], [4, 3, 2, 1, 8, 7, 6, 5]);
  assert.deepEqual(flipped.boxes, [{ cls: 0, x0: 3, y0: 0, x1: 4, y1: 2 }]);
  const kept = randomHorizontalFlip(0)({ image: img, boxes: [] }, new Rng());
  assert.equal(kept.image, img);
  const cc = centerCrop([2, 2])({
    image: img,
    boxes: [{ cls: 2, x0: 0, y0: 0, x1: 2, y1: 1 }, { cls: 3, x0: 0, y0: 0, x1: 1, y1: 1 }],
  }, new Rng());
  assert.deepEqual([...cc.image.data], [2, 3, 6, 7]);
  assert.deepEqual(cc.boxes, [{ cls: 2, x0: 0, y0: 0, x1: 1, y1: 1 }]);
  const rc = resizeCenterCrop(4, 4)({
    image: t([1, 2, 4], new Array(8).fill(0.5)),
    boxes: [{ cls: 0, x0: 0, y0: 0, x1: 4, y1: 2 }],
  }, new Rng());
  assert.deepEqual(rc.image.shape, [1, 4, 4]);
  assertClose(rc.image.data, new Array(16).fill(0.5), 1e-6);
  assert.deepEqual(rc.boxes, [{ cls: 0, x0: 0, y0: 0, x1: 4, y1: 4 }]);
  const n = normalize([0.5], [0.5])({ image: t([1, 1, 2], [0, 1]), boxes: [] }, new Rng());
  assert.deepEqual([...n.image.data], [-1, 1]);
});
