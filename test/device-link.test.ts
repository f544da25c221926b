/**
 * Linking a second device: the laptop (holding the user key) shows a link,
 * the phone asks through the relay, both show the same code, the laptop
 * accepts. The phone is then a member device of every space of the user:
 * it gets the history from members, writes, and other members see the
 * phone's writes as the same user's. Real relay process, real engines.
 */

import fc from "fast-check";
import { expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import {
  DeviceLinkOffer,
  decodeDeviceLink,
  decodeLinkMessage,
  encodeDeviceLink,
  encodeLinkMessage,
  linkCode,
  requestLink,
} from "../core/membership/device-link.js";
import { parseInviteUrl } from "../core/membership/invite-link.js";
import { joinByLink } from "../core/membership/join-by-link.js";
import { backend, chat, peopleOn, say } from "./membership-harness.js";
import { expectOnlyDecodeErrors, hostileBytes } from "./mutate.js";
import { connectWs, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions, linkDevice } = peopleOn(() => relay.url);

it("a linked phone joins every space of its user, reads the history and writes as that user", async () => {
  const [ann, bob] = [await person("Ann"), await person("Bob")];
  const shared = await founded(ann, "Book club");
  await say(shared, "chapter one by Friday");
  const bobSpace = await bob.join((await shared.invite(inviteOptions("open"))).url);
  await waitFor(() => shared.log.state.members.size === 2, "Bob at Ann");

  const linked = await linkDevice(ann, [shared], "Ann's phone");
  expect(linked.request.name).toBe("Ann's phone");
  // What the laptop shows is what the phone shows: the user compares and accepts.
  expect(linked.shownCode).toBe(linked.code);
  expect(toHex(linked.cert.user)).toBe(ann.id);

  const [phoneSpace] = linked.spaces;
  await waitFor(() => chat(phoneSpace!).length === 1, "the history on the phone", 20_000);
  expect(phoneSpace!.log.state.members.get(ann.id)?.devices.size).toBe(2);
  await say(phoneSpace!, "on my way (from the phone)");
  await waitFor(() => chat(bobSpace).includes("on my way (from the phone)"), "at Bob");
  // Bob sees the phone as one of Ann's devices, not as a stranger.
  expect(bobSpace.log.state.devices.get(toHex(linked.cert.deviceSign))).toBe(ann.id);
  expect(bobSpace.space.stats.rejected).toEqual({});
});

it("a linked phone gets a space its user founded and one it joined by invite, with their history", async () => {
  const [ann, bob] = [await person("Ann"), await person("Bob")];
  const club = await founded(bob, "Chess club");
  await say(club, "Tuesday at eight");
  const { url } = await club.invite(inviteOptions("open"));
  const home = await founded(ann, "Home");
  await say(home, "buy milk");
  // The laptop joins Bob's space through the engine it already runs.
  const joined = await joinByLink({
    link: parseInviteUrl(url),
    engine: ann.engine!,
    store: ann.store,
    backend,
    connect: connectWs,
    me: ann.me,
  });
  await waitFor(() => joined.access.isMember(), "Ann let in by Bob's device");
  // History follows admission by a sync request: read it before writing after it.
  await waitFor(() => chat(joined).includes("Tuesday at eight"), "the club's history at Ann");
  await say(joined, "count me in");
  await waitFor(() => chat(club).includes("count me in"), "Ann's message at Bob");

  const linked = await linkDevice(ann, [home, joined], "Ann's phone");
  const byId = new Map(linked.spaces.map((s) => [s.space.id, s]));
  const [phoneHome, phoneClub] = [byId.get(home.space.id), byId.get(joined.space.id)];
  expect(linked.spaces).toHaveLength(2);
  await waitFor(() => chat(phoneHome!).includes("buy milk"), "Home's history on the phone", 20_000);
  await waitFor(
    () => chat(phoneClub!).join("|") === "Tuesday at eight|count me in",
    "the club's history on the phone",
    20_000,
  );
  expect(phoneHome!.log.state.members.get(ann.id)?.role).toBe("owner");
  expect(phoneClub!.log.state.members.get(ann.id)?.role).toBe("member");
  expect(phoneClub!.log.state.members.get(ann.id)?.devices.size).toBe(2);

  await say(phoneClub!, "from the phone");
  await waitFor(() => chat(club).includes("from the phone"), "the phone's message at Bob");
  expect(club.log.state.devices.get(toHex(linked.cert.deviceSign))).toBe(ann.id);
  await say(phoneHome!, "milk bought");
  await waitFor(() => chat(home).includes("milk bought"), "the phone's message at the laptop");
  expect(club.space.stats.rejected).toEqual({});
});

it("a request from another link, or a code that differs, is told apart", async () => {
  const ann = await person("Ann");
  const offer = new DeviceLinkOffer({
    relayUrl: relay.url,
    me: ann.me,
    user: ann.user!,
    backend,
    connect: connectWs,
  });
  const other = new DeviceLinkOffer({
    relayUrl: relay.url,
    me: ann.me,
    user: ann.user!,
    backend,
    connect: connectWs,
  });
  try {
    const keys = generateDeviceKeys();
    const { code } = await requestLink({
      text: other.text,
      keys,
      name: "tablet",
      backend,
      connect: connectWs,
    });
    const request = await other.nextRequest();
    expect(linkCode(other.seed, request)).toBe(code);
    // The same request shown by the wrong offer gives another code.
    expect(linkCode(offer.seed, request)).not.toBe(code);
  } finally {
    await offer.close();
    await other.close();
  }
});

it("link texts and link messages decode strictly", () => {
  const link = {
    relayUrl: "wss://relay.example.org",
    seed: new Uint8Array(32).fill(1),
    device: new Uint8Array(32).fill(2),
    user: new Uint8Array(32).fill(3),
  };
  expect(decodeDeviceLink(encodeDeviceLink(link))).toEqual(link);
  const request = {
    deviceSign: new Uint8Array(32).fill(4),
    deviceBox: new Uint8Array(32).fill(5),
    name: "phone",
  };
  expect(decodeLinkMessage(encodeLinkMessage(request))).toEqual(request);
  const valid = encodeLinkMessage(request);
  fc.assert(
    fc.property(hostileBytes([valid]), fc.string({ maxLength: 120 }), (bytes, text) => {
      expectOnlyDecodeErrors(() => decodeLinkMessage(bytes));
      expectOnlyDecodeErrors(() => decodeDeviceLink(text));
    }),
    { numRuns: 2000 },
  );
});
