import { yXmlFragmentToProsemirror } from "@tiptap/y-tiptap";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { richFragment, richText } from "../../../../core/space/tools/note-rich.js";
import { allowedHref } from "./content.js";
import {
  fillFragment,
  fragmentToMarkdown,
  fromMarkdown,
  NoteImportError,
  noteSchema,
} from "./markdown.js";

/** Through the shared doc, as an import then an export does it. */
function roundTrip(markdown: string): string {
  const doc = new Y.Doc();
  const fragment = richFragment(doc, "n");
  doc.transact(() => fillFragment(fragment, fromMarkdown(markdown)));
  // Another device's copy: what it exports is what travelled.
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
  return fragmentToMarkdown(richFragment(other, "n"));
}

const ELEMENTS: Record<string, string> = {
  "heading 1": "# Shopping",
  "heading 2": "## Shopping",
  "heading 3": "### Shopping",
  paragraph: "Plain words here",
  bold: "Some **bold** words",
  italic: "Some *italic* words",
  strike: "Some ~~struck~~ words",
  code: "Some `code` words",
  link: "A [link](https://example.org/a?b=c) here",
  "mailto link": "Write to [Ann](mailto:ann@example.org)",
  "bullet list": "- eggs\n- milk",
  "numbered list": "1. first\n2. second",
  "check list": "- [ ] to do\n- [x] done",
  "nested list": "- outer\n  - inner",
  quote: "> wise words",
  "code block": "```js\nconst x = 1;\n```",
  "horizontal rule": "above\n\n---\n\nbelow",
};

describe("Markdown export and import", () => {
  for (const [name, markdown] of Object.entries(ELEMENTS)) {
    it(`round-trips a ${name}`, () => {
      expect(roundTrip(markdown).trim()).toBe(markdown);
    });
  }

  it("round-trips every element in one note", () => {
    const all = Object.values(ELEMENTS).join("\n\n");
    expect(roundTrip(all).trim()).toBe(all);
  });

  it("drops scripts, images and links to anything but http, https and mailto", () => {
    const md = [
      "[bad](javascript:alert(1)) and [worse](JaVaScRiPt:alert(2)) and [data](data:text/html,x)",
      "<script>alert(3)</script>",
      '<img src="https://evil.example/x.png" onerror="alert(4)">',
      "![photo](https://evil.example/y.png)",
    ].join("\n\n");
    const content = fromMarkdown(md);
    const json = JSON.stringify(content);
    expect(json).not.toContain('"link"');
    expect(json).not.toContain("image");
    const doc = new Y.Doc();
    doc.transact(() => fillFragment(richFragment(doc, "n"), content));
    const out = fragmentToMarkdown(richFragment(doc, "n"));
    expect(out).not.toMatch(/\]\(javascript:/i);
    expect(out).not.toMatch(/!\[/);
    // Text stays text: what was markup shows as characters, nothing runs.
    expect(richText(richFragment(doc, "n"))).toContain("bad and worse");
  });

  it("allows absolute http, https and mailto links only", () => {
    for (const ok of ["https://a.example", "http://a.example/x", "mailto:a@b.example"]) {
      expect(allowedHref(ok)).toBe(true);
    }
    for (const bad of [
      "javascript:alert(1)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "data:text/html,<b>",
      "vbscript:x",
      "/relative",
      "file:///etc/passwd",
      "",
      undefined,
    ]) {
      expect(allowedHref(bad)).toBe(false);
    }
  });

  it("takes any text as a note of the schema, with only allowed links, or refuses it with a typed error", () => {
    const pieces = fc.constantFrom(
      "# ",
      "## ",
      "- ",
      "1. ",
      "- [ ] ",
      "> ",
      "```",
      "\n",
      "\n\n",
      "**",
      "*",
      "~~",
      "`",
      "[x](",
      "javascript:alert(1)",
      "https://a.example",
      "mailto:a@b.example",
      ")",
      "![i](",
      "<script>",
      "</script>",
      "<img src=x onerror=alert(1)>",
      "<a href='javascript:x'>",
      "---",
      "  ",
      "\t",
      "text",
      "|a|b|\n|-|-|",
      "<div>",
      "&amp;",
      "\\",
    );
    const markdown = fc.array(fc.oneof(pieces, fc.string({ maxLength: 5 })), { maxLength: 40 });
    const schema = noteSchema();
    fc.assert(
      fc.property(markdown, (parts) => {
        let content: ReturnType<typeof fromMarkdown>;
        try {
          content = fromMarkdown(parts.join(""));
        } catch (err) {
          expect(err).toBeInstanceOf(NoteImportError);
          return;
        }
        const node = schema.nodeFromJSON(content);
        node.check();
        node.descendants((n) => {
          for (const mark of n.marks) {
            if (mark.type.name === "link")
              expect(allowedHref(mark.attrs.href as string)).toBe(true);
          }
        });
        // Into a shared fragment and back: what another device reads is the same document.
        const doc = new Y.Doc();
        doc.transact(() => fillFragment(richFragment(doc, "n"), content));
        const other = new Y.Doc();
        Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
        expect(yXmlFragmentToProsemirror(schema, richFragment(other, "n")).eq(node)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
