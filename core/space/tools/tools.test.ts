import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { addEvent, answer, cancelEvent, draftEvent, eventProblem, events } from "./calendar.js";
import {
  backlogOf,
  contiguousCounts,
  deleteMessage,
  deliveredTo,
  draftReceipt,
  editMessage,
  findMentions,
  messages,
  messagesPostedIn,
  messagesWrittenIn,
  nextNumber,
  postMessage,
  putReceipt,
  receiptDue,
  receiptOf,
} from "./chat.js";
import { draftReply, draftTopic, reply, startTopic, topics, unreadIn } from "./discussion.js";
import type { Field } from "./entries.js";
import { addFile, draftFile, files, MAX_FILE_BYTES, removeFile, safeFileName } from "./files.js";
import {
  createNote,
  deleteNote,
  draftNote,
  editStampDue,
  eraseNote,
  MAX_NOTE_BODY,
  note,
  notes,
  noteText,
  renameNote,
  stampEdit,
  typeInNote,
} from "./notes.js";
import { MAX_TEXT } from "./records.js";
import { fold, searchSpaces } from "./search.js";
import type { RecordTrust } from "./signed-records.js";
import {
  addStroke,
  clearSketch,
  draftStroke,
  GRID,
  MAX_POINTS,
  type Stroke,
  strokes,
  undoStroke,
} from "./sketch.js";
import { addTask, changeTask, deleteTask, draftChange, newlyAssigned, tasks } from "./tasks.js";

const ann = "a".repeat(64);
const bob = "b".repeat(64);
const annDevice = "1".repeat(64);
const bobDevice = "2".repeat(64);
let ids = 0;
const id = () => (ids++).toString(16).padStart(24, "0");
const deviceOf = (user: string) => (user === ann ? annDevice : bobDevice);

/**
 * The data models on their own: every record counts as its author's, names
 * come from this table. Signatures are what signed-records.test.ts checks.
 */
const trust: RecordTrust = {
  holds: () => true,
  nameOf: (user) => (user === ann ? "Ann" : user === bob ? "Bob" : "Unknown member"),
  moderates: () => false,
};

/** A field record set by `by` at `at`. */
function field<T>(v: T, by: string, at: number): Field<T> {
  return { v, by, at, device: deviceOf(by) };
}

function post(doc: Y.Doc, author: string, device: string, text: string, at: number) {
  return postMessage(doc, {
    id: id(),
    author,
    device,
    name: author === ann ? "Ann" : "Bob",
    at,
    text,
    mentions: [],
  });
}

/** Applies everything `from` has that `to` lacks, as sync would. */
function sync(from: Y.Doc, to: Y.Doc) {
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
}

