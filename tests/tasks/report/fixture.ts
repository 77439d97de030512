/**
 * A small hand-made results file whose table cells are easy to compute by hand (see report_test.ts).
 *
 * @module
 */
import type { ResultsFile, RunRecord } from "../../../tasks/report/results.ts";

const key = { dataset: "fashion-mnist", arch: "resnet_small", pretraining: "dino", probe: "linear" };
const fr = [0, 0.5, 1];

function runs(): RunRecord[] {
  const out: RunRecord[] = [];
  for (const seed of [0, 1, 2]) {
    out.push({
      ...key,
      loss: "ce",
      explainer: "lrp",
      seed,
      metrics: {
        accuracy: 70 + 2 * seed,
        gridpg: { "2x2": 40 + 2 * seed, "3x3": 30 },
        deletion: {
          order: "lerf",
          fractions: fr,
          curve: [0.9, 0.4 + 0.1 * seed, 0.1],
          auc: 0.4 + 0.1 * seed,
        },
        gini: 0.3,
        entropy: 9,
      },
    });
    out.push({
      ...key,
      loss: "bce",
      explainer: "lrp",
      seed,
      metrics: {
        accuracy: 71 + 2 * seed,
        gridpg: { "2x2": 80 + 3 * seed },
        deletion: { order: "lerf", fractions: fr, curve: [0.9, 0.8, 0.5], auc: 0.7 },
        gini: 0.5,
        entropy: 7,
      },
    });
    out.push({
      ...key,
      probe: "bcos_mlp3",
      loss: "bce",
      explainer: "lrp",
      seed,
      metrics: { accuracy: 76 + seed, gridpg: { "2x2": 90 + seed } },
    });
  }
  out.push({
    ...key,
    arch: "bcos_resnet_small",
    loss: "ce",
    explainer: "bcos",
    seed: 0,
    metrics: { accuracy: 68, gridpg: { "2x2": 50 } },
  });
  const bins = (a: number, b: number, d: number) => [
    { lo: 0, hi: 0.25, percent: a, count: 5 },
    { lo: 0.25, hi: 0.5, percent: b, count: 4 },
    { lo: 0.5, hi: 0.75, percent: null, count: 0 },
    { lo: 0.75, hi: 1, percent: d, count: 2 },
  ];
  const scene = { ...key, dataset: "fashion-scenes", explainer: "lrp", seed: 0 };
  out.push({ ...scene, loss: "ce", metrics: { f1: 60, epg: { overall: 30, bins: bins(20, 25, 40) } } });
  out.push({ ...scene, loss: "bce", metrics: { f1: 61, epg: { overall: 36, bins: bins(26, 30, 45) } } });
  return out;
}

/**
 * The fixture.
 *
 * @example
 * ```ts ignore
 * const results = fixtureResults();
 * ```
 */
export function fixtureResults(): ResultsFile {
  const n = 4;
  return {
    format: "howtoprobe.results/1",
    preset: "fixture",
    description: "Hand-made results for the report test",
    environment: {
      adapter: { name: "llvmpipe", vendor: "mesa", isFallback: true },
      versions: { deno: "2.9.6", project: "0.1.0" },
      seeds: [0, 1, 2],
      stages: [
        { stage: "probe:linear", seconds: 125, status: "ran", key: "abc" },
        { stage: "explain:lrp", seconds: 30, status: "cached", items: 12 },
      ],
      host: { os: "linux" },
    },
    runs: runs(),
    equivalentProbes: [{
      dataset: "fashion-mnist",
      arch: "resnet_small",
      pretraining: "dino",
      explainer: "lrp",
      target: "Trouser",
      shiftNorm: 2.5,
      probes: [
        { label: "probe 1", ceLoss: 0.4321, bceLoss: 0.1, accuracy: 80, gridpg: 65.7 },
        { label: "probe 2", ceLoss: 0.4321, bceLoss: 1.9, accuracy: 80, gridpg: 11.9 },
      ],
    }],
    qualitative: [{
      title: "LRP, CE vs BCE",
      rowLabels: ["CE", "BCE"],
      colLabels: ["image", "LRP"],
      cells: [
        [{ kind: "image", shape: [1, n, n], data: Array.from({ length: n * n }, (_, i) => i / 16) }, {
          kind: "signed",
          shape: [n, n],
          data: Array.from({ length: n * n }, (_, i) => i - 8),
        }],
        [null, { kind: "signed", shape: [n, n], file: "maps/missing.f32" }],
      ],
    }],
    lossCurves: [{ group: "probe", label: "linear ce", x: [1, 2, 3], loss: [2, 1, null] }],
  };
}
