import assert from "node:assert/strict";
import { join } from "node:path";
import { readPytorchCheckpoint } from "../../../core/io/pytorch.ts";
import { bytesRandomAccess } from "../../../core/io/random_access.ts";
import { ZipArchive } from "../../../core/io/zip.ts";
import {
  pickleDumps,
  PyGlobal,
  PyNewObj,
  type PyOrderedDict,
  PyPersistent,
  PyReduce,
  PyTuple,
  type PyValue,
} from "./pickle_writer.ts";
import {
  concat,
  f32Bytes,
  f32Tensor,
  f64Bytes,
  i64Bytes,
  legacyPreamble,
  stateDict,
  torchSaveLegacy,
  torchSaveZip,
  TStorage,
  TTensor,
  u16Bytes,
} from "./torch_save_encoder.ts";
import { writeZip } from "./zip_writer.ts";
import { withTempDir } from "../../util/temp_dir.ts";

/** A state dict exercising dtypes, parameters, scalars and strided views. */
function sampleStateDict(): PyOrderedDict {
  const shared = new TStorage("F32", f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
  return stateDict([
    ["conv.weight", f32Tensor([2, 1, 2], [1, -2, 3.5, 4])],
    ["conv.bias", new TTensor(new TStorage("F32", f32Bytes([0.5, -0.5])), [2], undefined, 0, true)],
    ["half", new TTensor(new TStorage("F16", u16Bytes([0x3c00, 0xc000, 0x3800, 0x7bff])), [2, 2])],
    ["bhalf", new TTensor(new TStorage("BF16", u16Bytes([0x3f80, 0x4049])), [2])],
    ["double", new TTensor(new TStorage("F64", f64Bytes([1e-3, -7])), [2])],
    ["bn.num_batches_tracked", new TTensor(new TStorage("I64", i64Bytes([12345])), [])],
    // a 3x4 matrix in `shared`, its transpose, a row slice with an offset and a broadcast (stride 0)
    ["mat", new TTensor(shared, [3, 4])],
    ["mat_t", new TTensor(shared, [4, 3], [1, 4])],
    ["row2", new TTensor(shared, [4], [1], 8)],
    ["col1_every_other", new TTensor(shared, [2], [8], 1)],
    ["expanded", new TTensor(shared, [2, 3], [0, 1], 4)],
    ["empty", new TTensor(new TStorage("F32", new Uint8Array(0)), [0, 3])],
  ]);
}

function checkSample(t: Map<string, { shape: number[]; data: Float32Array }>, prefix = ""): void {
  const get = (k: string) => {
    const v = t.get(prefix + k);
    assert.ok(v, `missing ${prefix + k}; have ${[...t.keys()]}`);
    return v;
  };
  assert.equal(t.size, 12);
  assert.deepEqual(get("conv.weight").shape, [2, 1, 2]);
  assert.deepEqual([...get("conv.weight").data], [1, -2, 3.5, 4]);
  assert.deepEqual([...get("conv.bias").data], [0.5, -0.5]);
  assert.deepEqual([...get("half").data], [1, -2, 0.5, 65504]);
  assert.deepEqual([...get("bhalf").data], [1, 3.140625]);
  assert.deepEqual([...get("double").data], [Math.fround(1e-3), -7]);
  assert.deepEqual(get("bn.num_batches_tracked").shape, []);
  assert.deepEqual([...get("bn.num_batches_tracked").data], [12345]);
  assert.deepEqual([...get("mat").data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(get("mat_t").shape, [4, 3]);
  assert.deepEqual([...get("mat_t").data], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assert.deepEqual([...get("row2").data], [8, 9, 10, 11]);
  assert.deepEqual([...get("col1_every_other").data], [1, 9]);
  assert.deepEqual([...get("expanded").data], [4, 5, 6, 4, 5, 6]);
  assert.deepEqual(get("empty").shape, [0, 3]);
  assert.equal(get("empty").data.length, 0);
}

Deno.test("pytorch: zip checkpoint with F32/F16/BF16/F64/I64 tensors, parameters and strided views", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.pth");
    await Deno.writeFile(path, await torchSaveZip(sampleStateDict()));
    const t = await readPytorchCheckpoint(path);
    checkSample(t);
    assert.deepEqual(
      [...t.keys()].slice(0, 3),
      ["conv.weight", "conv.bias", "half"],
      "state dict order kept",
    );
  });
});

Deno.test("pytorch: deflated ZIP64 archive with a custom root name and no byteorder record", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.pt");
    await Deno.writeFile(
      path,
      await torchSaveZip(sampleStateDict(), {
        archiveName: "model",
        deflate: true,
        zip64: true,
        noByteorder: true,
      }),
    );
    checkSample(await readPytorchCheckpoint(path));
  });
});

