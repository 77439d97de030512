/**
 * Label files for a flat ImageNet validation folder:
 *  - `val_labels.txt`: one `<file> <label>` per line (whitespace or comma separated), where `<file>` is the
 *    image file name with or without extension and `<label>` a wnid or a 0-based index into the sorted
 *    wnids; blank lines and lines starting with `#` are ignored.
 *  - `LOC_val_solution.csv` (Kaggle ImageNet localisation): header `ImageId,PredictionString`, rows
 *    `<id>,<wnid> <xmin> <ymin> <xmax> <ymax> [<wnid> ...]`; the first wnid is the label and the boxes are
 *    kept (same coordinate convention as the XML boxes).
 *
 * @module
 */
import type { Box } from "./boxes.ts";

/** Label (and optional boxes) per image stem (file name without extension). */
export type ValLabels = Map<string, { label: number; boxes?: Box[] }>;

/**
 * `<stem>` of a file name: the name without directory and extension.
 *
 * @example
 * ```ts
 * import { fileStem } from "./imagenet_labels.ts";
 * console.log(fileStem("val/ILSVRC2012_val_00000001.JPEG")); // "ILSVRC2012_val_00000001"
 * ```
 */
export function fileStem(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(0, dot) : base;
}

function classOf(token: string, index: Map<string, number>, file: string, line: number): number {
  const byName = index.get(token);
  if (byName !== undefined) return byName;
  if (/^\d+$/.test(token)) {
    const k = Number(token);
    if (k < index.size) return k;
  }
  throw new Error(
    `${file}:${line}: unknown class "${token}" (expected one of the ${index.size} wnids or an index)`,
  );
}

/**
 * Parses a `val_labels.txt` (see module docs).
 *
 * @example
 * ```ts
 * import { parseValLabels } from "./imagenet_labels.ts";
 * const m = parseValLabels("a.JPEG n01\nb n02\n", "val_labels.txt", new Map([["n01", 0], ["n02", 1]]));
 * console.log(m.get("b")?.label); // 1
 * ```
 */
export function parseValLabels(text: string, file: string, index: Map<string, number>): ValLabels {
  const out: ValLabels = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const parts = line.split(/[\s,]+/);
    if (parts.length < 2) {
      throw new Error(`${file}:${i + 1}: expected "<file> <label>", got ${JSON.stringify(line)}`);
    }
    out.set(fileStem(parts[0]), { label: classOf(parts[1], index, file, i + 1) });
  });
  return out;
}

/**
 * Parses a `LOC_val_solution.csv` (see module docs); `oneBased` as in `annotation_xml.ts`.
 *
 * @example
 * ```ts
 * import { parseLocSolution } from "./imagenet_labels.ts";
 * const m = parseLocSolution("ImageId,PredictionString\nv1,n01 1 1 10 10 \n", "LOC.csv", new Map([["n01", 0]]));
 * console.log(m.get("v1")?.boxes?.[0].x1); // 10
 * ```
 */
export function parseLocSolution(
  text: string,
  file: string,
  index: Map<string, number>,
  oneBased = true,
): ValLabels {
  const shift = oneBased ? 1 : 0;
  const out: ValLabels = new Map();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || (i === 0 && line.toLowerCase().startsWith("imageid"))) return;
    const comma = line.indexOf(",");
    if (comma < 0) throw new Error(`${file}:${i + 1}: expected "<ImageId>,<PredictionString>"`);
    const tokens = line.slice(comma + 1).trim().split(/\s+/);
    if (tokens.length === 0 || tokens.length % 5 !== 0) {
      throw new Error(`${file}:${i + 1}: PredictionString must be groups of "<wnid> xmin ymin xmax ymax"`);
    }
    const boxes: Box[] = [];
    for (let k = 0; k < tokens.length; k += 5) {
      const cls = classOf(tokens[k], index, file, i + 1);
      const [x0, y0, x1, y1] = tokens.slice(k + 1, k + 5).map(Number);
      if (![x0, y0, x1, y1].every(Number.isFinite)) {
        throw new Error(`${file}:${i + 1}: non-numeric box coordinate`);
      }
      boxes.push({ cls, x0: x0 - shift, y0: y0 - shift, x1: x1 + 1 - shift, y1: y1 + 1 - shift });
    }
    out.set(fileStem(line.slice(0, comma)), { label: boxes[0].cls, boxes });
  });
  return out;
}
