import assert from "node:assert/strict";
import { InertObject, loadPickle, PickleTruncatedError } from "../../../core/io/pickle.ts";
import { checkpointPickleOptions, torchGlobalResolver } from "../../../core/io/torch_pickle.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

// pickle.dumps(obj, protocol=p) by CPython 3.11 for
// obj = {'ints': [0, 255, 256, 65535, 65536, -1, -2**31, 2**31, -2**40, 2**64], 'f': 1.5, 'neg': -0.25,
//        'b': (True, False, None), 's': 'héllo ✓', 'nested': {'t': (1, 2, 3, 4), 'e': (), 'one': (7,)},
//        'by': b'\x00\x01\xff', 'set': {3}, 'fs': frozenset([4]), 1: 'int key'}
const PROTO2 =
  "80027d7100285804000000696e747371015d7102284b004bff4d00014dffff4a000001004affffffff4a000000808a0500000080008a060000000000ff8a09000000000000000001655801000000667103473ff800000000000058030000006e6567710447bfd0000000000000580100000062710588894e8771065801000000737107580a00000068c3a96c6c6f20e29c93710858060000006e657374656471097d710a28580100000074710b284b014b024b034b0474710c580100000065710d2958030000006f6e65710e4b0785710f75580200000062797110635f636f646563730a656e636f64650a711158040000000001c3bf711258060000006c6174696e31711386711452711558030000007365747116635f5f6275696c74696e5f5f0a7365740a71175d71184b036185711952711a58020000006673711b635f5f6275696c74696e5f5f0a66726f7a656e7365740a711c5d711d4b046185711e52711f4b015807000000696e74206b65797120752e";
const PROTO4 =
  "800495d1000000000000007d94288c04696e7473945d94284b004bff4d00014dffff4a000001004affffffff4a000000808a0500000080008a060000000000ff8a09000000000000000001658c016694473ff80000000000008c036e65679447bfd00000000000008c01629488894e87948c0173948c0a68c3a96c6c6f20e29c93948c066e6573746564947d94288c017494284b014b024b034b0474948c016594298c036f6e65944b078594758c0262799443030001ff948c03736574948f94284b03908c02667394284b0491944b018c07696e74206b657994752e";
// pickle.dumps({'args': argparse.Namespace(lr=0.1, arch='vit_small', epochs=np.int64(100), wd=np.float64(0.04))}, protocol=2)
const NAMESPACE =
  "80027d710058040000006172677371016361726770617273650a4e616d6573706163650a7102298171037d71042858020000006c727105473fb999999999999a580400000061726368710658090000007669745f736d616c6c7107580600000065706f6368737108636e756d70792e5f636f72652e6d756c746961727261790a7363616c61720a7109636e756d70790a64747970650a710a58020000006938710b898887710c52710d284b0358010000003c710e4e4e4e4affffffff4affffffff4b0074710f62635f636f646563730a656e636f64650a711058080000006400000000000000711158060000006c6174696e3171128671135271148671155271165802000000776471176809680a580200000066387118898887711952711a284b03680e4e4e4e4affffffff4affffffff4b0074711b626810580b0000007b14c2ae47c3a17ac2a43f711c681286711d52711e86711f5271207562732e";

function checkSample(value: unknown): void {
  assert.ok(value instanceof Map);
  const m = value as Map<unknown, unknown>;
  assert.deepEqual(m.get("ints"), [
    0,
    255,
    256,
    65535,
    65536,
    -1,
    -(2 ** 31),
    2 ** 31,
    -(2 ** 40),
    2n ** 64n,
  ]);
  assert.equal(m.get("f"), 1.5);
  assert.equal(m.get("neg"), -0.25);
  assert.deepEqual(m.get("b"), [true, false, null]);
  assert.equal(m.get("s"), "héllo ✓");
  assert.deepEqual(m.get("nested"), new Map<string, unknown>([["t", [1, 2, 3, 4]], ["e", []], ["one", [7]]]));
  assert.deepEqual(m.get("by"), new Uint8Array([0, 1, 255]));
  assert.deepEqual(m.get("set"), new Set([3]));
  assert.deepEqual(m.get("fs"), new Set([4]));
  assert.equal(m.get(1), "int key");
}

