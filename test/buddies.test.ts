/**
 * Buddies across spaces: one entry per person whatever the number of shared
 * spaces, verified only while the key is the one verified, a loud
 * "key changed" state when someone turns up with a verified buddy's name and
 * another key; QR verification codes that match only for the right pair.
 * And the account space carries verified buddies and the list of spaces to
 * the user's other (linked) devices.
 */
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { AccountSpace } from "../core/membership/account.js";
import {
  buddiesOf,
  safetyNumberWith,
  scannedCodeMatches,
  verificationCode,
  verifiedRecord,
} from "../core/membership/buddies.js";
import type { Presence } from "../core/membership/presence.js";
import type { Member, MembershipState } from "../core/membership/resolve.js";
import type { Role } from "../core/space/access.js";
import { peopleOn } from "./membership-harness.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

function stateWith(members: { user: Uint8Array; name: string; role?: Role; devices?: number }[]) {
  const map = new Map<string, Member>();
  for (const m of members) {
    const devices = new Map(
      Array.from({ length: m.devices ?? 1 }, (_, i) => [`${i}`, {} as never] as const),
    );
    map.set(toHex(m.user), {
      user: toHex(m.user),
      name: m.name,
      role: m.role ?? "member",
      devices,
    });
  }
  return { members: map } as unknown as MembershipState;
}

describe("buddy list", () => {
  const me = nacl.randomBytes(32);
  const bob = nacl.randomBytes(32);
  const cy = nacl.randomBytes(32);
  const impostor = nacl.randomBytes(32);

  it("merges people across spaces and shows trust", () => {
    const spaces = [
      {
        id: "s1",
        name: "Trip",
        state: stateWith([
          { user: me, name: "Me" },
          { user: bob, name: "Bob" },
        ]),
      },
      {
        id: "s2",
        name: "Work",
        state: stateWith([
          { user: me, name: "Me" },
          { user: bob, name: "Bob", role: "manager", devices: 2 },
          { user: cy, name: "Cy" },
        ]),
      },
    ];
    const verified = new Map([[toHex(bob), verifiedRecord(bob, "Bob", 1)]]);
    const list = buddiesOf(toHex(me), spaces, verified);
    expect(list.map((b) => [b.name, b.trust, b.spaces.length, b.devices])).toEqual([
      ["Bob", "verified", 2, 2],
      ["Cy", "unverified", 1, 1],
    ]);
    expect(list[0]!.spaces.map((s) => s.role)).toEqual(["member", "manager"]);
  });

  it("shows a buddy as present as in the most present shared space", () => {
    const spaces = ["s1", "s2", "s3"].map((id) => ({
      id,
      name: id,
      state: stateWith([{ user: bob, name: "Bob" }]),
    }));
    const heard: Record<string, Presence> = {
      s1: { status: "offline", lastSeen: 5 },
      s2: { status: "away" },
    };
    const [buddy] = buddiesOf(toHex(me), spaces, new Map(), (space) => heard[space]);
    expect(buddy!.presence).toEqual({ status: "away" });
    const [unheard] = buddiesOf(toHex(me), spaces.slice(2), new Map());
    expect(unheard!.presence).toEqual({ status: "offline" });
    const [gone] = buddiesOf(toHex(me), spaces.slice(0, 1), new Map(), (space) => heard[space]);
    expect(gone!.presence).toEqual({ status: "offline", lastSeen: 5 });
  });

  it("warns loudly when a verified buddy's name comes with another key", () => {
    const spaces = [
      {
        id: "s1",
        name: "Trip",
        state: stateWith([
          { user: impostor, name: " bob " },
          { user: cy, name: "Cy" },
        ]),
      },
    ];
    const verified = new Map([[toHex(bob), verifiedRecord(bob, "Bob", 1)]]);
    const [first] = buddiesOf(toHex(me), spaces, verified);
    expect(first).toMatchObject({ trust: "keyChanged", sameNameAs: toHex(bob) });
    // With the real Bob there too: Bob stays verified, the namesake is the loud one, first.
    spaces[0]!.state = stateWith([
      { user: bob, name: "Bob" },
      { user: impostor, name: "BOB" },
    ]);
    expect(buddiesOf(toHex(me), spaces, verified).map((b) => [b.user, b.trust])).toEqual([
      [toHex(impostor), "keyChanged"],
      [toHex(bob), "verified"],
    ]);
  });

  it("warns when a verified buddy's name comes with another key in any space, not only the first listed", () => {
    // The impostor joined one space as "Mallory" and another as "Bob": in the second one's
    // member list he reads "Bob", so the warning must hold there too.
    const spaces = [
      { id: "s1", name: "Trip", state: stateWith([{ user: impostor, name: "Mallory" }]) },
      { id: "s2", name: "Choir", state: stateWith([{ user: impostor, name: "Bob" }]) },
    ];
    const verified = new Map([[toHex(bob), verifiedRecord(bob, "Bob", 1)]]);
    const [buddy] = buddiesOf(toHex(me), spaces, verified);
    expect(buddy).toMatchObject({
      user: toHex(impostor),
      name: "Bob",
      trust: "keyChanged",
      sameNameAs: toHex(bob),
    });
  });

  it("warns when a verified buddy's name comes back with invisible or direction-changing characters", () => {
    const verified = new Map([[toHex(bob), verifiedRecord(bob, "Bob", 1)]]);
    // "B\u200Bob" looks like "Bob"; "\u202Ebob" shows as "bob"; each from another key.
    for (const name of ["B\u200Bob", "Bo\u00ADb", "\u202Ebob", "B\u2060ob "]) {
      const spaces = [{ id: "s1", name: "Trip", state: stateWith([{ user: impostor, name }]) }];
      const [buddy] = buddiesOf(toHex(me), spaces, verified);
      expect(buddy, JSON.stringify(name)).toMatchObject({
        trust: "keyChanged",
        sameNameAs: toHex(bob),
      });
    }
  });

  it("a verified record whose fingerprint no longer matches its key is a key change", () => {
    const spaces = [{ id: "s1", name: "Trip", state: stateWith([{ user: bob, name: "Bob" }]) }];
    const forged = new Map([[toHex(bob), verifiedRecord(impostor, "Bob", 1)]]);
    const [buddy] = buddiesOf(toHex(me), spaces, forged);
    expect(buddy!.trust).toBe("keyChanged");
    expect(buddy!.sameNameAs).toBeUndefined();
  });

  it("safety numbers and QR codes agree on both sides and only for the right pair", () => {
    expect(safetyNumberWith(me, bob)).toBe(safetyNumberWith(bob, me));
    expect(safetyNumberWith(me, bob)).toMatch(/^(\d{5} ){11}\d{5}$/);
    const shown = verificationCode(bob, me);
    expect(scannedCodeMatches(shown, me, bob)).toBe(true);
    expect(scannedCodeMatches(` ${shown}\n`, me, bob)).toBe(true);
    expect(scannedCodeMatches(verificationCode(impostor, me), me, bob)).toBe(false);
    expect(scannedCodeMatches(shown.slice(0, -1), me, bob)).toBe(false);
    expect(scannedCodeMatches("", me, bob)).toBe(false);
  });
});