describe("chat", () => {
  it("orders messages by time, then id, the same on every replica", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    post(a, ann, annDevice, "second", 20);
    post(b, bob, bobDevice, "first", 10);
    post(b, bob, bobDevice, "third", 30);
    sync(a, b);
    sync(b, a);
    expect(messages(a).map((m) => m.text)).toEqual(["first", "second", "third"]);
    expect(messages(b)).toEqual(messages(a));
  });

  it("names the messages an update posts: new ones only, in any batch, nothing from edits or noise", () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on("update", (u: Uint8Array) => updates.push(u));
    const first = post(doc, ann, annDevice, "one", 1);
    expect(messagesPostedIn(updates.pop()!)).toEqual([first.id]);
    // Typing elsewhere and a receipt in the same batch post nothing.
    doc.transact(() => {
      doc.getText("notes").insert(0, "hi");
      putReceipt(doc, draftReceipt(doc, ann, annDevice, 1, trust));
    });
    expect(messagesPostedIn(updates.pop()!)).toEqual([]);
    editMessage(doc, first.id, ann, "one!", 2);
    expect(messagesPostedIn(updates.pop()!)).toEqual([]);
    // One envelope may carry several (a merged batch).
    const second = post(doc, ann, annDevice, "two", 3);
    const third = post(doc, ann, annDevice, "three", 4);
    const merged = Y.mergeUpdates(updates.splice(0));
    expect(messagesPostedIn(merged).sort()).toEqual([second.id, third.id].sort());
    // The whole state posts every message.
    expect(messagesPostedIn(Y.encodeStateAsUpdate(doc)).sort()).toEqual(
      [first.id, second.id, third.id].sort(),
    );
  });

  it("names the messages an update writes: posts, edits and deletes, nothing from receipts or typing", () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on("update", (u: Uint8Array) => updates.push(u));
    const first = post(doc, ann, annDevice, "one", 1);
    expect(messagesWrittenIn(updates.pop()!)).toEqual([first.id]);
    doc.transact(() => {
      doc.getText("notes").insert(0, "hi");
      putReceipt(doc, draftReceipt(doc, ann, annDevice, 1, trust));
    });
    expect(messagesWrittenIn(updates.pop()!)).toEqual([]);
    editMessage(doc, first.id, ann, "one!", 2);
    expect(messagesWrittenIn(updates.pop()!)).toEqual([first.id]);
    const second = post(doc, ann, annDevice, "two", 3);
    updates.pop();
    deleteMessage(doc, second.id, ann, 4);
    expect(messagesWrittenIn(updates.pop()!)).toEqual([second.id]);
  });

  it("reads any bytes as an update without throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(Array.isArray(messagesPostedIn(bytes))).toBe(true);
        expect(Array.isArray(messagesWrittenIn(bytes))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("numbers each device's messages and lets only the author edit or delete", () => {
    const doc = new Y.Doc();
    const m1 = post(doc, ann, annDevice, "hello", 1);
    const m2 = post(doc, ann, annDevice, "again", 2);
    expect([m1.n, m2.n, nextNumber(doc, annDevice), nextNumber(doc, bobDevice)]).toEqual([
      1, 2, 3, 1,
    ]);
    expect(editMessage(doc, m1.id, bob, "hijacked", 3)).toBe(false);
    expect(editMessage(doc, m1.id, ann, "hello!", 3)).toBe(true);
    expect(deleteMessage(doc, m2.id, bob, 4)).toBe(false);
    expect(deleteMessage(doc, m2.id, ann, 4)).toBe(true);
    const [e, d] = messages(doc);
    expect(e).toMatchObject({ text: "hello!", editedAt: 3 });
    expect(d).toMatchObject({ text: "", deleted: true, n: 2 });
    expect(editMessage(doc, m2.id, ann, "undelete", 5)).toBe(false);
  });

  it("counts a message delivered to a reader only once the reader holds every earlier one of its device", () => {
    const author = new Y.Doc();
    const reader = new Y.Doc();
    const first = post(author, ann, annDevice, "1", 1);
    const second = post(author, ann, annDevice, "2", 2);
    // The reader gets only the second message (the first is still on its way).
    const only2 = new Y.Doc();
    only2.getMap("chat/messages").set(second.id, second);
    Y.applyUpdate(reader, Y.encodeStateAsUpdate(only2));
    expect(contiguousCounts(reader)).toEqual({});
    expect(receiptDue(reader, bob, trust)).toBe(false);
    sync(author, reader);
    expect(receiptDue(reader, bob, trust)).toBe(true);
    putReceipt(reader, draftReceipt(reader, bob, bobDevice, 3, trust));
    expect(receiptOf(reader, bob, trust)).toEqual({ [annDevice]: 2 });
    sync(reader, author);
    expect(deliveredTo(author, first, [bob], trust)).toEqual([bob]);
    expect(deliveredTo(author, second, [bob, "c".repeat(64)], trust)).toEqual([bob]);
  });

  it("tells what waits for a reader beyond its signed receipt, and since when", () => {
    const doc = new Y.Doc();
    post(doc, ann, annDevice, "1", 10);
    post(doc, ann, annDevice, "2", 20);
    // Never acknowledged anything: both wait, since the first.
    expect(backlogOf(doc, messages(doc), bob, trust)).toEqual({ waiting: 2, waitingSince: 10 });
    putReceipt(doc, draftReceipt(doc, bob, bobDevice, 25, trust));
    expect(backlogOf(doc, messages(doc), bob, trust)).toEqual({ waiting: 0, lastReceipt: 25 });
    post(doc, ann, annDevice, "3", 30);
    post(doc, bob, bobDevice, "mine", 31);
    // Only others' messages wait for a reader, never its own.
    expect(backlogOf(doc, messages(doc), bob, trust)).toEqual({
      waiting: 1,
      waitingSince: 30,
      lastReceipt: 25,
    });
  });

  it("finds mentions by display name, longest name first, at word ends", () => {
    const members = [
      { user: ann, name: "Ann" },
      { user: bob, name: "Ann Marie" },
    ];
    expect(findMentions("thanks @Ann Marie!", members).sort()).toEqual([ann, bob].sort());
    expect(findMentions("thanks @Anna", members)).toEqual([]);
    expect(findMentions("@ann, look", members)).toEqual([ann]);
  });

  it("clamps long text to the record limit", () => {
    const doc = new Y.Doc();
    expect(post(doc, ann, annDevice, "x".repeat(MAX_TEXT + 10), 1).text.length).toBe(MAX_TEXT);
  });

  it("skips whatever a member wrote in the wrong shape, and never throws on it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string(), fc.anything())),
        fc.anything(),
        (entries, receipt) => {
          const doc = new Y.Doc();
          post(doc, ann, annDevice, "good", 1);
          doc.transact(() => {
            for (const [key, value] of entries) {
              try {
                doc.getMap("chat/messages").set(key, value as never);
              } catch {
                // Yjs refuses some values (functions, symbols): a member could not send those either.
              }
            }
            try {
              doc.getMap("chat/receipts").set(bob, receipt as never);
            } catch {}
          });
          const shown = messages(doc);
          for (const m of shown) {
            expect(typeof m.text).toBe("string");
            expect(m.author).toMatch(/^[0-9a-f]{64}$/);
          }
          for (const n of Object.values(receiptOf(doc, bob, trust)))
            expect(Number.isSafeInteger(n)).toBe(true);
          contiguousCounts(doc);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const topic = (author: string, at: number, title: string, text = "") =>
  draftTopic({ id: id(), author, at, title, text, device: deviceOf(author) });
const answerTo = (topicId: string, author: string, at: number, text: string) =>
  draftReply({ id: id(), topic: topicId, author, at, text, device: deviceOf(author) });

describe("discussion", () => {
  it("groups replies under their topic, newest activity first; orphans wait unseen", () => {
    const doc = new Y.Doc();
    const t1 = topic(ann, 1, "Old");
    const t2 = topic(ann, 5, "New");
    startTopic(doc, t1);
    startTopic(doc, t2);
    reply(doc, answerTo(t1.id, bob, 9, "bump"));
    reply(doc, answerTo("f".repeat(24), bob, 3, "orphan"));
    const list = topics(doc, trust);
    expect(list.map((t) => t.title)).toEqual(["Old", "New"]);
    expect(list[0]!.replies.map((r) => r.text)).toEqual(["bump"]);
    expect(list[1]!.id).toBe(t2.id);
    expect([list[0]!.name, list[0]!.replies[0]!.name]).toEqual(["Ann", "Bob"]);
    expect(unreadIn(list[0]!, 0, ann)).toBe(1);
    expect(unreadIn(list[0]!, 0, bob)).toBe(1);
    expect(unreadIn(list[0]!, 10, ann)).toBe(0);
  });

  it("never throws on malformed topics or replies", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.anything()), { maxLength: 10 }), (entries) => {
        const doc = new Y.Doc();
        for (const [key, value] of entries) {
          for (const map of ["discussion/topics", "discussion/replies"]) {
            try {
              doc.getMap(map).set(key, value as never);
            } catch {}
          }
        }
        for (const t of topics(doc, trust)) expect(typeof t.title).toBe("string");
      }),
      { numRuns: 200 },
    );
  });
});

