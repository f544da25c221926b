/**
 * Notes to and from Markdown: export a note's rich text as a Markdown file,
 * import a Markdown file as a note. Parsing is @tiptap/markdown's, over the
 * notes schema (content.ts); what it yields is then cleaned, because
 * Markdown carries HTML and any link: nodes and marks the schema lacks are
 * dropped (their text kept), links outside http, https and mailto lose
 * their link, and stray inline content at the top level is put in a
 * paragraph. Nothing here touches the DOM.
 */
import { getSchema, type JSONContent } from "@tiptap/core";
import { MarkdownManager } from "@tiptap/markdown";
import type { Schema } from "@tiptap/pm/model";
import { prosemirrorJSONToYXmlFragment, yXmlFragmentToProsemirrorJSON } from "@tiptap/y-tiptap";
import type * as Y from "yjs";
import { allowedHref, noteExtensions } from "./content.js";

let cached: { manager: MarkdownManager; schema: Schema } | undefined;

function tools() {
  if (!cached) {
    const extensions = noteExtensions();
    cached = { manager: new MarkdownManager({ extensions }), schema: getSchema(extensions) };
  }
  return cached;
}

/** The notes schema (for conversions outside an editor). */
export function noteSchema(): Schema {
  return tools().schema;
}

const INLINE = new Set(["text", "hardBreak"]);

/** Keeps what the schema has and the link rule allows; see the module comment. */
export function cleanContent(doc: JSONContent): JSONContent {
  const { schema } = tools();
  const clean = (node: JSONContent): JSONContent[] => {
    if (node.type === "text") {
      if (typeof node.text !== "string" || node.text === "") return [];
      const marks = (node.marks ?? []).filter(
        (m) =>
          schema.marks[m.type] !== undefined &&
          (m.type !== "link" || allowedHref(m.attrs?.href as string | undefined)),
      );
      return [{ type: "text", text: node.text, ...(marks.length ? { marks } : {}) }];
    }
    const children = (node.content ?? []).flatMap(clean);
    if (!node.type || !schema.nodes[node.type] || node.type === "doc") return children;
    return [{ ...node, ...(node.content ? { content: children } : {}) }];
  };
  // The top level holds blocks only: runs of inline content become paragraphs.
  const blocks: JSONContent[] = [];
  let run: JSONContent[] = [];
  const endRun = () => {
    if (run.length) blocks.push({ type: "paragraph", content: run });
    run = [];
  };
  for (const node of clean(doc)) {
    if (INLINE.has(node.type ?? "")) run.push(node);
    else {
      endRun();
      blocks.push(node);
    }
  }
  endRun();
  return { type: "doc", content: blocks.length ? blocks : [{ type: "paragraph" }] };
}

/** A Markdown file that cannot become a note (what the parser made breaks the schema). */
export class NoteImportError extends Error {
  override readonly name = "NoteImportError";
  readonly code = "UNREADABLE_MARKDOWN";
}

/** Markdown as a note's content, cleaned; throws only NoteImportError. */
export function fromMarkdown(markdown: string): JSONContent {
  try {
    const content = cleanContent(tools().manager.parse(markdown));
    // Refuse what the schema would not hold (a list item with no paragraph...), before it is shared.
    tools().schema.nodeFromJSON(content).check();
    return content;
  } catch (err) {
    throw new NoteImportError(`This Markdown cannot be read as a note: ${(err as Error).message}`);
  }
}

/** A note's content as Markdown. */
export function toMarkdown(content: JSONContent): string {
  return tools().manager.serialize(content);
}

/** A note's rich text as Markdown. */
export function fragmentToMarkdown(fragment: Y.XmlFragment): string {
  return toMarkdown(yXmlFragmentToProsemirrorJSON(fragment) as JSONContent);
}

/** Writes content into an (empty) fragment; call inside the doc's transaction. */
export function fillFragment(fragment: Y.XmlFragment, content: JSONContent): void {
  prosemirrorJSONToYXmlFragment(tools().schema, content, fragment);
}
