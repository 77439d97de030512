import assert from "node:assert/strict";
import { buildColorImageFolder } from "./image_trees.ts";
import { writeTruncatedJpeg } from "../core/data/tree_builders.ts";

const TASK = new URL("../../tasks/probe.ts", import.meta.url).pathname;

async function run(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, ...args],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("probe: --help exits 0; bad flags exit 2 with one line", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  for (const flag of ["--backbone", "--probe", "--loss", "--epochs", "--out", "--multilabel"]) {
    assert.ok(help.stdout.includes(flag), `help mentions ${flag}`);
  }
  const base = ["--backbone", "random", "--arch", "resnet_tiny", "--epochs", "1", "--out", "x"];
  const cases: [string[], RegExp][] = [
    [["--nope"], /nope/],
    [[...base, "--probe", "svm", "--loss", "ce"], /--probe must be one of/],
    [[...base, "--probe", "linear", "--loss", "mse"], /--loss must be one of/],
    [[...base, "--probe", "linear", "--loss", "ce", "--multilabel"], /--multilabel needs --loss bce/],
    [
      ["--backbone", "random", "--probe", "linear", "--loss", "ce", "--epochs", "1", "--out", "x"],
      /needs --arch/,
    ],
    [[...base, "--probe", "linear", "--loss", "ce", "--limit", "0"], /--limit must be an integer/],
    [[...base, "--probe", "linear", "--loss", "ce", "--augment", "heavy"], /--augment must be one of/],
    [
      [...base, "--probe", "linear", "--loss", "ce", "--lr", "0.1,0.1"],
      /--lr must be a comma-separated list/,
    ],
    [
      [...base, "--probe", "linear", "--loss", "ce", "--val-fraction", "1"],
      /--val-fraction must be in \(0, 1\)/,
    ],
    [
      [...base, "--probe", "linear", "--loss", "ce", "--bce-off-label", "0"],
      /applies to single-label --loss bce/,
    ],
    [
      [...base, "--probe", "linear", "--loss", "bce", "--bce-off-label", "1"],
      /--bce-off-label must be in \[0, 1\)/,
    ],
    [
      [...base, "--probe", "linear", "--loss", "ce", "--augment", "light", "--dataset", "imagenet"],
      /--dataset imagenet needs --data-dir/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const missing = await run([
    "--backbone",
    "/nonexistent/run",
    "--probe",
    "linear",
    "--loss",
    "ce",
    "--epochs",
    "1",
    "--out",
    "x",
  ]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /holds no exported backbone/);
});

Deno.test("probe: trains on a random backbone, caches the features (means for linear probes, maps for MLPs), and later probes hit the cache", async () => {
  const tmp = await Deno.makeTempDir();
  const common = [
    "--backbone",
    "random",
    "--arch",
    "bcos_resnet_tiny",
    "--widths",
    "4,8,8",
    "--epochs",
    "2",
    "--limit",
    "64",
    "--test-limit",
    "32",
    "--batch-size",
    "32",
    "--cache-dir",
    `${tmp}/cache`,
    "--json",
  ];
  try {
    const a = await run([...common, "--probe", "linear", "--loss", "ce", "--out", `${tmp}/a`]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /features computed .* \[64,8,1,1\]/);
    const ra = JSON.parse(a.stdout.trim().split("\n").at(-1)!);
    assert.ok(ra.accuracy >= 0 && ra.accuracy <= 1);
    assert.equal(ra.trainItems, 64);
    assert.equal(ra.testItems, 32);
    const b = await run([
      ...common,
      "--probe",
      "bcos_mlp2",
      "--loss",
      "bce",
      "--hidden",
      "16",
      "--out",
      `${tmp}/b`,
    ]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /features computed .* \[64,8,7,7\]/);
    const saved = JSON.parse(await Deno.readTextFile(`${tmp}/b/result.json`));
    assert.equal(saved.probe, "bcos_mlp2");
    assert.ok((await Deno.stat(`${tmp}/b/probe.safetensors`)).size > 0);
    const c = await run([...common, "--probe", "linear", "--loss", "bce", "--out", `${tmp}/c`]);
    assert.equal(c.code, 0, c.stderr);
    assert.doesNotMatch(c.stderr, /features computed/);
    assert.match(c.stderr, /features from cache/);
    // augmented training: the same run as `a` but on freshly augmented images through the backbone
    const d = await run([
      ...common,
      ...["--probe", "linear", "--loss", "ce", "--augment", "light"],
      "--out",
      `${tmp}/d`,
    ]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stderr, /through the frozen backbone each step/);
    const rd = JSON.parse(d.stdout.trim().split("\n").at(-1)!);
    assert.equal(rd.augment, "light");
    assert.equal(ra.augment, "none");
    assert.equal(rd.epochLoss.length, ra.epochLoss.length);
    assert.notDeepEqual(rd.epochLoss, ra.epochLoss, "augmentation changed nothing");
    assert.ok(rd.accuracy >= 0 && rd.accuracy <= 1);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("probe: --multilabel trains plain 0/1 BCE on Fashion-MNIST scenes and reports F1", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const r = await run([
      "--backbone",
      "random",
      "--arch",
      "resnet_tiny",
      "--widths",
      "4,8,8",
      "--probe",
      "linear",
      "--loss",
      "bce",
      "--multilabel",
      "--epochs",
      "1",
      "--limit",
      "200",
      "--test-limit",
      "100",
      "--scenes",
      "24",
      "--test-scenes",
      "16",
      "--scene-size",
      "84",
      "--batch-size",
      "8",
      "--out",
      tmp,
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.equal(result.multilabel, true);
    assert.ok(result.microF1 >= 0 && result.microF1 <= 1);
    assert.equal(result.accuracy, undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("probe: --lr with several values picks the best on held-out training items, retrains on all of them, and a rerun reuses the candidates' scores", async () => {
  const tmp = await Deno.makeTempDir();
  const args = [
    ...["--backbone", "random", "--arch", "resnet_tiny", "--widths", "4,8,8", "--probe", "linear"],
    ...["--loss", "bce", "--epochs", "2", "--limit", "64", "--test-limit", "32", "--batch-size", "16"],
    ...[
      "--lr",
      "0.00001,0.5",
      "--val-fraction",
      "0.25",
      "--cache-dir",
      `${tmp}/cache`,
      "--out",
      `${tmp}/run`,
    ],
    "--json",
  ];
  try {
    const first = await run(args);
    assert.equal(first.code, 0, first.stderr);
    const r = JSON.parse(first.stdout.trim().split("\n").at(-1)!);
    assert.equal(r.validationItems, 16);
    assert.equal(r.bceOffLabel, 0.1, "single-label BCE records its off-label target, 1/C by default");
    assert.equal(r.trainItems, 64);
    assert.deepEqual(r.lrSearch.map((c: { lr: number }) => c.lr), [0.00001, 0.5]);
    for (const c of r.lrSearch) assert.ok(c.validation >= 0 && c.validation <= 1, JSON.stringify(c));
    const best = r.lrSearch.reduce((a: { validation: number }, b: { validation: number }) =>
      b.validation > a.validation ? b : a
    );
    assert.equal(r.lr, best.lr);
    assert.equal(r.steps, 2 * 4, "the final probe trains on all 64 items (4 batches of 16 per epoch)");
    for (const lr of ["0.00001", "0.5"]) {
      const score = JSON.parse(await Deno.readTextFile(`${tmp}/run/lr_search/lr${Number(lr)}/score.json`));
      assert.equal(score.validation, r.lrSearch.find((c: { lr: number }) => c.lr === Number(lr)).validation);
      await Deno.remove(`${tmp}/run/lr_search/lr${Number(lr)}/checkpoints`, { recursive: true });
    }
    // as after an interruption during the search: no final run yet; --resume starts it
    await Deno.remove(`${tmp}/run/checkpoints`, { recursive: true });
    const second = await run([...args, "--resume"]);
    assert.equal(second.code, 0, second.stderr);
    const r2 = JSON.parse(second.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(r2.lrSearch, r.lrSearch);
    assert.equal(r2.steps, 8);
    for (const lr of [0.00001, 0.5]) {
      await assert.rejects(
        Deno.stat(`${tmp}/run/lr_search/lr${lr}/checkpoints`),
        "a finished candidate is not retrained",
      );
    }
    // the same directory with another loss target: its stored scores are not reused
    const other = await run([...args, "--resume", "--bce-off-label", "0"]);
    assert.equal(other.code, 1, other.stderr);
    assert.match(
      other.stderr,
      /lr0\.00001\/score\.json: scored with a different bceOffLabel; use another output directory/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("probe: --dataset imagenet --augment light streams the training images (a corrupt one skipped with a warning), searches --lr on held-out features, and records augment", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    await buildColorImageFolder(`${tmp}/in`, { classes: 3, perClass: 4, size: 24 });
    const bad = `${tmp}/in/train/n00000002/n00000002_train_9.JPEG`;
    await writeTruncatedJpeg(bad, 24, 24);
    const args = [
      ...["--backbone", "random", "--arch", "resnet_tiny", "--widths", "4,8,8", "--probe", "linear"],
      ...[
        "--loss",
        "ce",
        "--epochs",
        "2",
        "--batch-size",
        "4",
        "--dataset",
        "imagenet",
        "--image-size",
        "16",
      ],
      ...["--data-dir", `${tmp}/in`, "--lr", "0.01,0.3", "--val-fraction", "0.25", "--out", `${tmp}/run`],
    ];
    const r = await run([...args, "--augment", "light", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /through the frozen backbone each step \(--augment light\)/);
    assert.match(r.stderr, new RegExp(`skipping ${bad}: truncated JPEG`));
    assert.match(r.stderr, /held-out features computed/);
    assert.doesNotMatch(r.stderr, /train features/, "the training split is streamed, not embedded");
    const result = JSON.parse(await Deno.readTextFile(`${tmp}/run/result.json`));
    assert.equal(result.augment, "light");
    assert.equal(result.dataset, "imagenet");
    assert.equal(result.trainItems, 13);
    assert.equal(result.testItems, 12);
    assert.equal(result.validationItems, 3);
    assert.deepEqual(result.lrSearch.map((c: { lr: number }) => c.lr), [0.01, 0.3]);
    assert.equal(result.steps, 2 * 4, "the final probe streams all 13 listed images (4 batches of <= 4)");
    assert.ok(result.accuracy >= 0 && result.accuracy <= 1);
    for (const lr of [0.01, 0.3]) {
      const cand = JSON.parse(await Deno.readTextFile(`${tmp}/run/lr_search/lr${lr}/history.json`));
      assert.equal(cand.losses.length, 2 * 3, `lr ${lr}: 10 fit items make 3 batches per epoch`);
    }
    // the runs record augment: resuming without it is refused
    const resumed = await run([...args, "--resume"]);
    assert.equal(resumed.code, 1, resumed.stderr);
    assert.match(resumed.stderr, /lr0\.01\/score\.json: scored with a different augment; use another/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
