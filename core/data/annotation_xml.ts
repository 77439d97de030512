/**
 * PASCAL-VOC-style annotation XML (used by VOC and the ImageNet validation boxes):
 * `<annotation><filename/><size><width/><height/></size><object><name/><difficult/><bndbox><xmin/>...`.
 *
 * Coordinates: by default the PASCAL convention is assumed (1-based, inclusive pixel indices), converted
 * to continuous 0-based `[xmin - 1, ymin - 1, xmax, ymax]`; with `oneBased: false` (0-based inclusive
 * indices) the result is `[xmin, ymin, xmax + 1, ymax + 1]`.
 *
 * @module
 */
import { parseXml, xmlChild, xmlChildren, xmlNumber, xmlText } from "./xml.ts";

/** One annotated object. */
export interface XmlObject {
  /** Class name (VOC class, ImageNet wnid). */
  name: string;
  /** The `<difficult>` flag (false when absent). */
  difficult: boolean;
  /** Box in continuous 0-based pixel coordinates. */
  x0: number;
  /** Top edge. */
  y0: number;
  /** Right edge (exclusive). */
  x1: number;
  /** Bottom edge (exclusive). */
  y1: number;
}

/** A parsed annotation file. */
export interface XmlAnnotation {
  /** `<filename>`, when present. */
  filename?: string;
  /** `<size><width>`, when present. */
  width?: number;
  /** `<size><height>`, when present. */
  height?: number;
  /** The objects in document order. */
  objects: XmlObject[];
}

/**
 * Parses an annotation file's text; errors (malformed XML, missing or non-numeric fields, empty boxes)
 * name `file`.
 *
 * @example
 * ```ts
 * import { parseAnnotationXml } from "./annotation_xml.ts";
 * const a = parseAnnotationXml(
 *   "<annotation><object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>5</ymax></bndbox></object></annotation>",
 *   "000001.xml",
 * );
 * console.log(a.objects[0]); // {name: "dog", difficult: false, x0: 0, y0: 0, x1: 10, y1: 5}
 * ```
 */
export function parseAnnotationXml(
  text: string,
  file: string,
  opts: { oneBased?: boolean } = {},
): XmlAnnotation {
  const root = parseXml(text, file);
  if (root.name !== "annotation") {
    throw new Error(`${file}: root element is <${root.name}>, expected <annotation>`);
  }
  const shift = opts.oneBased ?? true ? 1 : 0;
  const size = xmlChild(root, "size");
  const out: XmlAnnotation = { objects: [] };
  const fname = xmlChild(root, "filename");
  if (fname) out.filename = fname.text;
  if (size) {
    out.width = xmlNumber(size, "width", file);
    out.height = xmlNumber(size, "height", file);
  }
  for (const obj of xmlChildren(root, "object")) {
    const name = xmlText(obj, "name", file);
    const bb = xmlChild(obj, "bndbox");
    if (!bb) throw new Error(`${file}: <object> "${name}" has no <bndbox>`);
    const diff = xmlChild(obj, "difficult");
    const o: XmlObject = {
      name,
      difficult: diff !== undefined && diff.text !== "" && Number(diff.text) !== 0,
      x0: xmlNumber(bb, "xmin", file) - shift,
      y0: xmlNumber(bb, "ymin", file) - shift,
      x1: xmlNumber(bb, "xmax", file) + 1 - shift,
      y1: xmlNumber(bb, "ymax", file) + 1 - shift,
    };
    if (!(o.x1 > o.x0 && o.y1 > o.y0)) {
      throw new Error(`${file}: <object> "${name}" has an empty box [${o.x0}, ${o.y0}, ${o.x1}, ${o.y1}]`);
    }
    out.objects.push(o);
  }
  return out;
}
