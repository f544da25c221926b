import type * as Y from "yjs";

/** Content of every root type the bench authors write, as one comparable string. */
export function contentOf(doc: Y.Doc): string {
  return JSON.stringify({
    chat: doc.getArray("chat").toJSON(),
    notes: doc.getText("notes").toString(),
    // Map key order follows local insertion order; compare by key.
    tasks: Object.entries(doc.getMap("tasks").toJSON()).sort(([a], [b]) => (a < b ? -1 : 1)),
  });
}
