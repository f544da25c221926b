/**
 * What every tool of one space shares, handed to each tool's model by the
 * registry: the space and this device's identity in it, who counts as whom
 * (names, signature verdicts), memoized readings per change of the doc, and
 * the signing of records. A tool's model needs nothing else from its space.
 */
import type * as Y from "yjs";
import { toHex } from "../../../core/crypto/bytes.js";
import type { MemberSpace } from "../../../core/membership/member-space.js";
import type { Whereabouts } from "../../../core/membership/whereabouts.js";
import { manages, type Role } from "../../../core/space/access.js";
import { TYPING } from "../../../core/space/space.js";
import { type Field, fieldPlace } from "../../../core/space/tools/entries.js";
import { RecordVerifier } from "../../../core/space/tools/record-verifier.js";
import {
  type RecordKind,
  type RecordTrust,
  type Signed,
  signRecord,
} from "../../../core/space/tools/signed-records.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import { MemberNames } from "./member-names.js";
import { whenIdle } from "./when-idle.js";

/** Typing renders the rest of the view at most this often (ms). */
const TYPED_RENDER_MS = 1000;

export interface MemberView {
  readonly user: string;
  readonly name: string;
  readonly role: Role;
  readonly devices: readonly string[];
  readonly me: boolean;
}

export interface Me {
  readonly user: string;
  readonly device: string;
  name(): string;
}

export const randomId = () => toHex(crypto.getRandomValues(new Uint8Array(12)));

/** What every tool's context of one space shares: names, verdicts and the memo. */
interface Shared {
  readonly names: MemberNames;
  readonly verifier: RecordVerifier;
  /**
   * Views are rebuilt only when the doc changed (the sidebar asks every space
   * on each render), or, for views that show only signed records, when
   * verdicts came in. The chat's list is not one of those (it renders each
   * message's verdict itself), so 30,000 messages are not listed again per
   * settled batch.
   */
  readonly memo: Map<string, { at: number; generation: number; arg: number; value: unknown }>;
  version: number;
  /** Transaction origins that are typing an editor has already shown (see `bump`). */
  readonly typing: Set<unknown>;
  /** Tells the client about typing, batched (see `bump`). */
  readonly typed: () => void;
}

export class SpaceContext {
  readonly names: MemberNames;
  readonly verifier: RecordVerifier;
  private readonly shared: Shared;

  constructor(
    readonly member: MemberSpace,
    readonly engine: AppSyncEngine,
    readonly me: Me,
    /** Who has which tool and note open here (the notes editor shows carets from it). */
    readonly whereabouts: Whereabouts,
    /** Tells the client something changed (coalesced there into one render per frame). */
    readonly changed: () => void,
    /** Has the client list the outbox again; resolves once the listing is taken in. */
    readonly outboxChanged: () => Promise<void>,
    /** Changes taken in the current catch-up, while one runs. */
    readonly catchingUp: () => number | undefined,
    /** Prefixes this context's memo keys: two tools naming a view alike keep their own. */
    private readonly scope = "space/",
    shared?: Shared,
  ) {
    this.shared = shared ?? {
      names: new MemberNames(member.log),
      verifier: new RecordVerifier({
        spaceId: member.access.spaceId,
        userOfDevice: (device) => member.access.certifiedUserOf(device),
        verify: (device, bytes, signature) => member.space.verifyRecord(device, bytes, signature),
        // The chat asks verdicts as it renders; the other tools' views are rebuilt per generation.
        onSettled: () => this.changed(),
      }),
      memo: new Map(),
      version: 0,
      typing: new Set([TYPING]),
      typed: whenIdle(() => this.changed(), TYPED_RENDER_MS),
    };
    this.names = this.shared.names;
    this.verifier = this.shared.verifier;
  }

  /** The same space for the tool `id`: everything shared but the names of its memoized views. */
  forTool(id: string): SpaceContext {
    return new SpaceContext(
      this.member,
      this.engine,
      this.me,
      this.whereabouts,
      this.changed,
      this.outboxChanged,
      this.catchingUp,
      `tool:${id}/`,
      this.shared,
    );
  }

