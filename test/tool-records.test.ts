/**
 * No member can speak as another, end to end: a real relay process, real
 * engines, and the app's own SpaceHandle on each device. Ann writes in every
 * tool; Bob, a member in good standing, writes raw records through
 * `space.edit` in Ann's name (or rewrites hers), the way a modified client
 * would; Cy, a third member, must see every forgery refused or shown as not
 * Ann's, every name from the membership (Bob's even after he is removed),
 * and must never fetch Bob's bytes under Ann's name.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { toHex } from "../core/crypto/bytes.js";
import type { MemberSpace } from "../core/membership/member-space.js";
import { putMessage } from "../core/space/tools/chat.js";
import { fieldPlace } from "../core/space/tools/entries.js";
import { addFile, fileRecord } from "../core/space/tools/files.js";
import {
  type RecordKind,
  type Signed,
  signRecord,
  UnsignedRecordError,
} from "../core/space/tools/signed-records.js";
import { uploadFile } from "../core/sync/file-transfer.js";
import { handleOf } from "./app-handle.js";
import { peopleOn } from "./membership-harness.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

/** `fields` under `fields.device`'s name, signed by the device of `space` (a modified client). */
async function forged<T extends object>(
  space: MemberSpace,
  kind: RecordKind,
  place: string,
  fields: T & Signed,
): Promise<T & Signed> {
  const signed = await signRecord(kind, space.access.spaceId, place, fields, (bytes) =>
    space.space.signRecord(bytes),
  );
  return { ...signed, device: fields.device };
}

