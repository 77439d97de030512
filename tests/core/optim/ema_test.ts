import assert from "node:assert/strict";
import { gpu, initGpu } from "../../../core/gpu/device.ts";
import { copyInto, Ema, emaUpdate } from "../../../core/optim/mod.ts";
import { assertClose } from "../../util/assert_close.ts";
import { randomHost } from "../../util/op_check.ts";
import { counters, randomParam } from "./reference.ts";

await initGpu();

const SIZES = [1, 7, 33, 130];

/** Overwrites a parameter's values (as an optimiser step would) and its float64 copy. */
function perturb(p: { t: ReturnType<typeof randomParam>["t"]; ref: Float64Array }, seed: number): void {
  const h = randomHost([...p.t.shape], seed);
  gpu().runtime.upload(p.t.buffer, h.data);
  p.ref.set(h.data);
}

Deno.test("Ema: owned shadow starts as a copy, then follows d*shadow + (1-d)*param with per-call decay", async () => {
  const params = SIZES.map((n, i) => randomParam([n], 10 + i));
  const ema = new Ema({ params: params.map((p) => p.t), decay: 0.9 });
  const shadow = params.map((p) => Float64Array.from(p.ref));
  for (const [i, s] of ema.shadow.entries()) assertClose(await s.read(), shadow[i], 0, "initial copy");
  const decays = [undefined, 0.5, 0.99, 0];
  for (const [step, d] of decays.entries()) {
    params.forEach((p, i) => perturb(p, 100 * step + i));
    const before = counters();
    ema.update(d);
    const after = counters();
    assert.equal(after.dispatches - before.dispatches, SIZES.length, "one dispatch per tensor");
    assert.equal(after.readbacks, before.readbacks, "no readback");
    const decay = d ?? 0.9;
    shadow.forEach((s, i) => s.forEach((v, j) => (s[j] = decay * v + (1 - decay) * params[i].ref[j])));
  }
  assert.equal(ema.updates, decays.length);
  for (const [i, s] of ema.shadow.entries()) {
    assertClose(await s.read(), shadow[i], 1e-6, `shadow ${SIZES[i]}`);
  }
  // copyInto: load the averages into the parameters
  ema.copyInto();
  for (const [i, p] of params.entries()) assertClose(await p.t.read(), shadow[i], 1e-6, "copied back");
  ema.dispose();
  assert.ok(ema.shadow.every((s) => s.disposed));
  for (const p of params) p.t.dispose();
});

Deno.test("Ema: a given shadow (teacher) is initialised from the student unless told not to; state round trip", async () => {
  const student = SIZES.map((n, i) => randomParam([n], 20 + i));
  const teacher = SIZES.map((n, i) => randomParam([n], 30 + i));
  const keepTeacher = new Ema({
    params: student.map((p) => p.t),
    shadow: teacher.map((p) => p.t),
    decay: 0.996,
    initialise: false,
  });
  for (const t of teacher) assertClose(await t.t.read(), t.ref, 0, "teacher kept");
  keepTeacher.update();
  const expected = teacher.map((t, i) => t.ref.map((v, j) => 0.996 * v + 0.004 * student[i].ref[j]));
  for (const [i, t] of teacher.entries()) assertClose(await t.t.read(), expected[i], 1e-6, "teacher update");
  const sd = await keepTeacher.stateDict();
  assert.equal(sd.updates, 1);

  const ema = new Ema({ params: student.map((p) => p.t), shadow: teacher.map((p) => p.t), decay: 0.5 });
  for (const [i, t] of teacher.entries()) {
    assertClose(await t.t.read(), student[i].ref, 0, "teacher = student");
  }
  ema.loadStateDict(sd);
  assert.equal(ema.decay, 0.996);
  for (const [i, t] of teacher.entries()) assertClose(await t.t.read(), sd.shadow[i].data, 0, "restored");
  ema.dispose(); // not owned: the teacher stays
  assert.ok(teacher.every((t) => !t.t.disposed));
  for (const p of [...student, ...teacher]) p.t.dispose();
});

Deno.test("emaUpdate / copyInto: functional forms check sizes", async () => {
  const a = randomParam([7], 1);
  const b = randomParam([7], 2);
  emaUpdate([a.t], [b.t], 0.25);
  assertClose(await a.t.read(), a.ref.map((v, j) => 0.25 * v + 0.75 * b.ref[j]), 1e-6);
  copyInto([b.t], [a.t]);
  assertClose(await a.t.read(), b.ref, 0);
  const c = randomParam([3], 3);
  assert.throws(() => emaUpdate([a.t], [c.t], 0.5), /size/);
  assert.throws(() => emaUpdate([a.t], [b.t], 1.5), /decay/);
  for (const p of [a, b, c]) p.t.dispose();
});
