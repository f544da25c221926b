/**
 * Presence end to end, with a real relay process and real engines on
 * encrypted file stores: members see each other online, a change of status
 * shows within 5 seconds (with the default 20 s heartbeat, so it is the
 * change itself that travels), leaving shows at once as offline with a
 * last-seen time, and a device that goes silent turns offline after 1.5
 * heartbeat intervals. Presence is never stored: not by the relay for a
 * member who is offline, not in any log or outbox. A replayed presence
 * envelope is refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes, toHex } from "../core/crypto/bytes.js";
import type { MemberSpace } from "../core/membership/member-space.js";
import {
  PRESENCE_TIMEOUT_FACTOR,
  type Presence,
  PresenceAnnouncer,
} from "../core/membership/presence.js";
import { loggedEnvelopes } from "../core/space/space-log.js";
import { decodeEnvelope, EnvelopeKind } from "../core/wire/envelope.js";
import { seqBytes } from "./fixtures.js";
import { type Person, peopleOn } from "./membership-harness.js";
import { device, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

const announcers: PresenceAnnouncer[] = [];
afterEach(async () => {
  for (const a of announcers.splice(0)) await a.stop();
});

function presence(p: Person, space: MemberSpace, intervalMs?: number): PresenceAnnouncer {
  const announcer = PresenceAnnouncer.forMemberSpace(space, {
    engine: p.engine!,
    ...(intervalMs !== undefined && { intervalMs }),
  });
  announcers.push(announcer);
  return announcer;
}

/** Ann's space with Bob (and whoever else) joined by open invites, each seen by Ann before the next. */
async function spaceOf(ann: Person, ...others: Person[]): Promise<MemberSpace[]> {
  const annSpace = await founded(ann, "Studio");
  const spaces = [annSpace];
  for (const p of others) {
    spaces.push(await p.join((await annSpace.invite(inviteOptions("open"))).url));
    const size = spaces.length;
    await waitFor(() => annSpace.log.state.members.size === size, `${p.me.name} at Ann`);
  }
  const size = spaces.length;
  await waitFor(
    () => spaces.every((s) => s.log.state.members.size === size),
    "everyone seeing everyone",
  );
  return spaces;
}

