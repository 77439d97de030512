/**
 * A tiny non-validating XML parser, enough for PASCAL VOC / ImageNet annotation files: elements,
 * attributes, text, CDATA, comments, processing instructions, a DOCTYPE without internal entity
 * definitions, and the five predefined plus numeric character entities. Namespaces are not interpreted.
 * Malformed input raises {@link XmlParseError} naming the file and line.
 *
 * @module
 */

/** A parsed element. */
export interface XmlElement {
  /** Tag name. */
  name: string;
  /** Attributes (entities decoded). */
  attrs: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** The element's own text content (direct text and CDATA, concatenated, trimmed). */
  text: string;
}

/**
 * Raised for malformed XML; names the file and the 1-based line.
 *
 * @example
 * ```ts
 * import { parseXml, XmlParseError } from "./xml.ts";
 * try {
 *   parseXml("<a>\n<b></a>", "000001.xml");
 * } catch (e) {
 *   console.log(e instanceof XmlParseError && e.line); // 2
 * }
 * ```
 */
export class XmlParseError extends Error {
  /** The file being parsed. */
  readonly file: string;
  /** 1-based line of the problem. */
  readonly line: number;
  /** Creates the error; the message is prefixed with `file:line`. */
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: malformed XML: ${message}`);
    this.name = "XmlParseError";
    this.file = file;
    this.line = line;
  }
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/**
 * Parses an XML document and returns its root element.
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * const root = parseXml('<a x="1"><b>hi &amp; bye</b><c/></a>', "doc.xml");
 * console.log(root.attrs.x, root.children[0].text); // "1" "hi & bye"
 * ```
 */
export function parseXml(source: string, file: string): XmlElement {
  let i = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (msg: string, at = i): never => {
    let line = 1;
    for (let k = 0; k < at && k < source.length; k++) if (source.charCodeAt(k) === 10) line++;
    throw new XmlParseError(file, line, msg);
  };
  const decode = (s: string, at: number): string =>
    s.replace(/&([^;&\s]*);?/g, (m, ent: string) => {
      if (!m.endsWith(";")) fail(`unterminated entity "${m}"`, at);
      if (ent.startsWith("#x") || ent.startsWith("#X")) {
        const code = parseInt(ent.slice(2), 16);
        if (Number.isNaN(code)) fail(`bad character reference "${m}"`, at);
        return String.fromCodePoint(code);
      }
      if (ent.startsWith("#")) {
        const code = parseInt(ent.slice(1), 10);
        if (Number.isNaN(code)) fail(`bad character reference "${m}"`, at);
        return String.fromCodePoint(code);
      }
      const v = ENTITIES[ent];
      if (v === undefined) fail(`unknown entity "${m}"`, at);
      return v as string;
    });
  const skipPast = (end: string, what: string) => {
    const k = source.indexOf(end, i);
    if (k < 0) fail(`unterminated ${what}`);
    i = k + end.length;
  };
  const readName = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(source);
    if (!m) fail(`expected a name, found ${JSON.stringify(source.slice(i, i + 10))}`);
    i = NAME.lastIndex;
    return (m as RegExpExecArray)[0];
  };
  const skipWs = () => {
    while (i < source.length && /\s/.test(source[i])) i++;
  };

