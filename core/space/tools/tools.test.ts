import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { addEvent, answer, cancelEvent, eventProblem, events } from "./calendar.js";
import {
  contiguousCounts,
  deleteMessage,
  deliveredTo,
  editMessage,
  findMentions,
  messages,
  messagesPostedIn,
  nextNumber,
  postMessage,
  receiptDue,
  receiptOf,
  writeReceipt,
} from "./chat.js";
import { reply, startTopic, topics, unreadIn } from "./discussion.js";
import { addFile, files, MAX_FILE_BYTES, removeFile, safeFileName } from "./files.js";
import {
  createNote,
  deleteNote,
  MAX_NOTE_BODY,
  note,
  notes,
  noteText,
  renameNote,
  typeInNote,
} from "./notes.js";
import { MAX_TEXT } from "./records.js";
import { fold, searchSpaces } from "./search.js";
import { addStroke, clearSketch, GRID, MAX_POINTS, strokes, undoStroke } from "./sketch.js";
import { addTask, changeTask, deleteTask, newlyAssigned, tasks } from "./tasks.js";

const ann = "a".repeat(64);
const bob = "b".repeat(64);
const annDevice = "1".repeat(64);
const bobDevice = "2".repeat(64);
let ids = 0;
const id = () => (ids++).toString(16).padStart(24, "0");

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
      writeReceipt(doc, ann);
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

  it("reads any bytes as an update without throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(Array.isArray(messagesPostedIn(bytes))).toBe(true);
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
    expect(receiptDue(reader, bob)).toBe(false);
    sync(author, reader);
    expect(receiptDue(reader, bob)).toBe(true);
    writeReceipt(reader, bob);
    expect(receiptOf(reader, bob)).toEqual({ [annDevice]: 2 });
    sync(reader, author);
    expect(deliveredTo(author, first, [bob])).toEqual([bob]);
    expect(deliveredTo(author, second, [bob, "c".repeat(64)])).toEqual([bob]);
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
          for (const n of Object.values(receiptOf(doc, bob)))
            expect(Number.isSafeInteger(n)).toBe(true);
          contiguousCounts(doc);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("discussion", () => {
  it("groups replies under their topic, newest activity first; orphans wait unseen", () => {
    const doc = new Y.Doc();
    const t1 = startTopic(doc, {
      id: id(),
      author: ann,
      name: "Ann",
      at: 1,
      title: "Old",
      text: "",
    });
    const t2 = startTopic(doc, {
      id: id(),
      author: ann,
      name: "Ann",
      at: 5,
      title: "New",
      text: "",
    });
    reply(doc, { id: id(), topic: t1.id, author: bob, name: "Bob", at: 9, text: "bump" });
    reply(doc, {
      id: id(),
      topic: "f".repeat(24),
      author: bob,
      name: "Bob",
      at: 3,
      text: "orphan",
    });
    const list = topics(doc);
    expect(list.map((t) => t.title)).toEqual(["Old", "New"]);
    expect(list[0]!.replies.map((r) => r.text)).toEqual(["bump"]);
    expect(list[1]!.id).toBe(t2.id);
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
        for (const t of topics(doc)) expect(typeof t.title).toBe("string");
      }),
      { numRuns: 200 },
    );
  });
});