Deno.test("pickle: CPython protocol-2 data (with _codecs.encode bytes and __builtin__.set)", () => {
  const bytes = hex(PROTO2);
  const { value, end } = loadPickle(bytes, { resolveGlobal: torchGlobalResolver() });
  assert.equal(end, bytes.length);
  checkSample(value);
});

Deno.test("pickle: CPython protocol-4 data (FRAME, MEMOIZE, SHORT_BINUNICODE, sets, bytes)", () => {
  const { value } = loadPickle(hex(PROTO4));
  checkSample(value);
});

Deno.test("pickle: STACK_GLOBAL resolves allowlisted OrderedDict (protocol 4)", () => {
  // pickle.dumps(collections.OrderedDict(a=1, b=[2.5]), protocol=4)
  const bytes = hex(
    "8004953a000000000000008c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0161944b018c0162945d9447400400000000000061752e",
  );
  const { value } = loadPickle(bytes, { resolveGlobal: torchGlobalResolver() });
  assert.deepEqual(value, new Map<string, unknown>([["a", 1], ["b", [2.5]]]));
});

Deno.test("pickle: argparse.Namespace with numpy scalars becomes inert data", () => {
  const { value } = loadPickle(hex(NAMESPACE), { resolveGlobal: torchGlobalResolver() });
  const args = (value as Map<string, unknown>).get("args");
  assert.ok(args instanceof InertObject);
  assert.equal(args.className, "argparse.Namespace");
  const state = args.state as Map<string, unknown>;
  assert.equal(state.get("lr"), 0.1);
  assert.equal(state.get("arch"), "vit_small");
  assert.equal(state.get("epochs"), 100n);
  assert.equal(state.get("wd"), 0.04);
});

Deno.test("pickle: globals outside the allowlist are refused, naming the global", () => {
  // GLOBAL os.system, ('touch <marker>',), REDUCE: nothing may run
  const marker = Deno.makeTempFileSync();
  Deno.removeSync(marker);
  const evil = ascii(`cos\nsystem\n(X${String.fromCharCode(6 + marker.length, 0, 0, 0)}touch ${marker}tR.`);
  assert.throws(
    () => loadPickle(evil, checkpointPickleOptions("evil.pth")),
    {
      message:
        "refusing to load checkpoint evil.pth: pickle references os.system, which is not in the allowlist of state-dict types",
    },
  );
  assert.throws(() => Deno.statSync(marker), Deno.errors.NotFound, "the command did not run");
  // class E: __reduce__ = lambda self: (eval, ('1+1',)); pickle.dumps(E(), protocol=4) uses STACK_GLOBAL
  const evalPickle = hex(
    "8004951f000000000000008c086275696c74696e73948c046576616c9493948c03312b3194859452942e",
  );
  assert.throws(
    () => loadPickle(evalPickle, checkpointPickleOptions("e.pt")),
    /pickle references builtins\.eval, which is not/,
  );
  // with no resolver at all, every global is refused
  assert.throws(
    () => loadPickle(hex(PROTO2)),
    /pickle references _codecs\.encode, which is not in the allowlist of permitted globals/,
  );
  // marker-only globals cannot be called
  assert.throws(
    () => loadPickle(ascii("ctorch\nFloatStorage\n)R."), checkpointPickleOptions("s.pt")),
    /torch\.FloatStorage may not be called/,
  );
  // _codecs.encode only with latin1
  assert.throws(
    () =>
      loadPickle(
        ascii("c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00utf-7\x86R."),
        checkpointPickleOptions("c.pt"),
      ),
    /only \(str, 'latin1'\)/,
  );
});