describe("notes", () => {
  const stamp = (by: string, at: number) => ({ by, name: by === ann ? "Ann" : "Bob", at });
  const meta = (noteId: string, by: string, at: number, title: string) =>
    draftNote({ id: noteId, by, at, title, device: deviceOf(by) });
  /** Types as the app does: the change, then a signed stamp when one is due. */
  const type = (
    doc: Y.Doc,
    n: string,
    change: { index: number; remove: number; insert: string },
    by: string,
    at: number,
  ) => {
    const typed = typeInNote(doc, n, change, trust);
    if (editStampDue(doc, n, by, at, trust)) stampEdit(doc, n, field(true as const, by, at), trust);
    return typed;
  };

  it("are made, typed in, renamed and deleted; the last edited comes first", () => {
    const doc = new Y.Doc();
    const first = id();
    const second = id();
    createNote(doc, meta(first, ann, 1, "Seeds"));
    createNote(doc, meta(second, bob, 2, "Tools"), "spade");
    expect(notes(doc, trust).map((n) => n.title)).toEqual(["Tools", "Seeds"]);
    expect(type(doc, first, { index: 0, remove: 0, insert: "beans" }, bob, 3)).toBe(true);
    expect(noteText(doc, first, trust)).toBe("beans");
    expect(notes(doc, trust).map((n) => n.title)).toEqual(["Seeds", "Tools"]);
    expect(note(doc, first, trust)?.edited).toEqual(stamp(bob, 3));
    expect(note(doc, first, trust)?.created).toEqual(stamp(ann, 1));
    // Out-of-range edits (the text changed under the caller) are clamped, not thrown.
    type(doc, first, { index: 99, remove: 5, insert: "!" }, ann, 4);
    expect(noteText(doc, first, trust)).toBe("beans!");
    expect(renameNote(doc, second, field("Shed", ann, 5), trust)).toBe(true);
    expect(note(doc, second, trust)?.title).toBe("Shed");
    expect(note(doc, second, trust)?.edited).toEqual(stamp(ann, 5));
    expect(deleteNote(doc, second, field(true as const, bob, 6), trust)).toBe(true);
    expect(notes(doc, trust).map((n) => n.id)).toEqual([first]);
    expect(type(doc, second, { index: 0, remove: 0, insert: "x" }, ann, 7)).toBe(false);
    expect(renameNote(doc, second, field("Back", ann, 8), trust)).toBe(false);
  });

  it("stamp a run of typing once a minute, so typed text stays compact in the doc", () => {
    const doc = new Y.Doc();
    const n = id();
    createNote(doc, meta(n, ann, 0, "Long"));
    for (let i = 0; i < 2000; i++) {
      type(doc, n, { index: i, remove: 0, insert: "x" }, ann, i * 10);
    }
    expect(noteText(doc, n, trust)).toHaveLength(2000);
    // 2,000 characters, stamped every minute of typing: a few KB, not one item per key.
    expect(Y.encodeStateAsUpdate(doc).length).toBeLessThan(4500);
    expect(note(doc, n, trust)?.edited).toEqual(stamp(ann, 0));
    type(doc, n, { index: 0, remove: 0, insert: "y" }, ann, 60_000);
    expect(note(doc, n, trust)?.edited.at).toBe(60_000);
    type(doc, n, { index: 0, remove: 0, insert: "z" }, bob, 60_001);
    expect(note(doc, n, trust)?.edited).toEqual(stamp(bob, 60_001));
  });

  it("merge two members typing in one note at once", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const n = id();
    createNote(a, meta(n, ann, 1, "Plan"), "sow then water");
    sync(a, b);
    type(a, n, { index: 0, remove: 0, insert: "First " }, ann, 2);
    type(b, n, { index: 14, remove: 0, insert: " daily" }, bob, 3);
    sync(a, b);
    sync(b, a);
    expect(noteText(a, n, trust)).toBe("First sow then water daily");
    expect(noteText(b, n, trust)).toBe(noteText(a, n, trust));
    // Typing concurrent with a delete is kept under the tombstone, never half-applied.
    deleteNote(a, n, field(true as const, ann, 4), trust);
    type(b, n, { index: 0, remove: 0, insert: "!" }, bob, 5);
    sync(a, b);
    sync(b, a);
    expect(notes(a, trust)).toEqual([]);
    expect(notes(b, trust)).toEqual([]);
  });

  it("erase a note's page, titles and text from the doc's state, a concurrent rename included", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const n = id();
    createNote(a, meta(n, ann, 1, "Zebra crossing"), "the plan itself");
    renameNote(a, n, field("Quokka rescue", ann, 2), trust);
    sync(a, b);
    expect(eraseNote(a, n, trust)).toBe(true);
    // Bob renames and types at the same moment, before he hears of it.
    renameNote(b, n, field("Wombat watch", bob, 3), trust);
    type(b, n, { index: 0, remove: 0, insert: "more " }, bob, 4);
    sync(a, b);
    sync(b, a);
    for (const doc of [a, b]) {
      expect(notes(doc, trust)).toEqual([]);
      const state = Buffer.from(Y.encodeStateAsUpdate(doc));
      for (const words of ["Zebra", "Quokka", "Wombat", "the plan", "more"]) {
        expect(state.includes(Buffer.from(words))).toBe(false);
      }
    }
    expect(eraseNote(a, n, trust)).toBe(false);
  });

  it("cap the body and skip pages of the wrong shape", () => {
    const doc = new Y.Doc();
    const n = id();
    createNote(doc, meta(n, ann, 1, "Big"));
    type(doc, n, { index: 0, remove: 0, insert: "x".repeat(MAX_NOTE_BODY + 10) }, ann, 2);
    expect(noteText(doc, n, trust).length).toBe(MAX_NOTE_BODY);
    const pages = doc.getMap<unknown>("notes/pages");
    pages.set(id(), { not: "a page" });
    const wrongMeta = new Y.Map<unknown>();
    wrongMeta.set("meta", { id: "zz", by: "nobody", name: 3, at: "soon" });
    pages.set(id(), wrongMeta);
    const textless = new Y.Map<unknown>();
    const other = id();
    textless.set("meta", { ...meta(other, bob, 3, "Odd") });
    textless.set("body", "plain string, not text");
    textless.set("title", 42);
    textless.set("edited", { v: true, by: "nobody" });
    pages.set(other, textless);
    expect(notes(doc, trust).map((x) => [x.id, x.title])).toEqual([
      [other, "Odd"],
      [n, "Big"],
    ]);
    expect(noteText(doc, other, trust)).toBe("");
    expect(type(doc, other, { index: 0, remove: 0, insert: "x" }, ann, 4)).toBe(false);
  });
});

