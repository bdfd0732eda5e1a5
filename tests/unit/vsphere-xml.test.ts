import { describe, expect, it } from "vitest";
import { child, parseXml, XmlSyntaxError } from "@/server/collectors/vsphere/xml";
import { fixture } from "../fixtures/vsphere/replay";

describe("vsphere XML reader", () => {
  it("reads elements by local name, text with entities and CDATA, xsi:type and a reference's type", () => {
    const root = parseXml(
      `<?xml version="1.0"?><!-- a comment --><soap:Envelope xmlns:soap="s" xmlns:xsi="i"><soap:Body>` +
        `<val xsi:type="xsd:string">a &lt;b&gt; &amp; &quot;c&quot; &#233;&#x263A;</val>` +
        `<val XMLSchema-instance:type="ManagedObjectReference" type="HostSystem">host-21</val>` +
        `<empty/><empty attr='x' /><c><![CDATA[<raw> & ]]></c>` +
        `</soap:Body></soap:Envelope>`,
    );
    expect(root.name).toBe("Envelope");
    const body = child(root, "Body")!;
    expect(body.children.map((c) => c.name)).toEqual(["val", "val", "empty", "empty", "c"]);
    expect(body.children[0]).toMatchObject({ xsiType: "string", type: "", text: 'a <b> & "c" é☺' });
    expect(body.children[1]).toMatchObject({ xsiType: "ManagedObjectReference", type: "HostSystem", text: "host-21" });
    expect(body.children[2]).toMatchObject({ text: "", children: [] });
    expect(body.children[4]!.text).toBe("<raw> & ");
  });

  it("hands elements to a handler as they end and can drop them from the tree", () => {
    const seen: string[] = [];
    const root = parseXml("<a><b><c>1</c></b><b><c>2</c></b><d/></a>", (e, depth) => {
      if (e.name === "b" && depth === 2) {
        seen.push(child(e, "c")!.text);
        return true;
      }
      return false;
    });
    expect(seen).toEqual(["1", "2"]);
    expect(root.children.map((c) => c.name)).toEqual(["d"]);
  });

  it("reads every recorded answer", () => {
    for (const name of ["service-content.xml", "retrieve-hosts.xml", "retrieve-vms-page1.xml", "fault-invalid-login.xml"]) {
      expect(parseXml(fixture(name)).name).toBe("Envelope");
    }
  });

  it.each([
    ["<a><b></a>", /unexpected <\/a>/],
    ["<a>", /unexpected end of document inside <a>/],
    ["<a><b>cut in the middle of a text", /unexpected end of document inside <b>/],
    ["<a></a><b></b>", /more than one root element/],
    ["text<a/>", /text outside the root element/],
    ["<a/>trailing", /text after the root element/],
    ["<a>&bogus;</a>", /unknown entity &bogus;/],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', /DOCTYPE/],
    ["<a b=c></a>", /bad attribute/],
    ['<a b="c></a>', /unterminated attribute/],
    ["<a><!-- open", /unterminated comment/],
    ["", /no root element/],
    ["<a></b>", /unexpected <\/b>/],
  ])("refuses malformed XML: %s", (xml, message) => {
    expect(() => parseXml(xml)).toThrow(XmlSyntaxError);
    expect(() => parseXml(xml)).toThrow(message);
  });

  it("refuses a truncated answer", () => {
    const text = fixture("retrieve-vms-page1.xml");
    expect(() => parseXml(text.slice(0, text.length / 2))).toThrow(/unexpected end of document|unterminated/);
  });
});
