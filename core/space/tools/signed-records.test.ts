/**
 * Signed tool records against a hostile member: Bob, a member in good
 * standing with his own certified device, writes records in Ann's name,
 * rewrites hers, and moves her signed values elsewhere. Real Ed25519
 * signatures throughout; each record passes through a Y.Doc and an update,
 * as it would between devices.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { toHex } from "../../crypto/bytes.js";
import { ed25519 } from "../../crypto/ed25519.js";
import { generateDeviceKeys } from "../../crypto/identity.js";
import { addEvent, answer, answerPlace, draftEvent, events } from "./calendar.js";
import {
  type ChatMessage,
  deliveredTo,
  draftPost,
  draftReceipt,
  messages,
  putMessage,
  putReceipt,
} from "./chat.js";
import { draftReply, draftTopic, reply, startTopic, topics } from "./discussion.js";
import { fieldPlace } from "./entries.js";
import { addFile, draftFile, files } from "./files.js";
import { createNote, draftNote, notes, renameNote } from "./notes.js";
import { RecordVerifier } from "./record-verifier.js";
import {
  type Authenticity,
  type RecordKind,
  type RecordTrust,
  recordSigningBytes,
  type Signed,
  signRecord,
} from "./signed-records.js";
import { addStroke, draftStroke, strokes } from "./sketch.js";
import { addTask, changeTask, deleteTask, tasks } from "./tasks.js";

const SPACE = new Uint8Array(16).fill(5);
const backend = await ed25519();

function who(name: string, user: string) {
  const keys = generateDeviceKeys().sign;
  return { name, user, keys, device: toHex(keys.publicKey) };
}
type Who = ReturnType<typeof who>;

function setting() {
  const ann = who("Ann", "a".repeat(64));
  const bob = who("Bob", "b".repeat(64));
  const users = new Map([ann, bob].map((p) => [p.device, p.user]));
  const managers = new Set<string>();
  let verifies = 0;
  const verifier = new RecordVerifier({
    spaceId: SPACE,
    userOfDevice: (device) => users.get(device),
    verify: (device, bytes, sig) => {
      verifies++;
      return backend.verify(device, bytes, sig);
    },
    onSettled: () => {},
  });
  const trust: RecordTrust = {
    holds: (kind, place, record, author) =>
      verifier.verdict(kind, place, record, author) === "verified",
    nameOf: (user) => [ann, bob].find((p) => p.user === user)?.name ?? "Unknown member",
    moderates: (user) => managers.has(user),
  };
  /**
   * What a view shows once every check it started has its verdict (a verdict
   * can start more: a reply is checked once its topic holds).
   */
  const settled = async <T>(read: () => T): Promise<T> => {
    for (;;) {
      const before = verifier.generation;
      read();
      await verifier.idle();
      if (verifier.generation === before) return read();
    }
  };
  /** `fields` signed by `p`'s device, as that device's app would. */
  const signAs = <T extends object>(p: Who, kind: RecordKind, place: string, fields: T) =>
    signRecord(kind, SPACE, place, { ...fields, device: p.device }, (bytes) =>
      backend.sign(p.keys.secretKey, bytes),
    );
  /** `fields` claiming `device` but signed by `p` (a member writing in someone's name). */
  const forgeAs = async <T extends Signed>(p: Who, kind: RecordKind, place: string, fields: T) => {
    const signed = await signAs(p, kind, place, fields);
    return { ...signed, device: fields.device };
  };
  /** What a view on another device that received `doc` shows once checked. */
  const seen = <T>(doc: Y.Doc, read: (copy: Y.Doc) => T): Promise<T> => {
    const copy = received(doc);
    return settled(() => read(copy));
  };
  const verdictOf = async (kind: RecordKind, place: string, record: object, author: string) =>
    verifier.check(kind, place, record as Signed, author);
  return {
    ann,
    bob,
    users,
    managers,
    verifier,
    trust,
    settled,
    seen,
    signAs,
    forgeAs,
    verdictOf,
    verifies: () => verifies,
  };
}

