/**
 * The user's private account space: a space whose only members are the
 * user's own devices, synced like any other (end-to-end encrypted, through
 * the relay or directly). It lists the user's spaces, the buddies the user
 * verified, and settings, so each device of the user sees the same.
 *
 *   doc map "spaces":   space id (hex) -> { name, relayUrl, addedAt }
 *   doc map "verified": user key (hex) -> VerifiedBuddy
 *   doc map "settings": name -> JSON value
 *
 * Values from the doc were written by the user's own devices, but a damaged
 * or old-format entry is skipped rather than trusted.
 */
import type * as Y from "yjs";
import type { VerifiedBuddy } from "./buddies.js";
import type { MemberSpace } from "./member-space.js";

export interface SpaceEntry {
  id: string;
  name: string;
  relayUrl: string;
  addedAt: number;
}

const SPACES = "spaces";
const VERIFIED = "verified";
const SETTINGS = "settings";
const KIND = "account";

export class AccountSpace {
  constructor(readonly member: MemberSpace) {}

  /** Marks a freshly created space as the account space. */
  static async init(member: MemberSpace): Promise<AccountSpace> {
    await member.space.edit((doc) => doc.getMap("meta").set("kind", KIND));
    return new AccountSpace(member);
  }

  static isAccount(member: MemberSpace): boolean {
    return member.space.doc.getMap("meta").get("kind") === KIND;
  }

  private get doc(): Y.Doc {
    return this.member.space.doc;
  }

  spaces(): SpaceEntry[] {
    const out: SpaceEntry[] = [];
    for (const [id, value] of this.doc.getMap<unknown>(SPACES)) {
      const v = value as Partial<SpaceEntry> | null;
      if (!/^[0-9a-f]{32}$/.test(id) || typeof v?.name !== "string") continue;
      if (typeof v.relayUrl !== "string" || typeof v.addedAt !== "number") continue;
      out.push({ id, name: v.name, relayUrl: v.relayUrl, addedAt: v.addedAt });
    }
    return out.sort((a, b) => a.addedAt - b.addedAt || (a.id < b.id ? -1 : 1));
  }

  rememberSpace(entry: Omit<SpaceEntry, "addedAt">, now = Date.now()): Promise<void> {
    return this.member.space.edit((doc) =>
      doc
        .getMap(SPACES)
        .set(entry.id, { name: entry.name, relayUrl: entry.relayUrl, addedAt: now }),
    );
  }

  forgetSpace(id: string): Promise<void> {
    return this.member.space.edit((doc) => doc.getMap(SPACES).delete(id));
  }

  verified(): Map<string, VerifiedBuddy> {
    const out = new Map<string, VerifiedBuddy>();
    for (const [user, value] of this.doc.getMap<unknown>(VERIFIED)) {
      const v = value as Partial<VerifiedBuddy> | null;
      if (!/^[0-9a-f]{64}$/.test(user) || typeof v?.name !== "string") continue;
      if (typeof v.fingerprint !== "string" || typeof v.verifiedAt !== "number") continue;
      out.set(user, { name: v.name, fingerprint: v.fingerprint, verifiedAt: v.verifiedAt });
    }
    return out;
  }

  markVerified(user: string, record: VerifiedBuddy): Promise<void> {
    return this.member.space.edit((doc) => doc.getMap(VERIFIED).set(user, { ...record }));
  }

  unverify(user: string): Promise<void> {
    return this.member.space.edit((doc) => doc.getMap(VERIFIED).delete(user));
  }

  setting<T>(name: string): T | undefined {
    return this.doc.getMap<T>(SETTINGS).get(name);
  }

  setSetting(name: string, value: unknown): Promise<void> {
    return this.member.space.edit((doc) => doc.getMap(SETTINGS).set(name, value));
  }
}
