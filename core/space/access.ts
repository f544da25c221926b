/**
 * What the sync engine needs to know about a space's membership: who
 * receives its envelopes, who may write what, and the keys of each epoch.
 * The signed membership log (core/membership) will implement it; until a
 * space has one, StaticAccess holds a fixed member list.
 */
import { fromHex, toHex } from "../crypto/bytes.js";
import { EnvelopeKind } from "../wire/envelope.js";

export type Role = "owner" | "manager" | "member" | "viewer";

/** Whether a role manages the space: invites, lets in, removes, sets roles (owner or manager). */
export function manages(role: Role | undefined): boolean {
  return role === "owner" || role === "manager";
}

export interface SpaceAccess {
  readonly spaceId: Uint8Array;
  /** The epoch new envelopes are sealed under. */
  currentEpoch(): { epoch: number; key: Uint8Array };
  keyForEpoch(epoch: number): Uint8Array | undefined;
  /** Every member device (Ed25519 public keys), this one included. */
  devices(): Uint8Array[];
  isAllowed(author: Uint8Array, epoch: number, kind: EnvelopeKind): boolean;
  /**
   * Takes the payload of a verified membership or welcome envelope (signed
   * ops, judged by the membership log). Spaces without a log have none.
   */
  takeMembership?(kind: EnvelopeKind, payload: Uint8Array, author: Uint8Array): Promise<void>;
  /**
   * Called before anything but a membership op is sealed. A membership that
   * owes a key rotation (someone left, and the current key is theirs too)
   * authors it here and hands back the op, which is sent first: nothing is
   * written under a key a departed device holds.
   */
  beforeWrite?(): Promise<MembershipSend | undefined>;
  /** Calls `listener` after each change of membership or keys; returns the unsubscribe. */
  onChange?(listener: () => void): () => void;
}

/** Kinds that change the space's content: viewers may not author them. */
const WRITES = new Set<EnvelopeKind>([EnvelopeKind.update, EnvelopeKind.snapshot]);

/** A membership op to seal and send: under `epoch`, to `to`. */
export interface MembershipSend {
  payload: Uint8Array;
  epoch: { epoch: number; key: Uint8Array };
  to: Uint8Array[];
}

export class StaticAccess implements SpaceAccess {
  private readonly roles: Map<string, Role>;

  constructor(
    readonly spaceId: Uint8Array,
    private readonly epochKey: Uint8Array,
    members: Iterable<[Uint8Array, Role]>,
    private readonly epoch = 0,
  ) {
    this.roles = new Map([...members].map(([key, role]) => [toHex(key), role]));
  }

  currentEpoch(): { epoch: number; key: Uint8Array } {
    return { epoch: this.epoch, key: this.epochKey };
  }

  keyForEpoch(epoch: number): Uint8Array | undefined {
    return epoch === this.epoch ? this.epochKey : undefined;
  }

  devices(): Uint8Array[] {
    return [...this.roles.keys()].map(fromHex);
  }

  isAllowed(author: Uint8Array, epoch: number, kind: EnvelopeKind): boolean {
    const role = this.roles.get(toHex(author));
    if (!role || epoch !== this.epoch) return false;
    // Membership ops are judged by the membership log itself, not here.
    if (kind === EnvelopeKind.membership) return false;
    return role !== "viewer" || !WRITES.has(kind);
  }
}
