/**
 * Buddies: the people a user shares spaces with, across all of them, with
 * whether the user has verified them (compared safety numbers in person or
 * by scanning a QR code) and a loud "key changed" state when someone turns
 * up under a verified buddy's name with another key (a reinstall without a
 * backup, or an impostor: either way, compare again before trusting).
 *
 * Pure: the membership states of the user's spaces and the verified list go
 * in, a sorted list comes out. Verified buddies are kept in the user's
 * account space (account.ts), so every device of the user agrees.
 */
import { fromHex } from "../crypto/bytes.js";
import { fingerprint, safetyNumber } from "../crypto/safety-number.js";
import type { Role } from "../space/access.js";
import { nameKey } from "./display-name.js";
import { mostPresent, type Presence } from "./presence.js";
import type { MembershipState } from "./resolve.js";

export interface VerifiedBuddy {
  /** The name the buddy had when verified. */
  name: string;
  /** The buddy's fingerprint when verified: a key change can never match it. */
  fingerprint: string;
  verifiedAt: number;
}

export type Trust = "verified" | "unverified" | "keyChanged";

export interface Buddy {
  user: string;
  name: string;
  trust: Trust;
  /**
   * For keyChanged: the verified user whose name this one carries (absent when
   * the user's own verified record no longer matches its key).
   */
  sameNameAs?: string;
  /** Spaces shared with this buddy (ids), and the buddy's role in each. */
  spaces: { id: string; name: string; role: Role }[];
  devices: number;
  /** The most present the buddy is in any shared space; offline when nothing was heard. */
  presence: Presence;
}

export interface SpaceView {
  id: string;
  name: string;
  state: MembershipState;
}

// Names are compared as people see them: invisible and direction-changing characters out.
const normalize = nameKey;

export function buddiesOf(
  me: string,
  spaces: SpaceView[],
  verified: ReadonlyMap<string, VerifiedBuddy>,
  /** Presence of a user in one space (the space's PresenceTracker). */
  presenceIn: (spaceId: string, user: string) => Presence | undefined = () => undefined,
): Buddy[] {
  const byUser = new Map<string, Buddy>();
  // Every name a user carries: each space's membership has the name they joined it with, and
  // each space's member list shows that one.
  const namesOf = new Map<string, Map<string, string>>();
  for (const space of spaces) {
    for (const member of space.state.members.values()) {
      if (member.user === me) continue;
      const buddy = byUser.get(member.user) ?? {
        user: member.user,
        name: member.name,
        trust: "unverified" as Trust,
        spaces: [],
        devices: 0,
        presence: { status: "offline" as const },
      };
      buddy.spaces.push({ id: space.id, name: space.name, role: member.role });
      const here = presenceIn(space.id, member.user);
      if (here) buddy.presence = mostPresent([buddy.presence, here]);
      buddy.devices = Math.max(buddy.devices, member.devices.size);
      byUser.set(member.user, buddy);
      const names = namesOf.get(member.user) ?? new Map<string, string>();
      names.set(normalize(member.name), member.name);
      namesOf.set(member.user, names);
    }
  }
  const verifiedNames = new Map<string, string>();
  for (const [user, v] of verified) verifiedNames.set(normalize(v.name), user);
  for (const buddy of byUser.values()) {
    const record = verified.get(buddy.user);
    if (record) {
      // A record that no longer matches the key it is filed under means what was verified is
      // not this key (a damaged or tampered account space): as loud as a new key for the name.
      buddy.trust =
        record.fingerprint === fingerprint(fromHex(buddy.user)) ? "verified" : "keyChanged";
      continue;
    }
    for (const [normal, name] of namesOf.get(buddy.user) ?? []) {
      const namesake = verifiedNames.get(normal);
      if (!namesake || namesake === buddy.user) continue;
      // Listed under the name it borrows, so "not the key you verified for this name" reads true.
      buddy.name = name;
      buddy.trust = "keyChanged";
      buddy.sameNameAs = namesake;
      break;
    }
  }
  const rank: Record<Trust, number> = { keyChanged: 0, verified: 1, unverified: 2 };
  return [...byUser.values()].sort(
    (a, b) =>
      rank[a.trust] - rank[b.trust] || a.name.localeCompare(b.name) || (a.user < b.user ? -1 : 1),
  );
}

/** What two people compare: the same twelve groups on both screens. */
export function safetyNumberWith(me: Uint8Array, buddy: Uint8Array): string {
  return safetyNumber(me, buddy);
}

const QR_PREFIX = "grove-verify:1:";

/** The text a QR code shows for the buddy to scan: this user's key, which the scan checks. */
export function verificationCode(me: Uint8Array, buddy: Uint8Array): string {
  return `${QR_PREFIX}${safetyNumber(me, buddy).replace(/ /g, "")}`;
}

/**
 * Checks a scanned code against what it must be for this pair. Compared in
 * full, without an early exit, so timing says nothing about how much matched.
 */
export function scannedCodeMatches(scanned: string, me: Uint8Array, buddy: Uint8Array): boolean {
  const expected = verificationCode(me, buddy);
  const text = scanned.trim();
  let diff = text.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) {
    diff |= (text.charCodeAt(i) || 0) ^ expected.charCodeAt(i);
  }
  return diff === 0;
}

/** The record to keep once the user confirmed the numbers match. */
export function verifiedRecord(buddy: Uint8Array, name: string, now = Date.now()): VerifiedBuddy {
  return { name, fingerprint: fingerprint(buddy), verifiedAt: now };
}