Deno.test("pytorch: legacy (pre-1.6) format", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "legacy.pth");
    const bytes = torchSaveLegacy(sampleStateDict());
    assert.equal(bytes[0], 0x80);
    await Deno.writeFile(path, bytes);
    checkSample(await readPytorchCheckpoint(path));
  });
});

Deno.test("pytorch: nested state_dict with module. prefix stripping", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "ddp.pth");
    const inner = new Map<PyValue, PyValue>([
      ["module.x", f32Tensor([2], [1, 2])],
      ["module.backbone.y", f32Tensor([1], [3])],
      ["z", f32Tensor([1], [4])],
    ]);
    const ckpt = new Map<PyValue, PyValue>([
      ["epoch", 7],
      ["state_dict", inner],
      [
        "optimizer",
        new Map<PyValue, PyValue>([["param_groups", [new Map<PyValue, PyValue>([["lr", 0.1]])]]]),
      ],
    ]);
    await Deno.writeFile(path, await torchSaveZip(ckpt));
    const plain = await readPytorchCheckpoint(path);
    assert.deepEqual([...plain.keys()], ["module.x", "module.backbone.y", "z"]);
    const stripped = await readPytorchCheckpoint(path, { stripPrefixes: ["module.", "backbone."] });
    assert.deepEqual([...stripped.keys()], ["x", "y", "z"]);
    assert.deepEqual([...stripped.get("x")!.data], [1, 2]);
    await assert.rejects(
      readPytorchCheckpoint(path, { stripPrefixes: ["module.", "backbone.", "y"] }),
      /stripping prefixes leaves key 'module\.backbone\.y' empty/,
    );
  });
});

Deno.test("pytorch: DINO-style checkpoint picks the teacher; entry overrides; args are inert", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "dino.pth");
    const args = new PyNewObj(
      new PyGlobal("argparse", "Namespace"),
      new PyTuple([]),
      new Map<PyValue, PyValue>([["arch", "vit_small"], ["lr", 0.0005]]),
    );
    const ckpt = new Map<PyValue, PyValue>([
      ["student", new Map<PyValue, PyValue>([["module.backbone.w", f32Tensor([1], [1])]])],
      [
        "teacher",
        new Map<PyValue, PyValue>([["backbone.w", f32Tensor([1], [2])], ["head.w", f32Tensor([1], [3])]]),
      ],
      [
        "optimizer",
        new Map<PyValue, PyValue>([[
          "state",
          new Map<PyValue, PyValue>([[0, new Map<PyValue, PyValue>([["exp_avg", f32Tensor([1], [9])]])]]),
        ]]),
      ],
      ["epoch", 100],
      ["args", args],
    ]);
    await Deno.writeFile(path, await torchSaveZip(ckpt));
    const teacher = await readPytorchCheckpoint(path, { stripPrefixes: ["backbone."] });
    assert.deepEqual([...teacher.keys()], ["w", "head.w"]);
    assert.deepEqual([...teacher.get("w")!.data], [2]);
    const student = await readPytorchCheckpoint(path, {
      entry: "student",
      stripPrefixes: ["module.", "backbone."],
    });
    assert.deepEqual([...student.keys()], ["w"]);
    assert.deepEqual([...student.get("w")!.data], [1]);
    const optimizer = await readPytorchCheckpoint(path, { entry: "optimizer" });
    assert.deepEqual([...optimizer.keys()], ["state.0.exp_avg"]);
    await assert.rejects(
      readPytorchCheckpoint(path, { entry: "ema" }),
      /dino\.pth: entry 'ema' not found \(top-level keys: student, teacher/,
    );
    await assert.rejects(readPytorchCheckpoint(path, { entry: "epoch" }), /entry 'epoch' holds no tensors/);
  });
});