describe("files", () => {
  const hex = (n: number) => n.toString(16).padStart(2, "0").repeat(32);
  const file = (over: Partial<Parameters<typeof addFile>[1]> = {}) => ({
    id: id(),
    name: "plan.pdf",
    type: "application/pdf",
    size: 10,
    by: ann,
    at: 1,
    device: annDevice,
    key: hex(1),
    chunks: [hex(2)],
    ...over,
  });

  it("are listed newest first and taken off the list by a tombstone that keeps no key", () => {
    const doc = new Y.Doc();
    const older = file({ at: 1 });
    const newer = file({ at: 2, name: "photo.jpg", size: 2_000_000, chunks: [hex(3), hex(4)] });
    addFile(doc, older);
    addFile(doc, newer);
    expect(files(doc, trust).map((f) => [f.name, f.byName])).toEqual([
      ["photo.jpg", "Ann"],
      ["plan.pdf", "Ann"],
    ]);
    const removal = { id: older.id, removed: true as const, by: ann, at: 3, device: annDevice };
    expect(removeFile(doc, removal)).toBe(true);
    expect(files(doc, trust).map((f) => f.id)).toEqual([newer.id]);
    expect(JSON.stringify(doc.getMap("files/items").get(older.id))).not.toContain(hex(1));
    expect(removeFile(doc, removal)).toBe(false);
  });

  it("skip records whose size does not fit their chunks, or is over the limit", () => {
    const doc = new Y.Doc();
    addFile(doc, file({ size: 5_000_000 })); // five chunks' worth, one chunk named
    addFile(doc, file({ size: MAX_FILE_BYTES + 1, chunks: Array(65).fill(hex(5)) }));
    addFile(doc, file({ size: -1 }));
    addFile(doc, file({ key: "not hex" }));
    doc.getMap("files/items").set(id(), { id: "nonsense" });
    expect(files(doc, trust)).toEqual([]);
    // A name is made safe before it is signed, so the signed name is the one shown.
    expect(draftFile(file({ name: "../x" })).name).toBe(".._x");
  });

  it("name a file by one safe path segment, whatever a member wrote", () => {
    expect(safeFileName("../../etc/passwd")).toBe(".._.._etc_passwd");
    expect(safeFileName("..")).toBe("file");
    expect(safeFileName("  ")).toBe("file");
    expect(safeFileName("a\u0000b\nc")).toBe("a_b_c");
    expect(safeFileName("invoice\u202Egpj.exe")).toBe("invoicegpj.exe");
    expect(safeFileName("con:tent<1>?.txt. . ")).toBe("con_tent_1__.txt");
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", ".", " ", "/", "\u202e", "é"), maxLength: 400 }),
        (name) => {
          const safe = safeFileName(name);
          expect(
            [...safe].some(
              (ch) => '/\\<>:"|?*\u202e\u2066'.includes(ch) || ch.charCodeAt(0) < 0x20,
            ),
          ).toBe(false);
          expect(safe).not.toMatch(/[. ]$/);
          expect(safe.length).toBeGreaterThan(0);
          expect([...safe].length).toBeLessThanOrEqual(255);
          expect([".", ".."]).not.toContain(safe);
        },
      ),
    );
  });
});

