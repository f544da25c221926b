import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { hasRich, migratedCopy, migrationUpdate, richFragment, richText } from "./note-rich.js";
import {
  createNote,
  draftNote,
  noteBody,
  noteText,
  plainChangedSinceMigration,
  plainToMigrate,
  typeInNote,
} from "./notes.js";
import { searchSpaces } from "./search.js";
import type { RecordTrust } from "./signed-records.js";

const ann = "a".repeat(64);
const trust: RecordTrust = { holds: () => true, nameOf: () => "Ann", moderates: () => false };
const noteId = `${"0".repeat(23)}1`;

/** A note as the textarea editor (decision 44) wrote it: created, then typed into. */
function textareaNote(doc: Y.Doc, id: string, text: string) {
  createNote(
    doc,
    draftNote({ id, by: ann, at: 1, title: "Shopping list", device: "1".repeat(64) }),
  );
  typeInNote(doc, id, { index: 0, remove: 0, insert: text }, trust);
}

const sync = (from: Y.Doc, to: Y.Doc) =>
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));

describe("notes written by the textarea editor", () => {
  it("open in rich text with the same characters, one paragraph per line, and their history kept", () => {
    const doc = new Y.Doc();
    const text = "Milk\n\n- eggs\n  **bread**\n🍞 done";
    textareaNote(doc, noteId, text);
    expect(hasRich(doc, noteId)).toBe(false);
    expect(plainToMigrate(doc, noteId, trust)).toBe(text);
    Y.applyUpdate(doc, migrationUpdate(noteId, text));
    expect(hasRich(doc, noteId)).toBe(true);
    const fragment = richFragment(doc, noteId);
    expect(fragment.length).toBe(5);
    expect(fragment.toArray().every((p) => (p as Y.XmlElement).nodeName === "paragraph")).toBe(
      true,
    );
    expect(richText(fragment)).toBe(text);
    expect(noteText(doc, noteId, trust)).toBe(text);
    expect(plainToMigrate(doc, noteId, trust)).toBeUndefined();
    // The old body is untouched: builds before this one still read it.
    const body = doc.getMap<Y.Map<unknown>>("notes/pages").get(noteId)?.get("body");
    expect((body as Y.Text).toString()).toBe(text);
  });

  it("migrated by two devices at once keep one copy of the text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        fc.pre(text.length > 0);
        const a = new Y.Doc();
        textareaNote(a, noteId, text);
        const b = new Y.Doc();
        sync(a, b);
        Y.applyUpdate(a, migrationUpdate(noteId, plainToMigrate(a, noteId, trust)!));
        Y.applyUpdate(b, migrationUpdate(noteId, plainToMigrate(b, noteId, trust)!));
        sync(a, b);
        sync(b, a);
        expect(noteText(a, noteId, trust)).toBe(text);
        expect(noteText(b, noteId, trust)).toBe(text);
      }),
      { numRuns: 100 },
    );
  });

  it("typed into by an older build after migration: still opens, every replica converges, the older typing is kept and shown beside the rich text", () => {
    // Ann's old build wrote it; Bob's new build migrates it and types rich text.
    const oldAnn = new Y.Doc();
    textareaNote(oldAnn, noteId, "eggs\nmilk");
    const newBob = new Y.Doc();
    sync(oldAnn, newBob);
    const plain = plainToMigrate(newBob, noteId, trust);
    if (plain === undefined) throw new Error("nothing to migrate");
    Y.applyUpdate(newBob, migrationUpdate(noteId, plain));
    const second = richFragment(newBob, noteId).get(1) as Y.XmlElement;
    (second.get(0) as Y.XmlText).insert(4, " (oat)", { bold: true });
    expect(plainChangedSinceMigration(newBob, noteId, trust)).toBeUndefined();
    // Cho's old build gets all that (it cannot read the rich text) and types into the body.
    const oldCho = new Y.Doc();
    sync(newBob, oldCho);
    typeInNote(oldCho, noteId, { index: 9, remove: 0, insert: "\nbread" }, trust);
    // Everyone meets everyone, in some order; Dan's new build starts from Ann's copy.
    const newDan = new Y.Doc();
    const all = [oldAnn, newBob, oldCho, newDan];
    for (const from of all) for (const to of all) if (from !== to) sync(from, to);
    for (const from of all) for (const to of all) if (from !== to) sync(from, to);
    const state = Y.encodeStateVector(oldAnn);
    for (const d of all) expect(Y.encodeStateVector(d)).toEqual(state);
    // New builds open the rich text, with Bob's formatting, and show Cho's typing beside it.
    for (const d of [newBob, newDan]) {
      expect(hasRich(d, noteId)).toBe(true);
      expect(noteText(d, noteId, trust)).toBe("eggs\nmilk (oat)");
      expect(plainChangedSinceMigration(d, noteId, trust)).toBe("eggs\nmilk\nbread");
    }
    // Old builds read the body, with Cho's typing: nothing anyone typed is lost.
    for (const d of [oldAnn, oldCho]) {
      expect(noteBody(d, noteId, trust)?.toString()).toBe("eggs\nmilk\nbread");
    }
  });

  it("migrated from different texts on two devices keep both, one after the other", () => {
    const a = new Y.Doc();
    textareaNote(a, noteId, "eggs");
    const b = new Y.Doc();
    sync(a, b);
    typeInNote(b, noteId, { index: 4, remove: 0, insert: " and milk" }, trust);
    Y.applyUpdate(a, migrationUpdate(noteId, "eggs"));
    Y.applyUpdate(b, migrationUpdate(noteId, "eggs and milk"));
    sync(a, b);
    sync(b, a);
    const lines = noteText(a, noteId, trust).split("\n").sort();
    expect(lines).toEqual(["eggs", "eggs and milk"]);
    expect(noteText(b, noteId, trust)).toBe(noteText(a, noteId, trust));
  });

  it("show to a viewer as the migration would, without writing it", () => {
    const doc = new Y.Doc();
    textareaNote(doc, noteId, "one\ntwo");
    const before = Y.encodeStateVector(doc);
    expect(richText(migratedCopy(noteId, "one\ntwo"))).toBe("one\ntwo");
    expect(Y.encodeStateVector(doc)).toEqual(before);
    expect(hasRich(doc, noteId)).toBe(false);
  });

  it("are found by search in their rich text once migrated", () => {
    const doc = new Y.Doc();
    textareaNote(doc, noteId, "buy parsnips");
    Y.applyUpdate(doc, migrationUpdate(noteId, "buy parsnips"));
    // Typed after the migration, into the rich text only.
    const p = richFragment(doc, noteId).get(0) as Y.XmlElement;
    (p.get(0) as Y.XmlText).insert(12, " and turnips");
    const hits = searchSpaces([{ id: "s", name: "S", doc, trust }], "turnips");
    expect(hits.some((h) => h.where === "note")).toBe(true);
  });
});