Deno.test("pytorch: a pickle referencing os.system is refused and nothing runs", async () => {
  await withTempDir(async (dir) => {
    const marker = join(dir, "pwned");
    const evil = new PyReduce(new PyGlobal("os", "system"), new PyTuple([`touch ${marker}`]));
    const pickle = pickleDumps(new Map<PyValue, PyValue>([["weight", evil]]));
    const zipPath = join(dir, "evil.pth");
    await Deno.writeFile(zipPath, await writeZip([{ name: "archive/data.pkl", data: pickle }]));
    await assert.rejects(readPytorchCheckpoint(zipPath), {
      message:
        `refusing to load checkpoint ${zipPath}: pickle references os.system, which is not in the allowlist of state-dict types`,
    });
    // the same payload in the legacy container
    const legacyPath = join(dir, "evil_legacy.pt");
    await Deno.writeFile(legacyPath, concat([legacyPreamble(), pickle, pickleDumps([])]));
    await assert.rejects(
      readPytorchCheckpoint(legacyPath),
      /refusing to load checkpoint .*evil_legacy\.pt: pickle references os\.system/,
    );
    assert.throws(() => Deno.statSync(marker), Deno.errors.NotFound, "os.system was not executed");
  });
});

Deno.test("pytorch: truncated and inconsistent checkpoints give errors naming the file and key", async () => {
  await withTempDir(async (dir) => {
    const good = await torchSaveZip(sampleStateDict());
    const cut = join(dir, "cut.pth");
    await Deno.writeFile(cut, good.subarray(0, good.length - 100));
    await assert.rejects(
      readPytorchCheckpoint(cut),
      new RegExp(`${cut}: zip end-of-central-directory record not found`),
    );

    const legacy = torchSaveLegacy(sampleStateDict());
    const cutLegacy = join(dir, "cut_legacy.pth");
    await Deno.writeFile(cutLegacy, legacy.subarray(0, legacy.length - 3));
    await assert.rejects(
      readPytorchCheckpoint(cutLegacy),
      new RegExp(`${cutLegacy}: file is truncated: storage '\\d+'`),
    );
    const cutPickle = join(dir, "cut_pickle.pth");
    await Deno.writeFile(cutPickle, legacy.subarray(0, 300));
    await assert.rejects(
      readPytorchCheckpoint(cutPickle),
      new RegExp(`${cutPickle}: file is truncated inside its pickles`),
    );

    // a view that reaches past its storage
    const small = new TStorage("F32", f32Bytes([1, 2]));
    const bad = join(dir, "bad_view.pth");
    await Deno.writeFile(bad, await torchSaveZip(stateDict([["fc.weight", new TTensor(small, [2, 2])]])));
    await assert.rejects(
      readPytorchCheckpoint(bad),
      new RegExp(
        `${bad}: tensor 'fc\\.weight': view \\(offset 0, size \\[2,2\\], stride \\[2,1\\]\\) reaches element 3`,
      ),
    );

    // a storage record missing from the archive
    const pickle = pickleDumps(new Map<PyValue, PyValue>());
    const noStorage = join(dir, "no_storage.pth");
    const withRef = await torchSaveZip(stateDict([["w", f32Tensor([1], [1])]]));
    const zip = await ZipArchive.open(bytesRandomAccess(withRef));
    await Deno.writeFile(
      noStorage,
      await writeZip([{ name: "archive/data.pkl", data: await zip.read("archive/data.pkl") }]),
    );
    await assert.rejects(
      readPytorchCheckpoint(noStorage),
      /no_storage\.pth: storage record 'archive\/data\/0' is missing/,
    );

    const empty = join(dir, "empty.pth");
    await Deno.writeFile(empty, await writeZip([{ name: "archive/data.pkl", data: pickle }]));
    await assert.rejects(readPytorchCheckpoint(empty), /empty\.pth: no tensors found in the checkpoint/);

    const notTorch = join(dir, "notes.pth");
    await Deno.writeTextFile(notTorch, "hello");
    await assert.rejects(readPytorchCheckpoint(notTorch), /notes\.pth: not a PyTorch checkpoint/);
    const plainPickle = join(dir, "plain.pth");
    await Deno.writeFile(plainPickle, pickleDumps(new Map<PyValue, PyValue>([["a", 1]])));
    await assert.rejects(
      readPytorchCheckpoint(plainPickle),
      /plain\.pth: not a PyTorch checkpoint \(a pickle, but without/,
    );
  });
});

Deno.test("pytorch: a legacy pickled nn.Module is refused", async () => {
  await withTempDir(async (dir) => {
    // a main pickle whose persistent id is ('module', type, source file, source), as for torch.save(model)
    const main = pickleDumps(
      new PyPersistent(new PyTuple(["module", "Net", "/src/net.py", "class Net: ..."])),
    );
    const path = join(dir, "module.pt");
    await Deno.writeFile(path, concat([legacyPreamble(), main, pickleDumps([])]));
    await assert.rejects(readPytorchCheckpoint(path), /module\.pt: checkpoint contains a pickled nn\.Module/);
  });
});