describe("tasks", () => {
  const at = (by: string, t: number) => ({ by, name: by === ann ? "Ann" : "Bob", at: t });
  const add = (doc: Y.Doc, taskId: string, by: string, t: number, title: string) =>
    addTask(doc, { id: taskId, by, at: t, title, device: deviceOf(by) });
  /** A change as the app makes it: drafted, then set as `by`'s field. */
  const change = (
    doc: Y.Doc,
    taskId: string,
    c: Parameters<typeof draftChange>[0],
    by = ann,
    t = 1,
  ) => {
    const d = draftChange(c);
    return d !== undefined && changeTask(doc, taskId, d.field, field(d.v, by, t), trust);
  };

  it("list open tasks by due day then age, done ones last, the same everywhere", () => {
    const doc = new Y.Doc();
    const [a, b, c, d] = [id(), id(), id(), id()];
    add(doc, a, ann, 1, "Buy seeds");
    add(doc, b, ann, 2, "Fix the fence");
    add(doc, c, bob, 3, "Water");
    add(doc, d, bob, 4, "Mow");
    change(doc, c, { due: "2026-12-03" });
    change(doc, b, { due: "2026-12-02" });
    change(doc, d, { done: true }, bob, 5);
    expect(tasks(doc, trust).map((t) => t.title)).toEqual([
      "Fix the fence",
      "Water",
      "Buy seeds",
      "Mow",
    ]);
    expect(tasks(doc, trust)[3]?.done).toEqual(at(bob, 5));
    change(doc, d, { done: false });
    expect(tasks(doc, trust).find((t) => t.id === d)?.done).toBeUndefined();
  });

  it("merge one member ticking a task with another renaming and assigning it", () => {
    const one = new Y.Doc();
    const two = new Y.Doc();
    const t = id();
    add(one, t, ann, 1, "Plant beans");
    sync(one, two);
    change(one, t, { done: true }, ann, 2);
    change(two, t, { title: "Plant beans (row 1)" }, bob, 2);
    change(two, t, { assignee: bob }, ann, 3);
    sync(one, two);
    sync(two, one);
    for (const doc of [one, two]) {
      expect(tasks(doc, trust)).toEqual([
        {
          id: t,
          title: "Plant beans (row 1)",
          created: at(ann, 1),
          done: at(ann, 2),
          assignee: bob,
          assigned: at(ann, 3),
        },
      ]);
    }
  });

  it("say what is newly given to a member by someone else", () => {
    const doc = new Y.Doc();
    const [mine, self, old, done] = [id(), id(), id(), id()];
    for (const t of [mine, self, old, done]) add(doc, t, ann, 1, t);
    change(doc, mine, { assignee: bob }, ann, 10);
    change(doc, self, { assignee: bob }, bob, 11);
    change(doc, old, { assignee: bob }, ann, 2);
    change(doc, done, { assignee: bob }, ann, 12);
    change(doc, done, { done: true }, bob, 13);
    expect(newlyAssigned(tasks(doc, trust), bob, 5).map((t) => t.id)).toEqual([mine]);
    change(doc, mine, { assignee: null }, ann, 14);
    expect(newlyAssigned(tasks(doc, trust), bob, 5)).toEqual([]);
    expect(tasks(doc, trust).find((t) => t.id === mine)?.assigned).toBeUndefined();
  });

  it("refuse values a task does not take, and skip tasks of the wrong shape", () => {
    const doc = new Y.Doc();
    const t = id();
    add(doc, t, ann, 1, "Weed");
    expect(change(doc, t, { due: "next week" })).toBe(false);
    expect(change(doc, t, { assignee: "Bob" })).toBe(false);
    expect(change(doc, t, { due: "2026-12-24" })).toBe(true);
    expect(change(doc, t, { due: null })).toBe(true);
    expect(tasks(doc, trust)[0]?.due).toBeUndefined();
    const items = doc.getMap<unknown>("tasks/items");
    items.set(id(), { title: "plain object" });
    const odd = new Y.Map<unknown>();
    const oddId = id();
    odd.set("meta", { id: oddId, by: bob, at: 2, title: "Odd", device: bobDevice });
    odd.set("title", { v: 7, by: bob, at: 3, device: bobDevice });
    odd.set("done", "yes");
    odd.set("assignee", { v: "someone", by: bob, at: 3, device: bobDevice });
    odd.set("due", { v: "tomorrow", by: bob, at: 3, device: bobDevice });
    items.set(oddId, odd);
    expect(tasks(doc, trust).map((x) => [x.title, x.done, x.assignee, x.due])).toEqual([
      ["Weed", undefined, undefined, undefined],
      ["Odd", undefined, undefined, undefined],
    ]);
    expect(deleteTask(doc, t, field(true as const, ann, 4), trust)).toBe(true);
    expect(deleteTask(doc, t, field(true as const, ann, 5), trust)).toBe(false);
    expect(change(doc, t, { title: "back" })).toBe(false);
    expect(tasks(doc, trust).map((x) => x.id)).toEqual([oddId]);
  });

  it("stand removed only by their author or a manager", () => {
    const doc = new Y.Doc();
    const t = id();
    add(doc, t, ann, 1, "Keep me");
    // Bob is neither Ann nor a manager here: his tombstone does not remove Ann's task.
    changeTask(doc, t, "deleted", field(true, bob, 2), trust);
    expect(tasks(doc, trust).map((x) => x.id)).toEqual([t]);
    const managing: RecordTrust = { ...trust, moderates: (user) => user === bob };
    expect(tasks(doc, managing)).toEqual([]);
  });
});