describe("account space", () => {
  const relay = relayPerFile();
  const { person, founded, linkDevice } = peopleOn(() => relay.url);

  it("carries the list of spaces and verified buddies to a linked device", async () => {
    const ann = await person("Ann");
    const account = await AccountSpace.init(await founded(ann, "Account"));
    const bobKey = nacl.randomBytes(32);
    await account.rememberSpace({ id: "ab".repeat(16), name: "Trip", relayUrl: relay.url }, 5);
    await account.markVerified(toHex(bobKey), verifiedRecord(bobKey, "Bob", 7));

    const { spaces } = await linkDevice(ann, [account.member], "Ann's phone");
    const [member] = spaces;
    await waitFor(
      () => AccountSpace.isAccount(member!),
      "the account's content on the phone",
      20_000,
    );
    const onPhone = new AccountSpace(member!);
    await waitFor(() => onPhone.spaces().length === 1, "the space list on the phone");
    expect(onPhone.spaces()).toEqual([
      { id: "ab".repeat(16), name: "Trip", relayUrl: relay.url, addedAt: 5 },
    ]);
    expect(onPhone.verified().get(toHex(bobKey))).toEqual(verifiedRecord(bobKey, "Bob", 7));
    // And back: the phone unverifies, the laptop sees it.
    await onPhone.unverify(toHex(bobKey));
    await waitFor(() => account.verified().size === 0, "the change on the laptop");
  });
});
