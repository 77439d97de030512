import assert from "node:assert/strict";
import {
  parseXml,
  xmlChild,
  xmlChildren,
  xmlNumber,
  XmlParseError,
  xmlText,
} from "../../../core/data/xml.ts";
import { parseAnnotationXml } from "../../../core/data/annotation_xml.ts";

Deno.test("parseXml: elements, attributes, entities, CDATA, comments, prolog, doctype", () => {
  const doc = `\ufeff<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE annotation [ <!ELEMENT annotation ANY> ]>
<!-- leading comment -->
<annotation verified='yes' note="a &amp; b">
  <filename>x&lt;1&gt;.jpg</filename>
  <object><name>dog</name><part/></object>
  <object><name><![CDATA[c<a>t]]></name></object>
  <code>&#65;&#x42;</code>
</annotation>
<!-- trailing comment -->
`;
  const root = parseXml(doc, "a.xml");
  assert.equal(root.name, "annotation");
  assert.deepEqual(root.attrs, { verified: "yes", note: "a & b" });
  assert.equal(xmlText(root, "filename", "a.xml"), "x<1>.jpg");
  const objs = xmlChildren(root, "object");
  assert.equal(objs.length, 2);
  assert.equal(xmlChild(objs[0], "part")?.children.length, 0);
  assert.equal(xmlText(objs[1], "name", "a.xml"), "c<a>t");
  assert.equal(xmlText(root, "code", "a.xml"), "AB");
  assert.throws(
    () => xmlText(root, "size/width", "a.xml"),
    /a\.xml: <annotation> has no <size\/width> element/,
  );
  assert.throws(() => xmlNumber(root, "filename", "a.xml"), /a\.xml: <filename> is not a number/);
});

Deno.test("parseXml: malformed documents raise XmlParseError with file and line", () => {
  const cases: [string, RegExp][] = [
    ["<a>\n<b>\n</a>", /^bad\.xml:3: malformed XML: closing tag <\/a> does not match <b>/],
    ["<a><b></b>", /^bad\.xml:1: malformed XML: unexpected end of file: <a> is not closed/],
    ["<a x=1></a>", /attribute x of <a> is not quoted/],
    ["<a>&bogus;</a>", /unknown entity "&bogus;"/],
    ["<a></a><b/>", /content after the root element/],
    ["text<a/>", /text outside the root element/],
    ["", /no root element/],
    ["<a><!-- open </a>", /unterminated comment/],
    ["</a>", /closing tag <\/a> without an open element/],
  ];
  for (const [src, re] of cases) {
    assert.throws(() => parseXml(src, "bad.xml"), (e: Error) => {
      assert.ok(e instanceof XmlParseError, src);
      assert.equal((e as XmlParseError).file, "bad.xml");
      assert.match(e.message, re, src);
      return true;
    });
  }
});

Deno.test("parseAnnotationXml: PASCAL 1-based boxes, difficult flag, size, 0-based option", () => {
  const xml = `<annotation><filename>1.jpg</filename><size><width>50</width><height>40</height></size>
    <object><name>dog</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>20</ymax></bndbox></object>
    <object><name>cat</name><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>6</xmax><ymax>6</ymax></bndbox></object></annotation>`;
  const a = parseAnnotationXml(xml, "1.xml");
  assert.equal(a.width, 50);
  assert.equal(a.height, 40);
  assert.deepEqual(a.objects, [
    { name: "dog", difficult: true, x0: 0, y0: 1, x1: 10, y1: 20 },
    { name: "cat", difficult: false, x0: 4, y0: 4, x1: 6, y1: 6 },
  ]);
  assert.deepEqual(parseAnnotationXml(xml, "1.xml", { oneBased: false }).objects[1], {
    name: "cat",
    difficult: false,
    x0: 5,
    y0: 5,
    x1: 7,
    y1: 7,
  });
  assert.throws(() => parseAnnotationXml("<foo/>", "f.xml"), /f\.xml: root element is <foo>/);
  assert.throws(
    () => parseAnnotationXml("<annotation><object><name>x</name></object></annotation>", "g.xml"),
    /g\.xml: <object> "x" has no <bndbox>/,
  );
});