Deno.test("pickle: allowInertGlobals admits extra classes as inert objects", () => {
  const bytes = ascii("cmy.pkg\nConfig\n)\x81}X\x01\x00\x00\x00kK\x05sb.");
  assert.throws(
    () => loadPickle(bytes, checkpointPickleOptions("cfg.pt")),
    /pickle references my\.pkg\.Config/,
  );
  const { value } = loadPickle(bytes, checkpointPickleOptions("cfg.pt", ["my.pkg.Config"]));
  assert.ok(value instanceof InertObject);
  assert.equal(value.className, "my.pkg.Config");
  assert.deepEqual(value.state, new Map([["k", 5]]));
});

Deno.test("pickle: text opcodes, DUP/POP, LONG4 and persistent ids", () => {
  assert.equal(loadPickle(ascii("I42\n.")).value, 42);
  assert.equal(loadPickle(ascii("I01\n.")).value, true);
  assert.equal(loadPickle(ascii("L-12345678901234567890L\n.")).value, -12345678901234567890n);
  assert.equal(loadPickle(ascii("F-1.25\n.")).value, -1.25);
  assert.deepEqual(loadPickle(ascii("(K\x01K\x02lp0\n0g0\n.")).value, [1, 2]);
  assert.deepEqual(loadPickle(ascii("K\x072\x86.")).value, [7, 7]);
  assert.equal(loadPickle(ascii("\x8b\x02\x00\x00\x00\xff\x7f.")).value, 32767);
  assert.equal(loadPickle(ascii("\x8a\x01\x80.")).value, -128);
  assert.equal(loadPickle(ascii("\x8a\x00.")).value, 0);
  const seen: unknown[] = [];
  const { value } = loadPickle(ascii("X\x03\x00\x00\x00pidQ.Pabc\n"), {
    persistentLoad: (pid) => {
      seen.push(pid);
      return { loaded: pid };
    },
  });
  assert.deepEqual(value, { loaded: "pid" });
  assert.deepEqual(seen, ["pid"]);
  // several pickles in a row, as the legacy torch format stores them
  const two = ascii("\x80\x02K\x01.\x80\x02K\x02.");
  const first = loadPickle(two);
  assert.deepEqual([first.value, loadPickle(two, {}, first.end).value], [1, 2]);
});

Deno.test("pickle: malformed data gives precise errors", () => {
  assert.throws(() => loadPickle(ascii("\x80\x02}q\x00X\x05\x00\x00\x00ab")), PickleTruncatedError);
  assert.throws(() => loadPickle(ascii("\x80\x02}")), /pickle data is truncated/);
  assert.throws(
    () => loadPickle(ascii("h\x05."), { source: "x.pt" }),
    /x\.pt: corrupt or unsupported pickle at byte 0: memo entry 5/,
  );
  assert.throws(() => loadPickle(ascii("s.")), /stack underflow/);
  assert.throws(() => loadPickle(ascii("K\x01u.")), /no MARK/);
  assert.throws(() => loadPickle(ascii("K\x01K\x02K\x03s.")), /SETITEM\(S\) on a number, not a dict/);
  assert.throws(() => loadPickle(ascii("\x80\x06.")), /protocol 6 is not supported/);
  assert.throws(
    () => loadPickle(ascii("\x82\x01.")),
    /unsupported opcode 0x82 at|byte 0: unsupported opcode 0x82/,
  );
  assert.throws(() => loadPickle(ascii("K\x01Q.")), /no persistent loader/);
  assert.throws(() => loadPickle(ascii("K\x01)R.")), /REDUCE applied to a number/);
  assert.throws(
    () => loadPickle(ascii("]K\x01b.")),
    /BUILD \(setting state\) on a list\/tuple is not supported/,
  );
  assert.throws(() => loadPickle(ascii("X\xff\xff\xff\x7f.")), /needed 2147483647 bytes/);
  assert.throws(() => loadPickle(ascii("\x8b\x00\x00\x01\x00.")), /integer of 65536 bytes is too long/);
});
