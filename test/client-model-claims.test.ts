/**
 * What the app tells the user about a chat message outside the chat (its
 * notification, the Activity line, a search hit) names the author only when
 * the message is theirs. The chat itself shows a message that is not signed
 * by its named author's device with "Not signed by Ann's devices"; a member
 * with a modified client (Bob, a member in good standing, who writes raw
 * records in Ann's name or rewrites hers) must not get "Ann mentioned you",
 * "Ann wrote …" or a hit under Ann's name from anywhere else.
 * Managers' "Not heard from" says how long a member's devices acknowledged
 * nothing: never longer than they have been a member.
 * A note "deleted for everyone in this space" keeps none of its text in the
 * space's doc, on the members' devices or for whoever joins later.
 * A message edited or deleted while the edit waits on this device says
 * "Local only", not the "Delivered" its first version earned.
 * A removal made offline is not told as done while the others have not
 * heard of it (the removed member still gets what they write): the space
 * says its membership changes wait on this device.
 * A message written with nobody else in the space says so, not "At relay"
 * (nothing went there).
 * A member's name is shown without characters that change how it reads: a
 * right-to-left override would make "\u202Enna" show as "ann".
 * An event's "Going" names members only: someone who left or was removed
 * is not counted as coming.
 * A device link that fails part way says how far it got: "Refused. Nothing
 * was shared" must not follow an accept that had already added the device to
 * some spaces.
 * Real relay on 127.0.0.1; each person a GroveClient over its own FileStore.
 */
import { expect, it } from "vitest";
import * as Y from "yjs";
import { fromHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { LinkError, requestLink } from "../core/membership/device-link.js";
import { draftPost, putMessage } from "../core/space/tools/chat.js";
import { signRecord } from "../core/space/tools/signed-records.js";
import { calendarTool } from "../renderer/src/tools/calendar/index.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { notesTool } from "../renderer/src/tools/notes/index.js";
import { TOOL_PLUGINS } from "../renderer/src/tools/registry.js";
import { clientPeople } from "./client-people.js";
import { connectWs, waitFor } from "./relay-harness.js";

const { person, letIn, platform } = clientPeople();

it("a message forged in Ann's name is never told as Ann's: no notification, activity line or search hit names her", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const cy = await person("Cy");
  const annGarden = await ann.createSpace("Garden");
  const bobGarden = await letIn(ann, annGarden, bob);
  const cyGarden = await letIn(ann, annGarden, cy);
  await waitFor(() => bobGarden.members().length === 3, "Bob sees three members");

  await annGarden.tool(chatTool).send("hello from Ann");
  await waitFor(
    () => bobGarden.tool(chatTool).messages().length === 1,
    "Ann's message reaches Bob",
  );
  const annMessage = bobGarden.tool(chatTool).messages()[0];
  if (!annMessage) throw new Error("no message");

  // Bob's modified client: Ann's message rewritten under her signature, and a new message in
  // her name (her user and device) that mentions Cy, signed by Bob's own device.
  const space = bobGarden.member.space;
  await space.edit((doc) => putMessage(doc, { ...annMessage, text: "Ann says: pay Bob 500" }));
  const inHerName = await signRecord(
    "chat-message",
    bobGarden.member.access.spaceId,
    "",
    {
      id: "b0".repeat(12),
      author: ann.myUser,
      device: bob.myDevice,
      n: 2,
      name: "Ann",
      at: Date.now(),
      text: "@Cy please send Bob the key",
      mentions: [cy.myUser],
    },
    (bytes) => space.signRecord(bytes),
  );
  await space.edit((doc) => putMessage(doc, { ...inHerName, device: annMessage.device }));

  // Cy has both, and the chat says neither is Ann's.
  const chat = cyGarden.tool(chatTool);
  await waitFor(() => {
    const list = chat.messages();
    return (
      list.length === 2 &&
      list.some((m) => m.text.includes("pay Bob")) &&
      list.every((m) => chat.authenticity(m) === "forged")
    );
  }, "Cy's chat marks both messages as not Ann's");

  const told = (text: string) => /pay Bob|send Bob the key/.test(text);
  const notices = cyGarden.notices(0);
  expect(notices.filter((n) => told(n.body) || n.title.includes("Ann"))).toEqual([]);
  const activity = cyGarden.activity(0);
  expect(activity.filter((a) => a.tool === "Chat" && told(a.text))).toEqual([]);
  const hits = cyGarden.search(told);
  expect(hits.filter((h) => h.name === "Ann")).toEqual([]);

  // Ann's own messages still are told as hers (the check passes what is signed).
  await annGarden.tool(chatTool).send("the beans are in");
  await waitFor(
    () =>
      cyGarden
        .tool(chatTool)
        .messages()
        .some((m) => m.text === "the beans are in"),
    "Ann's second message at Cy",
  );
  await waitFor(
    () => cyGarden.notices(0).some((n) => n.body === "the beans are in" && n.title.includes("Ann")),
    "Ann's own message notified as hers",
  );
  expect(cyGarden.search((t) => t.includes("beans")).map((h) => h.name)).toEqual(["Ann"]);
}, 60_000);