describe("notes", () => {
  const stamp = (by: string, at: number) => ({ by, name: by === ann ? "Ann" : "Bob", at });

  it("are made, typed in, renamed and deleted; the last edited comes first", () => {
    const doc = new Y.Doc();
    const first = id();
    const second = id();
    createNote(doc, { id: first, ...stamp(ann, 1) }, "Seeds");
    createNote(doc, { id: second, ...stamp(bob, 2) }, "Tools", "spade");
    expect(notes(doc).map((n) => n.title)).toEqual(["Tools", "Seeds"]);
    expect(typeInNote(doc, first, { index: 0, remove: 0, insert: "beans" }, stamp(bob, 3))).toBe(
      true,
    );
    expect(noteText(doc, first)).toBe("beans");
    expect(notes(doc).map((n) => n.title)).toEqual(["Seeds", "Tools"]);
    expect(note(doc, first)?.edited).toEqual(stamp(bob, 3));
    expect(note(doc, first)?.created).toEqual(stamp(ann, 1));
    // Out-of-range edits (the text changed under the caller) are clamped, not thrown.
    typeInNote(doc, first, { index: 99, remove: 5, insert: "!" }, stamp(ann, 4));
    expect(noteText(doc, first)).toBe("beans!");
    expect(renameNote(doc, second, "Shed", stamp(ann, 5))).toBe(true);
    expect(note(doc, second)?.title).toBe("Shed");
    expect(deleteNote(doc, second, stamp(ann, 6))).toBe(true);
    expect(notes(doc).map((n) => n.id)).toEqual([first]);
    expect(typeInNote(doc, second, { index: 0, remove: 0, insert: "x" }, stamp(ann, 7))).toBe(
      false,
    );
    expect(renameNote(doc, second, "Back", stamp(ann, 8))).toBe(false);
  });

  it("stamp a run of typing once a minute, so typed text stays compact in the doc", () => {
    const doc = new Y.Doc();
    const n = id();
    createNote(doc, { id: n, ...stamp(ann, 0) }, "Long");
    for (let i = 0; i < 2000; i++) {
      typeInNote(doc, n, { index: i, remove: 0, insert: "x" }, stamp(ann, i * 10));
    }
    expect(noteText(doc, n)).toHaveLength(2000);
    // 2,000 characters, stamped every minute of typing: a few KB, not one item per key.
    expect(Y.encodeStateAsUpdate(doc).length).toBeLessThan(4000);
    expect(note(doc, n)?.edited).toEqual(stamp(ann, 0));
    typeInNote(doc, n, { index: 0, remove: 0, insert: "y" }, stamp(ann, 60_000));
    expect(note(doc, n)?.edited.at).toBe(60_000);
    typeInNote(doc, n, { index: 0, remove: 0, insert: "z" }, stamp(bob, 60_001));
    expect(note(doc, n)?.edited).toEqual(stamp(bob, 60_001));
  });

  it("merge two members typing in one note at once", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const n = id();
    createNote(a, { id: n, ...stamp(ann, 1) }, "Plan", "sow then water");
    sync(a, b);
    typeInNote(a, n, { index: 0, remove: 0, insert: "First " }, stamp(ann, 2));
    typeInNote(b, n, { index: 14, remove: 0, insert: " daily" }, stamp(bob, 3));
    sync(a, b);
    sync(b, a);
    expect(noteText(a, n)).toBe("First sow then water daily");
    expect(noteText(b, n)).toBe(noteText(a, n));
    // Typing concurrent with a delete is kept under the tombstone, never half-applied.
    deleteNote(a, n, stamp(ann, 4));
    typeInNote(b, n, { index: 0, remove: 0, insert: "!" }, stamp(bob, 5));
    sync(a, b);
    sync(b, a);
    expect(notes(a)).toEqual([]);
    expect(notes(b)).toEqual([]);
  });

  it("cap the body and skip pages of the wrong shape", () => {
    const doc = new Y.Doc();
    const n = id();
    createNote(doc, { id: n, ...stamp(ann, 1) }, "Big");
    typeInNote(
      doc,
      n,
      { index: 0, remove: 0, insert: "x".repeat(MAX_NOTE_BODY + 10) },
      stamp(ann, 2),
    );
    expect(noteText(doc, n).length).toBe(MAX_NOTE_BODY);
    const pages = doc.getMap<unknown>("notes/pages");
    pages.set(id(), { not: "a page" });
    const wrongMeta = new Y.Map<unknown>();
    wrongMeta.set("meta", { id: "zz", by: "nobody", name: 3, at: "soon" });
    pages.set(id(), wrongMeta);
    const textless = new Y.Map<unknown>();
    const other = id();
    textless.set("meta", { id: other, ...stamp(bob, 3) });
    textless.set("body", "plain string, not text");
    textless.set("title", 42);
    pages.set(other, textless);
    expect(notes(doc).map((x) => [x.id, x.title])).toEqual([
      [other, ""],
      [n, "Big"],
    ]);
    expect(noteText(doc, other)).toBe("");
    expect(typeInNote(doc, other, { index: 0, remove: 0, insert: "x" }, stamp(ann, 4))).toBe(false);
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
    byName: "Ann",
    at: 1,
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
    expect(files(doc).map((f) => f.name)).toEqual(["photo.jpg", "plan.pdf"]);
    expect(removeFile(doc, older.id)).toBe(true);
    expect(files(doc).map((f) => f.id)).toEqual([newer.id]);
    expect(JSON.stringify(doc.getMap("files/items").get(older.id))).not.toContain(hex(1));
    expect(removeFile(doc, older.id)).toBe(false);
  });

  it("skip records whose size does not fit their chunks, or is over the limit", () => {
    const doc = new Y.Doc();
    addFile(doc, file({ size: 5_000_000 })); // five chunks' worth, one chunk named
    addFile(doc, file({ size: MAX_FILE_BYTES + 1, chunks: Array(65).fill(hex(5)) }));
    addFile(doc, file({ size: -1 }));
    addFile(doc, file({ key: "not hex" }));
    doc.getMap("files/items").set(id(), { id: "nonsense" });
    expect(files(doc)).toEqual([]);
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

  it("list open tasks by due day then age, done ones last, the same everywhere", () => {
    const doc = new Y.Doc();
    const [a, b, c, d] = [id(), id(), id(), id()];
    addTask(doc, { id: a, ...at(ann, 1) }, "Buy seeds");
    addTask(doc, { id: b, ...at(ann, 2) }, "Fix the fence");
    addTask(doc, { id: c, ...at(bob, 3) }, "Water");
    addTask(doc, { id: d, ...at(bob, 4) }, "Mow");
    changeTask(doc, c, { due: "2026-12-03" });
    changeTask(doc, b, { due: "2026-12-02" });
    changeTask(doc, d, { done: at(bob, 5) });
    expect(tasks(doc).map((t) => t.title)).toEqual(["Fix the fence", "Water", "Buy seeds", "Mow"]);
    expect(tasks(doc)[3]?.done).toEqual(at(bob, 5));
    changeTask(doc, d, { done: null });
    expect(tasks(doc).find((t) => t.id === d)?.done).toBeUndefined();
  });

  it("merge one member ticking a task with another renaming and assigning it", () => {
    const one = new Y.Doc();
    const two = new Y.Doc();
    const t = id();
    addTask(one, { id: t, ...at(ann, 1) }, "Plant beans");
    sync(one, two);
    changeTask(one, t, { done: at(ann, 2) });
    changeTask(two, t, { title: "Plant beans (row 1)" });
    changeTask(two, t, { assignee: bob, by: at(ann, 3) });
    sync(one, two);
    sync(two, one);
    for (const doc of [one, two]) {
      expect(tasks(doc)).toEqual([
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
    for (const t of [mine, self, old, done]) addTask(doc, { id: t, ...at(ann, 1) }, t);
    changeTask(doc, mine, { assignee: bob, by: at(ann, 10) });
    changeTask(doc, self, { assignee: bob, by: at(bob, 11) });
    changeTask(doc, old, { assignee: bob, by: at(ann, 2) });
    changeTask(doc, done, { assignee: bob, by: at(ann, 12) });
    changeTask(doc, done, { done: at(bob, 13) });
    expect(newlyAssigned(tasks(doc), bob, 5).map((t) => t.id)).toEqual([mine]);
    changeTask(doc, mine, { assignee: null, by: at(ann, 14) });
    expect(newlyAssigned(tasks(doc), bob, 5)).toEqual([]);
    expect(tasks(doc).find((t) => t.id === mine)?.assigned).toBeUndefined();
  });

  it("refuse values a task does not take, and skip tasks of the wrong shape", () => {
    const doc = new Y.Doc();
    const t = id();
    addTask(doc, { id: t, ...at(ann, 1) }, "Weed");
    expect(changeTask(doc, t, { due: "next week" })).toBe(false);
    expect(changeTask(doc, t, { assignee: "Bob", by: at(ann, 2) })).toBe(false);
    expect(changeTask(doc, t, { due: "2026-12-24" })).toBe(true);
    expect(changeTask(doc, t, { due: null })).toBe(true);
    expect(tasks(doc)[0]?.due).toBeUndefined();
    const items = doc.getMap<unknown>("tasks/items");
    items.set(id(), { title: "plain object" });
    const odd = new Y.Map<unknown>();
    const oddId = id();
    odd.set("meta", { id: oddId, ...at(bob, 2) });
    odd.set("title", 7);
    odd.set("done", "yes");
    odd.set("assignee", "someone");
    odd.set("due", "tomorrow");
    items.set(oddId, odd);
    expect(tasks(doc).map((x) => [x.title, x.done, x.assignee, x.due])).toEqual([
      ["Weed", undefined, undefined, undefined],
      ["", undefined, undefined, undefined],
    ]);
    expect(deleteTask(doc, t)).toBe(true);
    expect(deleteTask(doc, t)).toBe(false);
    expect(changeTask(doc, t, { title: "back" })).toBe(false);
    expect(tasks(doc).map((x) => x.id)).toEqual([oddId]);
  });
});

describe("calendar", () => {
  const meta = (at: number) => ({ id: id(), by: ann, name: "Ann", at });
  const event = (over: Partial<Parameters<typeof addEvent>[2]> = {}) => ({
    title: "Work day",
    day: "2026-12-05",
    time: "10:00",
    minutes: 120,
    place: "The garden",
    ...over,
  });

  it("orders events by day and time, all-day ones first in their day", () => {
    const doc = new Y.Doc();
    addEvent(doc, meta(1), event({ title: "Late", time: "18:00" }));
    addEvent(doc, meta(2), event({ title: "All day", time: "", minutes: 0 }));
    addEvent(doc, meta(3), event({ title: "Before", day: "2026-12-01" }));
    expect(events(doc).map((e) => e.title)).toEqual(["Before", "All day", "Late"]);
  });

  it("keeps every member's answer when they answer at once, and takes one back", () => {
    const one = new Y.Doc();
    const two = new Y.Doc();
    const m = meta(1);
    addEvent(one, m, event());
    sync(one, two);
    answer(one, m.id, ann, "yes");
    answer(two, m.id, bob, "maybe");
    sync(one, two);
    sync(two, one);
    expect(events(one)[0]?.answers).toEqual({ [ann]: "yes", [bob]: "maybe" });
    expect(events(two)[0]?.answers).toEqual(events(one)[0]?.answers);
    answer(two, m.id, bob, null);
    expect(events(two)[0]?.answers).toEqual({ [ann]: "yes" });
    expect(cancelEvent(one, m.id)).toBe(true);
    expect(events(one)).toEqual([]);
    expect(answer(one, m.id, ann, "no")).toBe(false);
  });

  it("says what is wrong with an event, and reads odd ones safely", () => {
    expect(eventProblem(event())).toBeUndefined();
    expect(eventProblem(event({ title: " " }))).toMatch(/title/);
    expect(eventProblem(event({ day: "2026-13-45" }))).toMatch(/date/);
    expect(eventProblem(event({ time: "25:00" }))).toMatch(/time/);
    expect(eventProblem(event({ minutes: -5 }))).toMatch(/length/);
    expect(() => addEvent(new Y.Doc(), meta(1), event({ day: "soon" }))).toThrow(RangeError);
    const doc = new Y.Doc();
    const odd = new Y.Map<unknown>();
    const oddId = id();
    odd.set("meta", { id: oddId, by: bob, name: "Bob", at: 1 });
    odd.set("day", "2026-12-09");
    odd.set("time", "noonish");
    odd.set("minutes", 1e12);
    odd.set("title", ["not", "text"]);
    const rsvp = new Y.Map<unknown>();
    rsvp.set(ann, "definitely");
    rsvp.set("nobody", "yes");
    odd.set("rsvp", rsvp);
    doc.getMap<unknown>("calendar/events").set(oddId, odd);
    const noDay = new Y.Map<unknown>();
    const noDayId = id();
    noDay.set("meta", { id: noDayId, by: bob, name: "Bob", at: 1 });
    doc.getMap<unknown>("calendar/events").set(noDayId, noDay);
    expect(events(doc)).toEqual([
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
  const stroke = (by: string, points = [0, 0, 100, 100]) => ({
    id: id(),
    by,
    color: "#c0392b",
    width: 4,
    points,
  });

  it("keeps strokes in drawing order, takes back one's own latest, and clears for everyone", () => {
    const one = new Y.Doc();
    const two = new Y.Doc();
    const a1 = stroke(ann);
    const b1 = stroke(bob);
    const a2 = stroke(ann);
    addStroke(one, a1);
    addStroke(one, b1);
    addStroke(one, a2);
    sync(one, two);
    expect(strokes(two).map((s) => s.id)).toEqual([a1.id, b1.id, a2.id]);
    expect(undoStroke(two, ann)).toBe(true);
    sync(two, one);
    expect(strokes(one).map((s) => s.id)).toEqual([a1.id, b1.id]);
    // Clearing on one side while the other draws: the new stroke stays.
    clearSketch(one);
    const late = stroke(bob);
    addStroke(two, late);
    sync(one, two);
    sync(two, one);
    expect(strokes(one).map((s) => s.id)).toEqual([late.id]);
    expect(strokes(two)).toEqual(strokes(one));
    expect(undoStroke(one, ann)).toBe(false);
  });

  it("clamps what it draws to the grid, and skips strokes of the wrong shape", () => {
    const doc = new Y.Doc();
    addStroke(doc, stroke(ann, [-5, 20000, 3.6, 7, 9]));
    expect(strokes(doc)[0]?.points).toEqual([0, GRID, 4, 7]);
    addStroke(doc, stroke(ann, Array(3 * MAX_POINTS).fill(1)));
    expect(strokes(doc)[1]?.points).toHaveLength(2 * MAX_POINTS);
    const array = doc.getArray<unknown>("sketch/strokes");
    array.push([
      { ...stroke(bob), color: "url(javascript:alert(1))" },
      { ...stroke(bob), width: 1000 },
      { ...stroke(bob), points: [1, 2, 3] },
      { ...stroke(bob), points: [1, GRID + 1] },
      { ...stroke(bob), points: "0,0,1,1" },
      "not a stroke",
    ]);
    expect(strokes(doc)).toHaveLength(2);
  });
});

describe("search", () => {
  it("finds every word, ignoring case and accents, newest first, across spaces", () => {
    const one = new Y.Doc();
    const two = new Y.Doc();
    post(one, ann, annDevice, "Meet at the Café at noon", 1);
    post(two, bob, bobDevice, "the cafe is closed", 2);
    post(two, bob, bobDevice, "unrelated", 3);
    const t = startTopic(two, {
      id: id(),
      author: ann,
      name: "Ann",
      at: 4,
      title: "Café plans",
      text: "",
    });
    reply(two, { id: id(), topic: t.id, author: bob, name: "Bob", at: 5, text: "noon works" });
    const spaces = [
      { id: "1", name: "One", doc: one },
      { id: "2", name: "Two", doc: two },
    ];
    expect(searchSpaces(spaces, "CAFE").map((h) => h.text)).toEqual([
      "Café plans",
      "the cafe is closed",
      "Meet at the Café at noon",
    ]);
    expect(searchSpaces(spaces, "cafe noon").map((h) => h.spaceName)).toEqual(["One"]);
    expect(searchSpaces(spaces, "   ")).toEqual([]);
    expect(fold("Ünïcödé")).toBe("unicode");
  });

  it("finds notes by title or text, and not once deleted, and tasks by title", () => {
    const doc = new Y.Doc();
    const n = id();
    createNote(doc, { id: n, by: ann, name: "Ann", at: 1 }, "Sowing", "Beans go in first");
    const spaces = [{ id: "1", name: "One", doc }];
    expect(searchSpaces(spaces, "beans").map((h) => [h.where, h.text])).toEqual([
      ["note", "Sowing"],
    ]);
    expect(searchSpaces(spaces, "sowing first").map((h) => h.id)).toEqual([n]);
    deleteNote(doc, n, { by: ann, name: "Ann", at: 2 });
    expect(searchSpaces(spaces, "beans")).toEqual([]);
    addTask(doc, { id: id(), by: bob, name: "Bob", at: 3 }, "Order bean seeds");
    expect(searchSpaces(spaces, "bean").map((h) => [h.where, h.name])).toEqual([["task", "Bob"]]);
  });
});