  get doc(): Y.Doc {
    return this.member.space.doc;
  }

  /** Changes with every update of the space, for memoized views. */
  get revision(): number {
    return this.shared.version;
  }

  /**
   * The doc changed: memoized views are rebuilt at their next reading, and the
   * client renders at the next frame. Typing (a transaction whose origin is
   * one of `typingOrigin`'s) is already on screen, drawn by its editor: the
   * render it owes (an "edited" line, the notes list) waits for an idle moment
   * at least TYPED_RENDER_MS after the last, never the keystroke's frame.
   */
  bump(origin?: unknown): void {
    this.shared.version++;
    if (origin !== undefined && this.shared.typing.has(origin)) this.shared.typed();
    else this.changed();
  }

  /** Marks an editor's transaction origin as typing (`Space.type`'s is one already). */
  typingOrigin(origin: unknown): void {
    this.shared.typing.add(origin);
  }

  cached<T>(name: string, build: () => T, arg = 0, bySignature = true): T {
    const generation = bySignature ? this.verifier.generation : 0;
    const { memo, version } = this.shared;
    const key = this.scope + name;
    const hit = memo.get(key);
    if (hit && hit.at === version && hit.generation === generation && hit.arg === arg) {
      return hit.value as T;
    }
    const value = build();
    memo.set(key, { at: version, generation, arg, value });
    return value;
  }

  /** What the tools' readers ask about records and people in this space. */
  readonly trust: RecordTrust = {
    holds: (kind, place, record, author) =>
      this.verifier.verdict(kind, place, record, author) === "verified",
    nameOf: (user) => this.names.nameOf(user),
    moderates: (user) => manages(this.member.log.state.members.get(user)?.role),
  };

  get myRole(): Role | undefined {
    return this.member.log.state.members.get(this.me.user)?.role;
  }

  get canWrite(): boolean {
    const role = this.myRole;
    return role !== undefined && role !== "viewer";
  }

  members(): MemberView[] {
    return this.cached("members", () => {
      const out: MemberView[] = [];
      for (const m of this.member.log.state.members.values()) {
        out.push({
          user: m.user,
          name: m.name,
          role: m.role,
          devices: [...m.devices.keys()],
          me: m.user === this.me.user,
        });
      }
      const rank: Record<Role, number> = { owner: 0, manager: 1, member: 2, viewer: 3 };
      return out.sort((a, b) => rank[a.role] - rank[b.role] || a.name.localeCompare(b.name));
    });
  }

  /** A user's name as the membership knows it (never as a record names itself). */
  nameOf(user: string): string {
    return this.names.nameOf(user);
  }

  /** `fields` signed by this device for `kind` at `place`. */
  sign<T extends object>(kind: RecordKind, place: string, fields: T): Promise<T & Signed> {
    const { space, access } = this.member;
    return signRecord(kind, access.spaceId, place, { ...fields, device: this.me.device }, (b) =>
      space.signRecord(b),
    );
  }

  /** Field `field` of item `id` set to `v` by this user, signed. */
  field<T>(kind: RecordKind, id: string, field: string, v: T): Promise<Field<T>> {
    return this.sign(kind, fieldPlace(id, field), { v, by: this.me.user, at: Date.now() });
  }

  /** This user and device as a new record's author, now. */
  authored() {
    return { by: this.me.user, at: Date.now(), device: this.me.device };
  }

  /** Removes item `id` for everyone with this user's signed tombstone (the tool's `remove`). */
  async removeItem(
    kind: RecordKind,
    id: string,
    remove: (doc: Y.Doc, id: string, tombstone: Field<true>, trust: RecordTrust) => boolean,
  ): Promise<void> {
    const tombstone = await this.field(kind, id, "deleted", true as const);
    await this.member.space.edit((doc) => {
      remove(doc, id, tombstone, this.trust);
    });
  }
}