  const stack: { el: XmlElement; parts: string[] }[] = [];
  let root: XmlElement | undefined;
  while (i < source.length) {
    if (source.startsWith("<?", i)) skipPast("?>", "processing instruction");
    else if (source.startsWith("<!--", i)) skipPast("-->", "comment");
    else if (source.startsWith("<![CDATA[", i)) {
      const start = i + 9;
      skipPast("]]>", "CDATA section");
      if (stack.length === 0) fail("CDATA outside the root element", start);
      stack[stack.length - 1].parts.push(source.slice(start, i - 3));
    } else if (source.startsWith("<!DOCTYPE", i)) {
      const k = source.indexOf("[", i), close = source.indexOf(">", i);
      if (k >= 0 && (close < 0 || k < close)) skipPast("]", "DOCTYPE");
      skipPast(">", "DOCTYPE");
    } else if (source.startsWith("</", i)) {
      const at = i;
      i += 2;
      const name = readName();
      skipWs();
      if (source[i] !== ">") fail(`expected ">" after </${name}`);
      i++;
      const top = stack.pop();
      if (!top) fail(`closing tag </${name}> without an open element`, at);
      else if (top.el.name !== name) fail(`closing tag </${name}> does not match <${top.el.name}>`, at);
      else {
        top.el.text = top.parts.join("").trim();
        if (stack.length === 0) root = top.el;
      }
    } else if (source[i] === "<") {
      const at = i;
      i++;
      if (root !== undefined && stack.length === 0) fail("content after the root element", at);
      const el: XmlElement = { name: readName(), attrs: {}, children: [], text: "" };
      for (;;) {
        skipWs();
        if (i >= source.length) fail(`unterminated start tag <${el.name}`, at);
        if (source.startsWith("/>", i)) {
          i += 2;
          if (stack.length) stack[stack.length - 1].el.children.push(el);
          else root = el;
          break;
        }
        if (source[i] === ">") {
          i++;
          if (stack.length) stack[stack.length - 1].el.children.push(el);
          stack.push({ el, parts: [] });
          break;
        }
        const attr = readName();
        skipWs();
        if (source[i] !== "=") fail(`attribute ${attr} of <${el.name}> has no value`);
        i++;
        skipWs();
        const q = source[i];
        if (q !== '"' && q !== "'") fail(`attribute ${attr} of <${el.name}> is not quoted`);
        const end = source.indexOf(q, i + 1);
        if (end < 0) fail(`unterminated attribute ${attr} of <${el.name}>`);
        el.attrs[attr] = decode(source.slice(i + 1, end), i);
        i = end + 1;
      }
    } else {
      const start = i;
      const k = source.indexOf("<", i);
      i = k < 0 ? source.length : k;
      const raw = source.slice(start, i);
      if (stack.length === 0) {
        if (raw.trim() !== "") fail(`text outside the root element`, start);
      } else stack[stack.length - 1].parts.push(decode(raw, start));
    }
  }
  if (stack.length > 0) fail(`unexpected end of file: <${stack[stack.length - 1].el.name}> is not closed`);
  if (root === undefined) fail("no root element");
  return root as XmlElement;
}

/**
 * First child element with the given tag name.
 *
 * @example
 * ```ts
 * import { parseXml, xmlChild } from "./xml.ts";
 * console.log(xmlChild(parseXml("<a><b>1</b></a>", "x.xml"), "b")?.text); // "1"
 * ```
 */
export function xmlChild(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/**
 * All child elements with the given tag name.
 *
 * @example
 * ```ts
 * import { parseXml, xmlChildren } from "./xml.ts";
 * console.log(xmlChildren(parseXml("<a><b/><c/><b/></a>", "x.xml"), "b").length); // 2
 * ```
 */
export function xmlChildren(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/**
 * Text of the element at a slash-separated path below `el`; throws an error naming `file` when missing.
 *
 * @example
 * ```ts
 * import { parseXml, xmlText } from "./xml.ts";
 * console.log(xmlText(parseXml("<o><bndbox><xmin>3</xmin></bndbox></o>", "a.xml"), "bndbox/xmin", "a.xml")); // "3"
 * ```
 */
export function xmlText(el: XmlElement, path: string, file: string): string {
  let cur: XmlElement | undefined = el;
  for (const part of path.split("/")) {
    cur = cur && xmlChild(cur, part);
    if (!cur) throw new Error(`${file}: <${el.name}> has no <${path}> element`);
  }
  return (cur as XmlElement).text;
}

/**
 * Numeric text at a path below `el`; throws an error naming `file` when missing or not a number.
 *
 * @example
 * ```ts
 * import { parseXml, xmlNumber } from "./xml.ts";
 * console.log(xmlNumber(parseXml("<s><width>500</width></s>", "a.xml"), "width", "a.xml")); // 500
 * ```
 */
export function xmlNumber(el: XmlElement, path: string, file: string): number {
  const s = xmlText(el, path, file);
  const v = Number(s);
  if (s === "" || !Number.isFinite(v)) {
    throw new Error(`${file}: <${path}> is not a number: ${JSON.stringify(s)}`);
  }
  return v;
}