/** A copy of `doc` as another device receives it. */
function received(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

let ids = 0;
const id = () => (ids++).toString(16).padStart(24, "0");
const hex = (n: number) => n.toString(16).padStart(2, "0").repeat(32);

describe("chat records", () => {
  const draft = (doc: Y.Doc, p: Who, text: string, device = p.device, name = p.name) =>
    draftPost(doc, { id: id(), author: p.user, device, name, at: 1, text, mentions: [] });

  it("hold for a record its author's device signed, through a doc and back", async () => {
    const { ann, signAs, verdictOf } = setting();
    const doc = new Y.Doc();
    putMessage(doc, await signAs(ann, "chat-message", "", draft(doc, ann, "hello")));
    const m = messages(received(doc))[0]!;
    expect(await verdictOf("chat-message", "", m, m.author)).toBe("verified");
  });

  it("call out a record that names someone else as its author, or was changed", async () => {
    const { ann, bob, signAs, verdictOf } = setting();
    const doc = new Y.Doc();
    const check = (m: ChatMessage) => verdictOf("chat-message", "", m, m.author);
    // Bob names Ann and Ann's device, but can only sign with his own key.
    const posing = await signAs(bob, "chat-message", "", draft(doc, ann, "pay me"));
    expect(await check({ ...posing, device: ann.device })).toBe("forged");
    // Bob names Ann with his own device: the device is not Ann's.
    expect(await check(await signAs(bob, "chat-message", "", draft(doc, ann, "pay me")))).toBe(
      "forged",
    );
    // Ann's real record with its text or mentions changed afterwards.
    const real = await signAs(ann, "chat-message", "", draft(doc, ann, "hi"));
    expect(await check({ ...real, text: "pay Bob" })).toBe("forged");
    expect(await check({ ...real, mentions: [bob.user] })).toBe("forged");
    // A record with no signature at all says so.
    expect(await check(draft(doc, ann, "old"))).toBe("unsigned");
    // ...at once: the chat shows "Unsigned" on its first render, no verdict batch to wait for.
    const { verifier } = setting();
    expect(verifier.verdict("chat-message", "", draft(doc, ann, "old"), ann.user)).toBe("unsigned");
    // Signed by Ann for another space, and copied here: not valid here.
    const elsewhere = await signRecord(
      "chat-message",
      new Uint8Array(16).fill(6),
      "",
      draft(doc, ann, "hi"),
      (b) => backend.sign(ann.keys.secretKey, b),
    );
    expect(await check(elsewhere)).toBe("forged");
  });

  it("keep their first layout, so messages signed before every record was signed still hold", () => {
    const doc = new Y.Doc();
    const { ann } = setting();
    const m = draft(doc, ann, "hi");
    // The chat's own layout (decision 50) begins with its own context, not the generic one.
    const bytes = recordSigningBytes("chat-message", SPACE, "", m);
    expect(new TextDecoder().decode(bytes.slice(0, 21))).toBe("grove/chat-message/v1");
  });

  it("are checked again once a device not known yet is certified", async () => {
    const { users, verifier, signAs, verdictOf } = setting();
    const doc = new Y.Doc();
    const cy = who("Cy", "c".repeat(64));
    const early = await signAs(cy, "chat-message", "", draft(doc, cy, "hi"));
    expect(await verdictOf("chat-message", "", early, cy.user)).toBe("forged");
    users.set(cy.device, cy.user);
    verifier.recheckUnknownDevices();
    expect(await verdictOf("chat-message", "", early, cy.user)).toBe("verified");
  });

  it("are checked once per record object, however often a view asks", async () => {
    const { ann, signAs, verifier, verifies } = setting();
    const doc = new Y.Doc();
    putMessage(doc, await signAs(ann, "chat-message", "", draft(doc, ann, "hello")));
    const m = messages(doc)[0]!;
    const asked: (Authenticity | undefined)[] = [];
    for (let i = 0; i < 5; i++) asked.push(verifier.verdict("chat-message", "", m, m.author));
    await verifier.idle();
    expect(asked).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(verifier.verdict("chat-message", "", m, m.author)).toBe("verified");
    expect(verifies()).toBe(1);
  });

  it("count a receipt only when its reader's device signed it", async () => {
    const { ann, bob, signAs, forgeAs, trust, settled } = setting();
    const doc = new Y.Doc();
    const m = await signAs(ann, "chat-message", "", draft(doc, ann, "hi"));
    putMessage(doc, m);
    const cy = who("Cy", "c".repeat(64));
    // Bob writes a receipt in Cy's name: Ann's message would read "delivered" to Cy.
    const forged = draftReceipt(doc, cy.user, cy.device, 2, trust);
    putReceipt(doc, await forgeAs(bob, "chat-receipt", "", forged));
    const copy = received(doc);
    expect(await settled(() => deliveredTo(copy, m, [cy.user, bob.user], trust))).toEqual([]);
    putReceipt(
      doc,
      await signAs(bob, "chat-receipt", "", draftReceipt(doc, bob.user, "", 3, trust)),
    );
    const again = received(doc);
    expect(await settled(() => deliveredTo(again, m, [cy.user, bob.user], trust))).toEqual([
      bob.user,
    ]);
  });
});

describe("discussion records", () => {
  it("show a topic started in someone else's name nowhere, and name authors from membership", async () => {
    const { ann, bob, signAs, forgeAs, trust, settled, seen } = setting();
    const doc = new Y.Doc();
    const real = await signAs(
      ann,
      "discussion-topic",
      "",
      draftTopic({
        id: id(),
        author: ann.user,
        at: 1,
        title: "Plan",
        text: "",
        device: ann.device,
      }),
    );
    startTopic(doc, real);
    // Bob starts a topic as Ann (his signature, her name and device).
    const fake = draftTopic({
      id: id(),
      author: ann.user,
      at: 2,
      title: "Ann says: pay Bob",
      text: "",
      device: ann.device,
    });
    startTopic(doc, await forgeAs(bob, "discussion-topic", "", fake));
    // Bob rewrites Ann's real topic, keeping her signature.
    const rewritten = new Y.Doc();
    Y.applyUpdate(rewritten, Y.encodeStateAsUpdate(doc));
    startTopic(rewritten, { ...real, title: "Ann says: pay Bob" });
    // And replies as Ann.
    const fakeReply = draftReply({
      id: id(),
      topic: real.id,
      author: ann.user,
      at: 3,
      text: "agreed",
      device: ann.device,
    });
    reply(doc, await forgeAs(bob, "discussion-reply", "", fakeReply));
    const own = draftReply({
      id: id(),
      topic: real.id,
      author: bob.user,
      at: 4,
      text: "mine",
      device: bob.device,
    });
    reply(doc, await signAs(bob, "discussion-reply", "", own));

    const copy = received(doc);
    const shown = await settled(() => topics(copy, trust));
    expect(shown.map((t) => [t.title, t.name])).toEqual([["Plan", "Ann"]]);
    expect(shown[0]!.replies.map((r) => [r.text, r.name])).toEqual([["mine", "Bob"]]);
    expect(await seen(rewritten, (d) => topics(d, trust))).toEqual([]);
  });
});

describe("file records", () => {
  const manifest = (p: Who, over: object = {}) =>
    draftFile({
      id: "f".repeat(24),
      name: "report.pdf",
      type: "application/pdf",
      size: 10,
      by: p.user,
      at: 1,
      key: hex(1),
      chunks: [hex(2)],
      device: p.device,
      ...over,
    });

  it("cannot be replaced under another member's name", async () => {
    const { ann, bob, signAs, forgeAs, trust, seen } = setting();
    const doc = new Y.Doc();
    addFile(doc, await signAs(ann, "file", "", manifest(ann)));
    expect(await seen(doc, (d) => files(d, trust).map((f) => f.byName))).toEqual(["Ann"]);
    // Bob replaces Ann's record so it fetches his bytes, still "shared by Ann".
    const swapped = { key: hex(7), chunks: [hex(8)] };
    addFile(doc, await forgeAs(bob, "file", "", manifest(ann, swapped)));
    expect(await seen(doc, (d) => files(d, trust))).toEqual([]);
    // Or keeps Ann's signature and swaps the chunks under it.
    const annsRecord = await signAs(ann, "file", "", manifest(ann));
    addFile(doc, { ...annsRecord, ...swapped });
    expect(await seen(doc, (d) => files(d, trust))).toEqual([]);
    // Said as his own, the replacement is shown as Bob's.
    addFile(doc, await signAs(bob, "file", "", manifest(bob, swapped)));
    const listed = await seen(doc, (d) => files(d, trust));
    expect(listed.map((f) => [f.name, f.byName, f.key])).toEqual([["report.pdf", "Bob", hex(7)]]);
  });
});

describe("item records (tasks, notes, events)", () => {
  it("refuse a task in someone else's name, a field set in someone else's name, or moved", async () => {
    const { ann, bob, signAs, forgeAs, trust, settled, seen, managers } = setting();
    const doc = new Y.Doc();
    const [mine, fake, other] = [id(), id(), id()];
    const meta = (taskId: string, p: Who, title: string) => ({
      id: taskId,
      by: p.user,
      at: 1,
      title,
      device: p.device,
    });
    addTask(doc, await signAs(ann, "task", "", meta(mine, ann, "Water")));
    addTask(doc, await signAs(ann, "task", "", meta(other, ann, "Weed")));
    addTask(doc, await forgeAs(bob, "task", "", meta(fake, ann, "Ann owes Bob")));
    // Fields are set on tasks a device shows, that is, whose meta it checked.
    await settled(() => tasks(doc, trust));
    // Bob ticks Ann's task in Ann's name, and renames it in Ann's name.
    const done = { v: true, by: ann.user, at: 2, device: ann.device };
    changeTask(
      doc,
      mine,
      "done",
      await forgeAs(bob, "task-field", fieldPlace(mine, "done"), done),
      trust,
    );
    const title = { v: "Ann quits", by: ann.user, at: 2, device: ann.device };
    changeTask(
      doc,
      mine,
      "title",
      await forgeAs(bob, "task-field", fieldPlace(mine, "title"), title),
      trust,
    );
    // Ann's own signed "done" of one task, copied onto another.
    const annDone = await signAs(ann, "task-field", fieldPlace(other, "done"), {
      v: true,
      by: ann.user,
      at: 3,
    });
    changeTask(doc, other, "done", annDone, trust);
    changeTask(doc, mine, "done", annDone, trust);
    const shown = await seen(doc, (d) => tasks(d, trust));
    expect(shown.map((t) => [t.title, t.created.name, t.done?.name])).toEqual([
      ["Water", "Ann", undefined],
      ["Weed", "Ann", "Ann"],
    ]);
    // Bob removes Ann's task: not his to remove, so it stays, until he is a manager.
    const removal = { v: true as const, by: bob.user, at: 4 };
    deleteTask(
      doc,
      mine,
      await signAs(bob, "task-field", fieldPlace(mine, "deleted"), removal),
      trust,
    );
    expect((await seen(doc, (d) => tasks(d, trust))).map((t) => t.title)).toEqual([
      "Water",
      "Weed",
    ]);
    managers.add(bob.user);
    expect((await seen(doc, (d) => tasks(d, trust))).map((t) => t.title)).toEqual(["Weed"]);
  });

  it("refuse a note or a rename in someone else's name", async () => {
    const { ann, bob, signAs, forgeAs, trust, settled, seen } = setting();
    const doc = new Y.Doc();
    const [real, fake] = [id(), id()];
    const meta = (noteId: string, title: string) =>
      draftNote({ id: noteId, by: ann.user, at: 1, title, device: ann.device });
    createNote(doc, await signAs(ann, "note", "", meta(real, "Minutes")));
    createNote(doc, await forgeAs(bob, "note", "", meta(fake, "Ann's confession")));
    await settled(() => notes(doc, trust));
    const rename = { v: "Ann's confession", by: ann.user, at: 2, device: ann.device };
    renameNote(
      doc,
      real,
      await forgeAs(bob, "note-field", fieldPlace(real, "title"), rename),
      trust,
    );
    const shown = await seen(doc, (d) => notes(d, trust));
    expect(shown.map((n) => [n.title, n.created.name, n.edited.name])).toEqual([
      ["Minutes", "Ann", "Ann"],
    ]);
    // A rename Bob signs as himself stands, and says he did it.
    const own = { v: "Minutes (draft)", by: bob.user, at: 3 };
    renameNote(doc, real, await signAs(bob, "note-field", fieldPlace(real, "title"), own), trust);
    const renamed = await seen(doc, (d) => notes(d, trust));
    expect(renamed.map((n) => [n.title, n.edited.name])).toEqual([["Minutes (draft)", "Bob"]]);
  });

  it("refuse an event in someone else's name, and answers filed under someone else", async () => {
    const { ann, bob, signAs, forgeAs, trust, settled, seen } = setting();
    const doc = new Y.Doc();
    const input = { title: "Work day", day: "2026-12-05", time: "10:00", minutes: 60, place: "" };
    const [real, fake] = [id(), id()];
    const meta = (eventId: string, p: Who) => ({
      id: eventId,
      by: p.user,
      at: 1,
      device: p.device,
    });
    addEvent(doc, await signAs(ann, "event", "", draftEvent(meta(real, ann), input)));
    addEvent(doc, await forgeAs(bob, "event", "", draftEvent(meta(fake, ann), input)));
    await settled(() => events(doc, trust));
    // Bob answers "no" in Ann's name, and files his own "yes" under Ann.
    const no = { v: "no" as const, by: ann.user, at: 2, device: ann.device };
    answer(doc, real, ann.user, await forgeAs(bob, "event-answer", answerPlace(real), no), trust);
    const yes = await signAs(bob, "event-answer", answerPlace(real), {
      v: "yes" as const,
      by: bob.user,
      at: 2,
    });
    const copy = received(doc);
    copy
      .getMap<Y.Map<Y.Map<unknown>>>("calendar/events")
      .get(real)
      ?.get("rsvp")
      ?.set(ann.user, yes);
    const shown = await settled(() => events(copy, trust));
    expect(shown.map((e) => [e.id, e.created.name, e.answers])).toEqual([[real, "Ann", {}]]);
    // His own answer under his own key counts.
    answer(doc, real, bob.user, yes, trust);
    const answered = await seen(doc, (d) => events(d, trust));
    expect(answered[0]!.answers).toEqual({ [bob.user]: "yes" });
  });
});

describe("sketch records", () => {
  it("draw no stroke in someone else's name", async () => {
    const { ann, bob, signAs, forgeAs, trust, seen } = setting();
    const doc = new Y.Doc();
    const stroke = (p: Who) =>
      draftStroke({
        id: id(),
        by: p.user,
        color: "#c0392b",
        width: 4,
        points: [0, 0, 10, 10],
        device: p.device,
      })!;
    addStroke(doc, await signAs(ann, "stroke", "", stroke(ann)));
    addStroke(doc, await forgeAs(bob, "stroke", "", stroke(ann)));
    addStroke(doc, await signAs(bob, "stroke", "", stroke(bob)));
    const shown = await seen(doc, (d) => strokes(d, trust));
    expect(shown.map((s) => s.by)).toEqual([ann.user, bob.user]);
  });
});

describe("signing", () => {
  it("binds a record to its kind, place and every field it holds", async () => {
    const { ann, signAs, verdictOf } = setting();
    const fields = { v: true, by: ann.user, at: 1 };
    const signed = await signAs(ann, "task-field", "t1/done", fields);
    expect(await verdictOf("task-field", "t1/done", { ...signed }, ann.user)).toBe("verified");
    expect(await verdictOf("note-field", "t1/done", { ...signed }, ann.user)).toBe("forged");
    expect(await verdictOf("task-field", "t2/done", { ...signed }, ann.user)).toBe("forged");
    expect(await verdictOf("task-field", "t1/done", { ...signed, extra: 1 }, ann.user)).toBe(
      "forged",
    );
    expect(await verdictOf("task-field", "t1/done", { ...signed, v: false }, ann.user)).toBe(
      "forged",
    );
    // Too deep to encode is refused, not thrown.
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { deep };
    expect(await verdictOf("task-field", "t1/done", { ...signed, v: deep }, ann.user)).toBe(
      "forged",
    );
  });
});