async function queuedAtRelay(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${relay.process.port}/metrics`)).text();
  const match = /^grove_relay_queued_messages (\d+)$/m.exec(text);
  if (!match) throw new Error("no grove_relay_queued_messages in /metrics");
  return Number(match[1]);
}

const kinds = (envelopes: Uint8Array[]) => envelopes.map((e) => decodeEnvelope(e).header.kind);

async function expectNothingEphemeralKept(p: Person, space: MemberSpace): Promise<void> {
  const logged = await loggedEnvelopes(p.store, toHex(space.space.access.spaceId));
  expect(logged.length).toBeGreaterThan(0);
  expect(kinds(logged)).not.toContain(EnvelopeKind.ephemeral);
  const queued = [...(await p.engine!.outbox.list()), ...(await p.engine!.directOutbox.list())];
  expect(kinds(queued.map((e) => e.envelope))).not.toContain(EnvelopeKind.ephemeral);
}

describe("presence", () => {
  it("online on both sides; away within 5 s; leaving shows offline at once, with a last-seen time", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const [annSpace, bobSpace] = (await spaceOf(ann, bob)) as [MemberSpace, MemberSpace];
    // The default 20 s heartbeat: within this test, only starts, changes and answers travel.
    const annP = presence(ann, annSpace);
    const bobP = presence(bob, bobSpace);
    const seenAtAnn: Presence[] = [];
    annP.on("change", (user, p) => {
      if (user === bob.id) seenAtAnn.push(p);
    });
    expect(annP.presenceOf(bob.id)).toEqual({ status: "offline" });

    await annP.start();
    await bobP.start();
    await waitFor(
      () =>
        annP.presenceOf(bob.id).status === "online" && bobP.presenceOf(ann.id).status === "online",
      "Ann and Bob online at each other",
      5_000,
    );
    expect(annP.presenceOf(ann.id)).toEqual({ status: "online" });

    const changed = Date.now();
    await bobP.setStatus("away");
    await waitFor(() => annP.presenceOf(bob.id).status === "away", "Bob away at Ann", 5_000);
    expect(Date.now() - changed).toBeLessThan(5_000);
    await bobP.setStatus("online");
    await waitFor(() => annP.presenceOf(bob.id).status === "online", "Bob back at Ann", 5_000);

    const leaving = Date.now();
    await bobP.stop();
    await waitFor(() => annP.presenceOf(bob.id).status === "offline", "Bob gone at Ann", 5_000);
    const gone = annP.presenceOf(bob.id);
    expect(gone.lastSeen).toBeGreaterThanOrEqual(leaving);
    expect(gone.lastSeen).toBeLessThanOrEqual(Date.now());
    expect(seenAtAnn.map((p) => p.status)).toEqual(["online", "away", "online", "offline"]);

    expect(annSpace.space.stats.rejected).toEqual({});
    expect(annSpace.space.stats.ephemeral).toBeGreaterThanOrEqual(4);
    expect(annP.undecodable + annP.strangers + annP.sendFailures).toBe(0);
    await expectNothingEphemeralKept(ann, annSpace);
    await expectNothingEphemeralKept(bob, bobSpace);
  });

  it("a device that goes silent turns offline after 1.5 heartbeat intervals, last seen at its last heartbeat", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const [annSpace, bobSpace] = (await spaceOf(ann, bob)) as [MemberSpace, MemberSpace];
    const interval = 200;
    const annP = presence(ann, annSpace, interval);
    const bobP = presence(bob, bobSpace, interval);
    await annP.start();
    await bobP.start();
    await waitFor(() => annP.presenceOf(bob.id).status === "online", "Bob online at Ann", 5_000);
    await waitFor(() => annSpace.space.stats.ephemeral >= 5, "a few of Bob's heartbeats");

    // Bob's link drops without a word (his "offline" goes nowhere once the engine is down).
    const cut = Date.now();
    await bob.engine!.stop();
    bob.engine = undefined;
    await bobP.stop();
    await waitFor(() => annP.presenceOf(bob.id).status === "offline", "Bob offline at Ann", 5_000);
    const seen = Date.now();
    const { lastSeen } = annP.presenceOf(bob.id);
    expect(lastSeen).toBeGreaterThan(cut - 2_000);
    // Offline by silence, not by a message: no sooner than 1.5 intervals after the last one.
    expect(seen - lastSeen!).toBeGreaterThanOrEqual(PRESENCE_TIMEOUT_FACTOR * interval);
  });

  it("the relay never stores presence for a member who is offline; a replayed presence envelope is refused", async () => {
    const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
    const spaces = await spaceOf(ann, bob, cy);
    const [annSpace, bobSpace] = spaces as [MemberSpace, MemberSpace];
    // Joiners start from the invite's snapshot and ask members for the rest: let that settle,
    // so nothing lasting is on its way to Cy while presence runs.
    await waitFor(() => spaces.every((s) => s.space.gaps().length === 0), "no gaps anywhere");
    await cy.offline();
    for (const p of [ann, bob]) {
      await waitFor(
        async () =>
          (await p.engine!.outbox.list()).length + (await p.engine!.directOutbox.list()).length ===
          0,
        `${p.me.name}'s outbox to empty`,
      );
    }
    const queuedBefore = await queuedAtRelay();

    // Every envelope Bob hands the relay as ephemeral, to replay one later.
    const bobRelay = bob.engine!.relay!;
    const sendEphemeral = bobRelay.sendEphemeral.bind(bobRelay);
    const bobSent: Uint8Array[] = [];
    bobRelay.sendEphemeral = (targets, envelope) => {
      bobSent.push(envelope);
      return sendEphemeral(targets, envelope);
    };

    const annP = presence(ann, annSpace, 100);
    const bobP = presence(bob, bobSpace, 100);
    await annP.start();
    await bobP.start();
    await waitFor(() => annP.presenceOf(bob.id).status === "online", "Bob online at Ann", 5_000);
    const online = bobSent[0]!;
    await bobP.setStatus("away");
    await waitFor(() => annP.presenceOf(bob.id).status === "away", "Bob away at Ann", 5_000);
    // Heartbeats to Cy too, who is offline: the relay forwards them to nobody and keeps none
    // (what it holds for members online is theirs until they ack it, so wait for that).
    await waitFor(() => annSpace.space.stats.ephemeral >= 10, "ten of Bob's heartbeats at Ann");
    await waitFor(
      async () => (await queuedAtRelay()) <= queuedBefore,
      "nothing more queued at the relay than before presence",
    );

    // Bob's first "online", sent again as it was: a duplicate, and Bob stays away.
    const { duplicates } = annSpace.space.stats;
    const annDevice = ann.me.keys.sign.publicKey;
    expect(sendEphemeral([annDevice], online)).toBe(true);
    await waitFor(() => annSpace.space.stats.duplicates > duplicates, "the replay refused at Ann");
    expect(annP.presenceOf(bob.id).status).toBe("away");
    expect(annSpace.space.stats.rejected).toEqual({});

    await annP.stop();
    await bobP.stop();
    await expectNothingEphemeralKept(ann, annSpace);
    await expectNothingEphemeralKept(bob, bobSpace);

    // Cy's mailbox, read as Cy: what waits there lasts; not one presence envelope. A marker
    // queued last tells when the mailbox has been read through (it delivers in order).
    const marker = seqBytes(40, 7);
    const sender = await device(relay.url);
    sender.client.start();
    await sender.client.send([cy.me.keys.sign.publicKey], marker);
    await sender.client.stop();
    const cyDevice = await device(relay.url, {}, cy.me.keys.sign);
    cyDevice.client.start();
    await waitFor(
      () => cyDevice.received.some((d) => equalBytes(d.envelope, marker)),
      "Cy's mailbox read through",
    );
    await cyDevice.client.stop();
    const stored = cyDevice.received.filter((d) => !equalBytes(d.envelope, marker));
    expect(stored.every((d) => d.seq > 0 && !d.ephemeral)).toBe(true);
    expect(kinds(stored.map((d) => d.envelope))).not.toContain(EnvelopeKind.ephemeral);
  });
});