const DAY_MS = 24 * 3600_000;

it("a member let in today is not 'not heard from' for the weeks the chat's history is older", async () => {
  const ann = await person("Ann");
  const annGarden = await ann.createSpace("Garden");
  // Forty days of history: Ann's messages, signed by her device, written then.
  const chat = annGarden.tool(chatTool);
  const space = annGarden.member.space;
  for (const daysAgo of [40, 39]) {
    const record = draftPost(space.doc, {
      id: `a${daysAgo}`.padEnd(24, "0"),
      author: ann.myUser,
      device: ann.myDevice,
      name: "Ann",
      at: Date.now() - daysAgo * DAY_MS,
      text: `${daysAgo} days ago`,
      mentions: [],
    });
    const signed = await signRecord(
      "chat-message",
      annGarden.member.access.spaceId,
      "",
      record,
      (b) => space.signRecord(b),
    );
    await space.edit((doc) => putMessage(doc, signed));
  }
  // Bob is let in now; his build has no chat, so he writes no receipt yet (as a device that
  // joined and closed the app before catching up).
  const noChat = TOOL_PLUGINS.filter((t) => t.id !== "chat");
  const bob = await person("Bob", undefined, noChat);
  await letIn(ann, annGarden, bob);
  const bobUser = bob.myUser;
  const now = Date.now();
  expect(chat.staleMembers(21, now).map((m) => m.user)).not.toContain(bobUser);
  // Three weeks on with nothing from him, he is flagged, silent since he was let in.
  const later = chat.staleMembers(21, now + 22 * DAY_MS).find((m) => m.user === bobUser);
  expect(later?.waiting).toBe(2);
  expect(Math.floor((now + 22 * DAY_MS - (later?.since ?? 0)) / DAY_MS)).toBe(22);
}, 60_000);

// Finding, not fixed here (see the report and decision 156): a read mark is a time on the
// reader's clock, compared with each record's time on its author's clock. A member whose clock
// runs an hour fast (or a modified client writing a time years ahead) leaves an unread count
// that reading the space cannot clear, a "New messages" line that never moves, and the space
// pinned first in the sidebar. Fixing it means read marks by position (per-device message
// numbers, as receipts do) across every tool's unread count, a change of the account's format.
it.fails("a message from a member whose clock runs an hour fast stops counting as unread once read", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const annGarden = await ann.createSpace("Garden");
  const bobGarden = await letIn(ann, annGarden, bob);
  const space = bobGarden.member.space;
  const record = draftPost(space.doc, {
    id: "c0".repeat(12),
    author: bob.myUser,
    device: bob.myDevice,
    name: "Bob",
    at: Date.now() + 3600_000,
    text: "written on a clock an hour fast",
    mentions: [],
  });
  const signed = await signRecord(
    "chat-message",
    bobGarden.member.access.spaceId,
    "",
    record,
    (b) => space.signRecord(b),
  );
  await space.edit((doc) => putMessage(doc, signed));
  await waitFor(
    () => ann.readAt(annGarden.id) >= 0 && annGarden.unread(ann.readAt(annGarden.id)) === 1,
    "Ann has it, unread",
  );
  await ann.markRead(annGarden.id);
  await waitFor(() => ann.readAt(annGarden.id) > 0, "Ann's read mark set");
  expect(annGarden.unread(ann.readAt(annGarden.id))).toBe(0);
}, 60_000);

/** Whether `text` is anywhere in the doc's state, as a member keeps it and a catch-up sends it. */
const docHolds = (doc: Y.Doc, text: string) =>
  Buffer.from(Y.encodeStateAsUpdate(doc)).includes(Buffer.from(text));

