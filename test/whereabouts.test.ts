/**
 * Whereabouts end to end, with a real relay process and real engines on
 * encrypted file stores: Bob's tool, note and caret reach Ann, named by her
 * membership, within seconds; a newcomer is told where the others are;
 * closing says "nowhere"; a build that knows only presence version 1 keeps
 * seeing Bob online and counts whereabouts as undecodable, refusing
 * nothing; nothing of it is logged or queued.
 */
import { afterEach, describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import type { MemberSpace } from "../core/membership/member-space.js";
import { decodePresence, PresenceAnnouncer } from "../core/membership/presence.js";
import { Whereabouts } from "../core/membership/whereabouts.js";
import { loggedEnvelopes } from "../core/space/space-log.js";
import { decodeEnvelope, EnvelopeKind } from "../core/wire/envelope.js";
import { DecodeError } from "../core/wire/errors.js";
import { type Person, peopleOn } from "./membership-harness.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

function track(p: Person, space: MemberSpace) {
  const presence = PresenceAnnouncer.forMemberSpace(space, { engine: p.engine! });
  const where = new Whereabouts({
    space: space.space,
    userOf: (d) => space.access.userOf(d),
    device: space.access.device,
    presence,
  });
  running.push({ close: () => presence.stop() }, { close: () => where.close() });
  return { presence, where };
}

describe("whereabouts", () => {
  it("travel to members over the relay, tell newcomers, go on close, and leave version 1 listeners unharmed", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const annSpace = await founded(ann, "Studio");
    const bobSpace = await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    await waitFor(
      () => annSpace.log.state.members.size === 2 && bobSpace.log.state.members.size === 2,
      "both members at both",
    );
    // Ann's side as a build before whereabouts would take it: version 1 only.
    const oldDecoder = { ok: 0, refused: 0 };
    annSpace.space.on("ephemeral", (_author, payload) => {
      try {
        decodePresence(payload);
        oldDecoder.ok++;
      } catch (err) {
        if (!(err instanceof DecodeError) || err.code !== "UNSUPPORTED_VERSION") throw err;
        oldDecoder.refused++;
      }
    });
    const a = track(ann, annSpace);
    const b = track(bob, bobSpace);
    await a.presence.start();
    // Ann is somewhere before Bob shows up: he is told when first heard.
    a.where.setPlace("Chat");
    await b.presence.start();
    await waitFor(() => a.presence.presenceOf(bob.id).status === "online", "Bob online at Ann");
    await waitFor(
      () => b.where.places().some((p) => p.user === ann.id && p.tool === "Chat"),
      "Ann's place told to Bob",
    );

    const caret = { anchor: Uint8Array.of(1, 2, 3), head: Uint8Array.of(4, 5) };
    b.where.setPlace("Notes", "n1");
    b.where.setCaret(caret);
    await waitFor(
      () => a.where.places().some((p) => p.note === "n1" && p.caret?.head.length === 2),
      "Bob's note and caret at Ann",
    );
    const atAnn = a.where.places().find((p) => p.user === bob.id)!;
    expect(atAnn).toMatchObject({ device: toHex(bobSpace.access.device), tool: "Notes" });
    expect([...atAnn.caret!.anchor]).toEqual([1, 2, 3]);

    await b.where.close();
    await waitFor(() => a.where.places().length === 0, "Bob nowhere at Ann");

    // The old decoder kept hearing heartbeats and refused whereabouts as an unknown version.
    expect(oldDecoder.ok).toBeGreaterThan(0);
    expect(oldDecoder.refused).toBeGreaterThanOrEqual(3);
    expect(a.presence.undecodable).toBe(0);
    expect(a.presence.presenceOf(bob.id).status).toBe("online");
    expect(annSpace.space.stats.rejected).toEqual({});
    expect(a.where.undecodable).toBe(0);
    for (const [p, space] of [
      [ann, annSpace],
      [bob, bobSpace],
    ] as const) {
      const logged = await loggedEnvelopes(p.store, toHex(space.space.access.spaceId));
      const queued = [...(await p.engine!.outbox.list()), ...(await p.engine!.directOutbox.list())];
      const kinds = [...logged, ...queued.map((e) => e.envelope)].map(
        (e) => decodeEnvelope(e).header.kind,
      );
      expect(kinds).not.toContain(EnvelopeKind.ephemeral);
    }
  });

  it("a caret moving without pause stays under what receivers admit, and its last place arrives", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const annSpace = await founded(ann, "Studio");
    const bobSpace = await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    await waitFor(() => annSpace.log.state.members.size === 2, "Bob at Ann");
    const a = track(ann, annSpace);
    const b = track(bob, bobSpace);
    await a.presence.start();
    await b.presence.start();
    await waitFor(() => a.presence.presenceOf(bob.id).status === "online", "Bob online at Ann");
    b.where.setPlace("Notes", "n1");
    // 4 seconds of a caret moving every 20 ms (200 moves): far more than may be sent.
    const started = Date.now();
    let i = 0;
    await new Promise<void>((done) => {
      const move = setInterval(() => {
        i++;
        b.where.setCaret({
          anchor: Uint8Array.of(i & 0xff, i >> 8),
          head: Uint8Array.of(i & 0xff),
        });
        if (Date.now() - started >= 4000) {
          clearInterval(move);
          done();
        }
      }, 20);
    });
    const last = i;
    await waitFor(
      () =>
        a.where
          .places()
          .some(
            (p) =>
              p.caret && p.caret.anchor[0] === (last & 0xff) && p.caret.anchor[1] === last >> 8,
          ),
      "Bob's last caret at Ann",
    );
    // At most 4 a second (plus the first at once), none refused for rate at Ann.
    expect(b.where.sent).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 250) + 2);
    expect(annSpace.space.stats.rejected.EPHEMERAL_RATE ?? 0).toBe(0);
    expect(a.presence.presenceOf(bob.id).status).toBe("online");
  });
});