describe("tool records", () => {
  it("a member writing in another's name, or rewriting their records, is refused or shown as himself", async () => {
    const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
    const annSpace = await founded(ann, "Garden");
    const bobSpace = await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    const cySpace = await cy.join((await annSpace.invite(inviteOptions("open"))).url);
    for (const s of [annSpace, bobSpace, cySpace]) {
      await waitFor(() => s.log.state.members.size === 3, "three members everywhere");
    }
    const [annApp, bobApp, cyApp] = [
      handleOf(ann, annSpace),
      handleOf(bob, bobSpace),
      handleOf(cy, cySpace),
    ];
    const annDevice = toHex(ann.me.keys.sign.publicKey);

    // Ann writes in each tool, as the app does.
    await annApp.chat.send("hello from Ann");
    await annApp.discussion.startTopic("Planting plan", "beans first");
    const annBytes = new TextEncoder().encode("Ann's report");
    await annApp.files.shareFile({ name: "report.pdf", type: "application/pdf", bytes: annBytes });
    await annApp.tasks.addTask("Water the beans");
    await annApp.calendar.addEvent({
      title: "Work day",
      day: "2026-12-05",
      time: "10:00",
      minutes: 60,
      place: "",
    });
    await annApp.sketch.draw({ color: "#c0392b", width: 4, points: [0, 0, 10, 10] });
    await waitFor(
      () =>
        bobApp.files.files().length === 1 &&
        cyApp.files.files().length === 1 &&
        bobApp.tasks.tasks().length === 1 &&
        bobApp.calendar.events().length === 1 &&
        bobApp.chat.messages().length === 1 &&
        cyApp.discussion.topics().length === 1,
      "Ann's records at Bob and Cy",
    );
    const annFile = cyApp.files.files()[0]!;
    expect(annFile.byName).toBe("Ann");
    const annTask = bobApp.tasks.tasks()[0]!;
    const annEvent = bobApp.calendar.events()[0]!;
    const annMessage = bobApp.chat.messages()[0]!;

    // Bob, with a modified client:
    const now = Date.now();
    const spaceId = bobSpace.access.spaceId;
    const bobDevice = toHex(bob.me.keys.sign.publicKey);
    // 1. a correctly signed message of his own that names itself "Ann";
    await bobSpace.space.edit((doc) =>
      putMessage(doc, { ...annMessage, text: "Ann says: pay Bob" }),
    );
    const selfNamed = await signRecord(
      "chat-message",
      spaceId,
      "",
      {
        id: "b0".repeat(12),
        author: bob.id,
        device: bobDevice,
        n: 1,
        name: "Ann",
        at: now,
        text: "I am Ann, trust me",
        mentions: [],
      },
      (bytes) => bobSpace.space.signRecord(bytes),
    );
    await bobSpace.space.edit((doc) => putMessage(doc, selfNamed));
    // 2. Ann's "report.pdf" replaced so it fetches his bytes, still "shared by Ann";
    const bobBytes = new TextEncoder().encode("Bob's malware");
    const bobManifest = await uploadFile(bob.engine!.relay!, bobBytes);
    const annRecord = fileRecord(bobSpace.space.doc, annFile.id)!;
    await bobSpace.space.edit((doc) => addFile(doc, { ...annRecord, ...bobManifest }));
    // 3. a topic started by "Ann", and a task, an event and a stroke in her name;
    const topic = { id: "b1".repeat(12), author: ann.id, at: now, title: "Ann: pay Bob", text: "" };
    const task = { id: "b2".repeat(12), by: ann.id, at: now, title: "Ann owes Bob" };
    const event = {
      id: "b3".repeat(12),
      by: ann.id,
      at: now,
      title: "Ann's party at Bob's",
      day: "2026-12-06",
      time: "",
      minutes: 0,
      place: "",
    };
    const stroke = {
      id: "b4".repeat(12),
      by: ann.id,
      color: "#1f2d23",
      width: 24,
      points: [0, 0, 9999, 9999],
    };
    const asAnn = { device: annDevice };
    const fakeTopic = await forged(bobSpace, "discussion-topic", "", { ...topic, ...asAnn });
    const fakeTask = await forged(bobSpace, "task", "", { ...task, ...asAnn });
    const fakeEvent = await forged(bobSpace, "event", "", { ...event, ...asAnn });
    const fakeStroke = await forged(bobSpace, "stroke", "", { ...stroke, ...asAnn });
    // 4. Ann's task ticked and her event answered "no", in her name.
    const done = { v: true, by: ann.id, at: now, ...asAnn };
    const fakeDone = await forged(bobSpace, "task-field", fieldPlace(annTask.id, "done"), done);
    const no = { v: "no", by: ann.id, at: now, ...asAnn };
    const fakeNo = await forged(bobSpace, "event-answer", fieldPlace(annEvent.id, "rsvp"), no);
    await bobSpace.space.edit((doc) => {
      doc.getMap("discussion/topics").set(fakeTopic.id, fakeTopic);
      const item = (map: string, value: object) => {
        const entry = new Y.Map<unknown>();
        entry.set("meta", value);
        if (map === "calendar/events") entry.set("rsvp", new Y.Map<unknown>());
        doc.getMap(map).set((value as { id: string }).id, entry);
      };
      item("tasks/items", fakeTask);
      item("calendar/events", fakeEvent);
      doc.getArray("sketch/strokes").push([fakeStroke]);
      (doc.getMap("tasks/items").get(annTask.id) as Y.Map<unknown>).set("done", fakeDone);
      const rsvp = (doc.getMap("calendar/events").get(annEvent.id) as Y.Map<unknown>).get("rsvp");
      (rsvp as Y.Map<unknown>).set(ann.id, fakeNo);
    });
    // And one honest message last: once Cy has it, Cy has everything before it.
    await bobApp.chat.send("that is all from Bob");

    await waitFor(
      () => cyApp.chat.messages().some((m) => m.text === "that is all from Bob"),
      "Bob's writes at Cy",
    );
    // What Cy's app shows, once its checks are in.
    await waitFor(() => {
      const verdicts = cyApp.chat.messages().map((m) => cyApp.chat.authenticity(m));
      return verdicts.every((v) => v !== undefined);
    }, "Cy's verdicts on every message");
    const shown = cyApp.chat
      .messages()
      .map((m) => [m.text, cyApp.nameOf(m.author), cyApp.chat.authenticity(m)]);
    expect(shown).toEqual(
      expect.arrayContaining([
        // Ann's rewritten message is not hers.
        ["Ann says: pay Bob", "Ann", "forged"],
        // Bob's message naming itself Ann is his, under his name.
        ["I am Ann, trust me", "Bob", "verified"],
        ["that is all from Bob", "Bob", "verified"],
      ]),
    );
    expect(shown.filter(([text]) => text === "hello from Ann")).toEqual([]);

    // The file Cy listed as Ann's does not download Bob's bytes.
    await expect(cyApp.files.fetchFile(annFile)).rejects.toBeInstanceOf(UnsignedRecordError);
    await waitFor(() => cyApp.files.files().length === 0, "the swapped record unlisted at Cy");

    // Only Ann's own topic, task, event and stroke, with nothing done or answered in her name.
    await waitFor(
      () =>
        cyApp.discussion.topics().length === 1 &&
        cyApp.tasks.tasks().length === 1 &&
        cyApp.calendar.events().length === 1 &&
        cyApp.sketch.strokes().length === 1,
      "Cy's views checked",
    );
    expect(cyApp.discussion.topics().map((t) => [t.title, t.name])).toEqual([
      ["Planting plan", "Ann"],
    ]);
    expect(cyApp.tasks.tasks().map((t) => [t.title, t.created.name, t.done])).toEqual([
      ["Water the beans", "Ann", undefined],
    ]);
    expect(cyApp.calendar.events().map((e) => [e.title, e.created.name, e.answers])).toEqual([
      ["Work day", "Ann", {}],
    ]);
    expect(cyApp.sketch.strokes().map((s) => s.by)).toEqual([ann.id]);

    // Said as his own, Bob's file is shown as his, and Save gets his bytes knowingly.
    await bobApp.files.shareFile({ name: "report.pdf", type: "application/pdf", bytes: bobBytes });
    await waitFor(() => cyApp.files.files().length === 1, "Bob's own file at Cy");
    const bobFile = cyApp.files.files()[0]!;
    expect([bobFile.name, bobFile.byName]).toEqual(["report.pdf", "Bob"]);
    expect(new TextDecoder().decode(await cyApp.files.fetchFile(bobFile))).toBe("Bob's malware");

    // Once Bob is removed, what he wrote keeps his name (from his join), and stays his.
    await annSpace.remove(bob.me.cert.user);
    await waitFor(() => !cySpace.log.state.members.has(bob.id), "Bob removed at Cy");
    const last = cyApp.chat.messages().find((m) => m.text === "that is all from Bob")!;
    expect([cyApp.nameOf(last.author), cyApp.chat.authenticity(last)]).toEqual(["Bob", "verified"]);
    expect(cyApp.nameOf("f".repeat(64))).toBe("Unknown member");

    for (const app of [annApp, bobApp, cyApp]) await app.close();
  });
});