it("a note deleted for everyone leaves its text in no member's doc, nor in a later joiner's", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const annGarden = await ann.createSpace("Garden");
  const bobGarden = await letIn(ann, annGarden, bob);
  const secret = "the gate code is 4711";
  const notes = annGarden.tool(notesTool);
  const id = await notes.createNote("Gate", (rich) => {
    const p = new Y.XmlElement("paragraph");
    p.insert(0, [new Y.XmlText(secret)]);
    rich.insert(0, [p]);
  });
  await waitFor(
    () => bobGarden.tool(notesTool).noteText(id).includes(secret),
    "Bob has the note's text",
  );
  // Listed at Ann (its signature checked), as the list she deletes it from shows it.
  await waitFor(() => notes.notes().some((n) => n.id === id), "the note listed at Ann");
  await notes.deleteNote(id);
  await waitFor(() => bobGarden.tool(notesTool).notes().length === 0, "the note gone at Bob");
  expect(docHolds(annGarden.member.space.doc, secret)).toBe(false);
  await waitFor(
    () => !docHolds(bobGarden.member.space.doc, secret),
    "its text gone from Bob's doc",
  );

  // Cy joins afterwards and catches up from the members (to a message written after it).
  await annGarden.tool(chatTool).send("after the delete");
  const cy = await person("Cy");
  const cyGarden = await letIn(ann, annGarden, cy);
  await waitFor(
    () => cyGarden.tool(chatTool).messages().length === 1,
    "Cy caught up past the delete",
  );
  expect(docHolds(cyGarden.member.space.doc, secret)).toBe(false);
}, 60_000);

it("a message edited or deleted offline says Local only until the change leaves the device", async () => {
  const ap = platform();
  const ann = await person("Ann", ap);
  const bob = await person("Bob");
  const annGarden = await ann.createSpace("Garden");
  const bobGarden = await letIn(ann, annGarden, bob);
  const chat = annGarden.tool(chatTool);
  await chat.send("pay Bob 100");
  await chat.send("see you at six");
  const mine = (text: string) => {
    const m = chat.messages().find((x) => x.text === text || x.id === text);
    if (!m) throw new Error(`no message ${text}`);
    return m;
  };
  const [first, second] = [mine("pay Bob 100").id, mine("see you at six").id];
  await waitFor(() => bobGarden.tool(chatTool).messages().length === 2, "both messages at Bob");
  await waitFor(
    () =>
      chat.delivery(mine(first), ann.queued).state === "delivered" &&
      chat.delivery(mine(second), ann.queued).state === "delivered",
    "both delivered to Bob",
    20_000,
  );

  ap.setOnline(false);
  await waitFor(() => ann.offline, "Ann offline");
  await chat.editMessage(first, "pay Bob 200");
  await chat.deleteMessage(second);
  // What Ann's screen shows (the new text, "Message deleted") has not left her device.
  await waitFor(() => ann.queued.size >= 2, "the edit and the delete in Ann's outbox");
  expect(chat.delivery(mine(first), ann.queued).state).toBe("local");
  expect(chat.delivery(mine(second), ann.queued).state).toBe("local");

  ap.setOnline(true);
  await waitFor(
    () =>
      bobGarden
        .tool(chatTool)
        .messages()
        .some((m) => m.text === "pay Bob 200"),
    "the edit at Bob",
  );
  await waitFor(() => chat.delivery(mine(first), ann.queued).state !== "local", "sent");
}, 60_000);

it("a removal made offline says it waits on this device until it is sent, while the others still write to the removed", async () => {
  const ap = platform();
  const ann = await person("Ann", ap);
  const bob = await person("Bob");
  const cy = await person("Cy");
  const annGarden = await ann.createSpace("Garden");
  const bobGarden = await letIn(ann, annGarden, bob);
  const cyGarden = await letIn(ann, annGarden, cy);
  await waitFor(() => cyGarden.members().length === 3, "Cy sees three members");
  await waitFor(() => !ann.membershipWaiting(annGarden.id), "Ann's confirms sent");

  ap.setOnline(false);
  await waitFor(() => ann.offline, "Ann offline");
  await annGarden.member.remove(fromHex(bob.myUser));
  // Ann's list has Bob gone at once; Cy has not heard, and what Cy writes still reaches Bob.
  expect(annGarden.members().map((m) => m.name)).not.toContain("Bob");
  await cyGarden.tool(chatTool).send("Bob can still read this");
  await waitFor(
    () =>
      bobGarden
        .tool(chatTool)
        .messages()
        .some((m) => m.text === "Bob can still read this"),
    "Cy's message at Bob",
  );
  // So Ann's space must not let the removal pass for done.
  await waitFor(() => ann.membershipWaiting(annGarden.id), "Ann told her change waits");

  ap.setOnline(true);
  await waitFor(() => cyGarden.members().length === 2, "Cy hears of the removal");
  await waitFor(() => !ann.membershipWaiting(annGarden.id), "nothing waits any more");
}, 60_000);