describe("calendar", () => {
  const put = (doc: Y.Doc, at: number, over: Partial<Parameters<typeof draftEvent>[1]> = {}) => {
    const e = draftEvent({ id: id(), by: ann, at, device: annDevice }, event(over));
    addEvent(doc, e);
    return e;
  };
  const event = (over: Partial<Parameters<typeof draftEvent>[1]> = {}) => ({
    title: "Work day",
    day: "2026-12-05",
    time: "10:00",
    minutes: 120,
    place: "The garden",
    ...over,
  });
  const reply = (user: string, a: "yes" | "maybe" | "no", at = 2) => field(a, user, at);

  it("orders events by day and time, all-day ones first in their day", () => {
    const doc = new Y.Doc();
    put(doc, 1, { title: "Late", time: "18:00" });
    put(doc, 2, { title: "All day", time: "", minutes: 0 });
    put(doc, 3, { title: "Before", day: "2026-12-01" });
    expect(events(doc, trust).map((e) => e.title)).toEqual(["Before", "All day", "Late"]);
  });

  it("keeps every member's answer when they answer at once, and takes one back", () => {
    const one = new Y.Doc();
    const two = new Y.Doc();
    const m = put(one, 1);
    sync(one, two);
    answer(one, m.id, ann, reply(ann, "yes"), trust);
    answer(two, m.id, bob, reply(bob, "maybe"), trust);
    sync(one, two);
    sync(two, one);
    expect(events(one, trust)[0]?.answers).toEqual({ [ann]: "yes", [bob]: "maybe" });
    expect(events(two, trust)[0]?.answers).toEqual(events(one, trust)[0]?.answers);
    answer(two, m.id, bob, null, trust);
    expect(events(two, trust)[0]?.answers).toEqual({ [ann]: "yes" });
    // An answer filed under someone else than its signer does not count.
    answer(two, m.id, bob, reply(ann, "no"), trust);
    expect(events(two, trust)[0]?.answers).toEqual({ [ann]: "yes" });
    expect(cancelEvent(one, m.id, field(true as const, ann, 3), trust)).toBe(true);
    expect(events(one, trust)).toEqual([]);
    expect(answer(one, m.id, ann, reply(ann, "no"), trust)).toBe(false);
  });

  it("says what is wrong with an event, and reads odd ones safely", () => {
    expect(eventProblem(event())).toBeUndefined();
    expect(eventProblem(event({ title: " " }))).toMatch(/title/);
    expect(eventProblem(event({ day: "2026-13-45" }))).toMatch(/date/);
    expect(eventProblem(event({ time: "25:00" }))).toMatch(/time/);
    expect(eventProblem(event({ minutes: -5 }))).toMatch(/length/);
    expect(() => put(new Y.Doc(), 1, { day: "soon" })).toThrow(RangeError);
    const doc = new Y.Doc();
    const odd = new Y.Map<unknown>();
    const oddId = id();
    const meta = { id: oddId, by: bob, at: 1, device: bobDevice, title: "", place: "" };
    odd.set("meta", { ...meta, day: "2026-12-09", time: "noonish", minutes: 1e12 });
    const rsvp = new Y.Map<unknown>();
    rsvp.set(ann, reply(ann, "definitely" as never));
    rsvp.set("nobody", reply(ann, "yes"));
    rsvp.set(bob, "yes");
    odd.set("rsvp", rsvp);
    doc.getMap<unknown>("calendar/events").set(oddId, odd);
    const noDay = new Y.Map<unknown>();
    const noDayId = id();
    noDay.set("meta", { ...meta, id: noDayId, day: "", time: "", minutes: 0 });
    doc.getMap<unknown>("calendar/events").set(noDayId, noDay);
    expect(events(doc, trust)).toEqual([
      {
        id: oddId,
        title: "",
        place: "",
        day: "2026-12-09",
        time: "",
        minutes: 7 * 24 * 60,
        created: { by: bob, name: "Bob", at: 1 },
        answers: {},
      },
    ]);
  });
});

