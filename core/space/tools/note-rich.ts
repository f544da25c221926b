/**
 * A note's rich text: a Y.XmlFragment in the shape the ProseMirror binding
 * (y-prosemirror, through TipTap) writes, one element per block named by its
 * node type, Y.XmlText inside with marks as formatting attributes.
 *
 * Where it lives: a top-level fragment named `notes/rich/<note id>`, not a
 * key of the note's page map. Two devices that both put a fresh fragment
 * under a map key race (last writer wins, the loser's typing vanishes with
 * its fragment); a top-level type is found by name, so every device that
 * asks for it gets the same one and concurrent first edits merge.
 *
 * Migration from the plain text of decision 44: a note whose fragment is
 * empty and whose `body` Y.Text is not opens as one paragraph per line of
 * that text, character for character. The migration is one Yjs update
 * built in a scratch doc whose client id and clocks derive from the note id
 * and the text alone, so two devices migrating the same text at once write
 * byte-identical items and Yjs keeps one copy. The old `body` is left as it
 * was (its history with it); builds before this one keep reading it.
 */
import nacl from "tweetnacl";
import * as Y from "yjs";
import { utf8 } from "../../crypto/bytes.js";

const RICH_PREFIX = "notes/rich/";

/** The name of a note's rich-text fragment (top level in the space's doc). */
export function richName(id: string): string {
  return `${RICH_PREFIX}${id}`;
}

/** A note's rich text, shared (created empty on first ask; every device gets the same one). */
export function richFragment(doc: Y.Doc, id: string): Y.XmlFragment {
  return doc.getXmlFragment(richName(id));
}

/** Whether the note has rich text already (else its plain body, if any, is what it holds). */
export function hasRich(doc: Y.Doc, id: string): boolean {
  // Asked without creating the type: a lookup for a note nobody has opened adds nothing.
  const type = doc.share.get(richName(id));
  return type !== undefined && type._start !== null;
}

/** Block types whose text ends with a line break in the plain-text reading. */
const INLINE_HOLDERS = new Set(["paragraph", "heading", "codeBlock"]);

/**
 * The fragment as plain text: one line per paragraph, heading or code line,
 * for search, the list and exports that want no markup. Stops adding once
 * `limit` characters are out.
 */
export function richText(fragment: Y.XmlFragment, limit = Number.POSITIVE_INFINITY): string {
  const lines: string[] = [];
  let size = 0;
  const walk = (node: Y.XmlElement | Y.XmlFragment | Y.XmlText): void => {
    if (size >= limit) return;
    if (node instanceof Y.XmlText) {
      const text = node.toString() === "" ? "" : plainOf(node);
      lines[lines.length - 1] += text;
      size += text.length;
      return;
    }
    const holder = node instanceof Y.XmlElement && INLINE_HOLDERS.has(node.nodeName);
    if (holder) lines.push("");
    for (const child of node.toArray()) {
      if (child instanceof Y.XmlHook) continue;
      walk(child);
    }
    if (holder) size += 1;
  };
  walk(fragment);
  return lines.join("\n").slice(0, limit);
}

/** An XmlText's characters without its formatting (toString would wrap them in tags). */
function plainOf(text: Y.XmlText): string {
  let out = "";
  for (const op of text.toDelta() as { insert?: unknown }[]) {
    if (typeof op.insert === "string") out += op.insert;
  }
  return out;
}

/** The 32-bit client id a migration of `text` in note `id` is written under. */
export function migrationClient(id: string, text: string): number {
  const digest = nacl.hash(utf8(`grove/note-migration/v1\0${id}\0${text}`));
  // Yjs client ids are unsigned 32-bit (the digest's first four bytes, big-endian); 0 is
  // avoided only for readability in dumps.
  const n = new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0);
  return n === 0 ? 1 : n;
}

/**
 * The update that turns a plain note's text into rich text: one paragraph
 * per line, same characters. Deterministic: the same id and text give the
 * same bytes on every device.
 */
export function migrationUpdate(id: string, text: string): Uint8Array {
  const scratch = new Y.Doc({ gc: false });
  scratch.clientID = migrationClient(id, text);
  const fragment = scratch.getXmlFragment(richName(id));
  scratch.transact(() => {
    fragment.insert(
      0,
      text.split("\n").map((line) => {
        const paragraph = new Y.XmlElement("paragraph");
        if (line.length > 0) paragraph.insert(0, [new Y.XmlText(line)]);
        return paragraph;
      }),
    );
  });
  return Y.encodeStateAsUpdate(scratch);
}

/**
 * A read-only rich view of a plain note, for a device that may not write
 * the migration (a viewer): the same fragment as the migration would make,
 * in a doc of its own.
 */
export function migratedCopy(id: string, text: string): Y.XmlFragment {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, migrationUpdate(id, text));
  return copy.getXmlFragment(richName(id));
}