it("a message written alone in a space says nobody else is here, not At relay, until someone has it", async () => {
  const ann = await person("Ann");
  const annGarden = await ann.createSpace("Garden");
  const chat = annGarden.tool(chatTool);
  await chat.send("notes to self");
  const m = chat.messages()[0];
  if (!m) throw new Error("no message");
  await waitFor(() => ann.queued.size === 0, "nothing queued");
  expect(chat.delivery(m, ann.queued).state).toBe("alone");
  // Bob joins and catches up: his receipt makes it delivered.
  const bob = await person("Bob");
  await letIn(ann, annGarden, bob);
  await waitFor(
    () => chat.delivery(m, ann.queued).state === "delivered",
    "delivered to Bob",
    20_000,
  );
}, 60_000);

it("a member's name is shown without direction overrides or invisible controls, before and after they leave", async () => {
  const ann = await person("Ann");
  const annGarden = await ann.createSpace("Garden");
  const mallory = await person("\u202Enna\u200F");
  const malloryGarden = await letIn(ann, annGarden, mallory);
  const bidi = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  const shown = annGarden.members().find((m) => m.user === mallory.myUser)?.name ?? "";
  expect(shown).toBe("nna");
  expect(annGarden.nameOf(mallory.myUser)).toBe("nna");
  // Gone, they keep the name their join gave, shown the same way.
  await malloryGarden.member.remove(fromHex(mallory.myUser));
  await waitFor(() => annGarden.members().length === 1, "Mallory gone at Ann");
  expect(bidi.test(annGarden.nameOf(mallory.myUser))).toBe(false);
}, 60_000);

it("a space's name, and the inviter's name on the joiner's screen, are shown without direction overrides or invisible controls", async () => {
  const mallory = await person("\u202Enna");
  const shed = await mallory.createSpace("\u202Edlog\u2066 ruo\u200F");
  const bob = await person("Bob");
  const joined = await letIn(mallory, shed, bob);
  const bidi = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
  expect(shed.name).toBe("dlog ruo");
  expect(bidi.test(joined.name)).toBe(false);
  expect(joined.inviter()?.name).toBe("nna");
}, 60_000);

it("an event's answers count members only: one who left is no longer going", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const annGarden = await ann.createSpace("Garden");
  const bobGarden = await letIn(ann, annGarden, bob);
  await annGarden.tool(calendarTool).addEvent({
    title: "Work day",
    day: "2099-05-01",
    time: "10:00",
    minutes: 60,
    place: "",
  });
  await waitFor(() => bobGarden.tool(calendarTool).events().length === 1, "the event at Bob");
  const id = bobGarden.tool(calendarTool).events()[0]?.id ?? "";
  await bobGarden.tool(calendarTool).answerEvent(id, "yes");
  const answers = () => annGarden.tool(calendarTool).events()[0]?.answers ?? {};
  await waitFor(() => answers()[bob.myUser] === "yes", "Bob going, at Ann");
  await bobGarden.member.remove(fromHex(bob.myUser));
  await waitFor(() => annGarden.members().length === 1, "Bob left, at Ann");
  expect(answers()[bob.myUser]).toBeUndefined();
}, 60_000);

it("a device link that fails after adding the device to some spaces says so, with how many", async () => {
  const ann = await person("Ann");
  await ann.createSpace("Garden");
  const shed = await ann.createSpace("Shed");
  const offer = ann.offerLink();
  const { linked } = await requestLink({
    text: offer.text,
    keys: generateDeviceKeys(),
    name: "New laptop",
    backend: await ed25519(),
    connect: connectWs,
  });
  linked.catch(() => undefined);
  const request = await offer.next();
  // The third space to take the device fails (a full disk, a refusal): the account space and
  // Garden already hold it, with their keys sealed to it, and the third may (an add seals its
  // key before it sends the welcome), so it is counted too: "up to 3".
  shed.member.addDevice = () => Promise.reject(new Error("disk full"));
  const failure = await offer.accept(request).then(
    () => undefined,
    (err: unknown) => err,
  );
  await offer.close();
  expect(failure).toBeInstanceOf(LinkError);
  expect(failure).toMatchObject({ code: "PARTLY_LINKED", added: 3 });
}, 60_000);