describe("sketch", () => {
  const stroke = (by: string, points = [0, 0, 100, 100]): Stroke => ({
    id: id(),
    by,
    color: "#c0392b",
    width: 4,
    points,
    device: deviceOf(by),
  });
  const draw = (doc: Y.Doc, s: Stroke) => {
    const drafted = draftStroke(s);
    if (drafted) addStroke(doc, drafted);
  };

  it("keeps strokes in drawing order, takes back one's own latest, and clears for everyone", () => {
    const one = new Y.Doc();
    const two = new Y.Doc();
    const a1 = stroke(ann);
    const b1 = stroke(bob);
    const a2 = stroke(ann);
    draw(one, a1);
    draw(one, b1);
    draw(one, a2);
    sync(one, two);
    expect(strokes(two, trust).map((s) => s.id)).toEqual([a1.id, b1.id, a2.id]);
    expect(undoStroke(two, ann, trust)).toBe(true);
    sync(two, one);
    expect(strokes(one, trust).map((s) => s.id)).toEqual([a1.id, b1.id]);
    // Clearing on one side while the other draws: the new stroke stays.
    clearSketch(one);
    const late = stroke(bob);
    draw(two, late);
    sync(one, two);
    sync(two, one);
    expect(strokes(one, trust).map((s) => s.id)).toEqual([late.id]);
    expect(strokes(two, trust)).toEqual(strokes(one, trust));
    expect(undoStroke(one, ann, trust)).toBe(false);
  });

  it("clamps what it draws to the grid, and skips strokes of the wrong shape", () => {
    const doc = new Y.Doc();
    draw(doc, stroke(ann, [-5, 20000, 3.6, 7, 9]));
    expect(strokes(doc, trust)[0]?.points).toEqual([0, GRID, 4, 7]);
    draw(doc, stroke(ann, Array(3 * MAX_POINTS).fill(1)));
    expect(strokes(doc, trust)[1]?.points).toHaveLength(2 * MAX_POINTS);
    expect(draftStroke(stroke(ann, [1]))).toBeUndefined();
    const array = doc.getArray<unknown>("sketch/strokes");
    array.push([
      { ...stroke(bob), color: "url(javascript:alert(1))" },
      { ...stroke(bob), width: 1000 },
      { ...stroke(bob), points: [1, 2, 3] },
      { ...stroke(bob), points: [1, GRID + 1] },
      { ...stroke(bob), points: "0,0,1,1" },
      "not a stroke",
    ]);
    expect(strokes(doc, trust)).toHaveLength(2);
  });
});

describe("search", () => {
  it("finds every word, ignoring case and accents, newest first, across spaces", () => {
    const one = new Y.Doc();
    const two = new Y.Doc();
    post(one, ann, annDevice, "Meet at the Café at noon", 1);
    post(two, bob, bobDevice, "the cafe is closed", 2);
    post(two, bob, bobDevice, "unrelated", 3);
    const t = topic(ann, 4, "Café plans");
    startTopic(two, t);
    reply(two, answerTo(t.id, bob, 5, "noon works"));
    const spaces = [
      { id: "1", name: "One", doc: one, trust },
      { id: "2", name: "Two", doc: two, trust },
    ];
    expect(searchSpaces(spaces, "CAFE").map((h) => [h.text, h.name])).toEqual([
      ["Café plans", "Ann"],
      ["the cafe is closed", "Bob"],
      ["Meet at the Café at noon", "Ann"],
    ]);
    expect(searchSpaces(spaces, "cafe noon").map((h) => h.spaceName)).toEqual(["One"]);
    expect(searchSpaces(spaces, "   ")).toEqual([]);
    expect(fold("Ünïcödé")).toBe("unicode");
  });

  it("finds notes by title or text, and not once deleted, and tasks by title", () => {
    const doc = new Y.Doc();
    const n = id();
    createNote(
      doc,
      draftNote({ id: n, by: ann, at: 1, title: "Sowing", device: annDevice }),
      "Beans go in first",
    );
    const spaces = [{ id: "1", name: "One", doc, trust }];
    expect(searchSpaces(spaces, "beans").map((h) => [h.where, h.text])).toEqual([
      ["note", "Sowing"],
    ]);
    expect(searchSpaces(spaces, "sowing first").map((h) => h.id)).toEqual([n]);
    deleteNote(doc, n, field(true as const, ann, 2), trust);
    expect(searchSpaces(spaces, "beans")).toEqual([]);
    addTask(doc, { id: id(), by: bob, at: 3, title: "Order bean seeds", device: bobDevice });
    expect(searchSpaces(spaces, "bean").map((h) => [h.where, h.name])).toEqual([["task", "Bob"]]);
  });
});
