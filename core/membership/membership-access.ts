/**
 * SpaceAccess backed by the membership log: who receives envelopes, who may
 * author what, and the epoch keys this device can reach. It reads the log's
 * current state on every call, so an op taken in changes the very next
 * check.
 *
 * Keys come from key boxes sealed to this device (and to the invite it
 * joined by), keys handed over in an open invite's welcome, and the channel
 * keys of the space's invites. Under a channel epoch only membership ops
 * and welcomes travel: join requests from people who hold a link and
 * nothing else.
 */
import { fromHex, toHex } from "../crypto/bytes.js";
import type { BoxKeyPair, SigningKeyPair } from "../crypto/identity.js";
import type { MembershipSend, Role, SpaceAccess } from "../space/access.js";
import { EnvelopeKind } from "../wire/envelope.js";
import { reachableKeys } from "./epoch-keys.js";
import { channelEpoch, type InviteKeys } from "./invite-link.js";
import type { MembershipLog } from "./membership-log.js";
import type { MembershipState } from "./resolve.js";
import { decodeWelcome, type Refusal } from "./welcome.js";

/** Kinds that change the space's content: viewers may not author them. */
const WRITES = new Set<EnvelopeKind>([EnvelopeKind.update, EnvelopeKind.snapshot]);
const OPS = new Set<EnvelopeKind>([EnvelopeKind.membership, EnvelopeKind.welcome]);

export interface MembershipAccessOptions {
  log: MembershipLog;
  device: { sign: Pick<SigningKeyPair, "publicKey">; box: BoxKeyPair };
  /** Keys handed over outside the log (an open invite's welcome). */
  knownKeys?: { epoch: number; key: Uint8Array }[];
  /** The invite this device joined by, while it may still need its channel. */
  invite?: InviteKeys;
  /** Whom to address before the log names anyone (a confirmed joiner's managers). */
  targets?: Uint8Array[];
  /** The device that made the invite this device joined by (the link names it). */
  inviter?: Uint8Array;
  /** A refusal this device was told before (kept with its join record). */
  refusal?: JoinRefusal;
  /** Called once when a manager's device says this device will not be let in: keep it. */
  onRefusal?: (refusal: JoinRefusal) => void;
}

/** Why a device that asked to join will not be let in, and by whose invite. */
export interface JoinRefusal {
  reason: Refusal;
  inviterName: string;
}

/** Why a membership or welcome envelope was not taken (counted and acked, never retried). */
export class WelcomeRefused extends Error {
  override readonly name = "WelcomeRefused";
  readonly code = "WELCOME_NOT_FROM_MEMBER";
}

export class MembershipAccess implements SpaceAccess {
  private cache: { state: MembershipState; keys: Map<number, Uint8Array> } | undefined;
  private readonly known = new Map<number, Uint8Array>();
  private rotator: (() => Promise<MembershipSend | undefined>) | undefined;
  private refused: JoinRefusal | undefined;

  constructor(private readonly options: MembershipAccessOptions) {
    for (const { epoch, key } of options.knownKeys ?? []) this.known.set(epoch, key);
    this.refused = options.refusal;
  }

  get log(): MembershipLog {
    return this.options.log;
  }

  get spaceId(): Uint8Array {
    return this.options.log.spaceId;
  }

  /** This device's signing key. */
  get device(): Uint8Array {
    return this.options.device.sign.publicKey;
  }

  /** Keys learnt outside the log are kept for good (they came from the welcome). */
  learn(keys: { epoch: number; key: Uint8Array }[]): void {
    for (const { epoch, key } of keys) this.known.set(epoch, key);
    this.cache = undefined;
  }

  currentEpoch(): { epoch: number; key: Uint8Array } {
    const keys = this.keys();
    const epochs = this.options.log.state.epochs;
    for (const { epoch } of [...epochs].reverse()) {
      const key = keys.get(epoch);
      if (key) return { epoch, key };
    }
    const invite = this.options.invite;
    if (invite) return { epoch: channelEpoch(invite.sign.publicKey), key: invite.channelKey };
    throw new Error("no epoch key is reachable from this device");
  }

  /** The space's epochs this device can read, oldest first (what an open welcome hands on). */
  readableEpochs(): { epoch: number; key: Uint8Array }[] {
    const out: { epoch: number; key: Uint8Array }[] = [];
    for (const { epoch } of this.options.log.state.epochs) {
      const key = this.keyForEpoch(epoch);
      if (key) out.push({ epoch, key });
    }
    return out;
  }

  keyForEpoch(epoch: number): Uint8Array | undefined {
    return this.keys().get(epoch);
  }

  devices(): Uint8Array[] {
    const devices = [...this.options.log.state.devices.keys()].map(fromHex);
    return devices.length > 0 ? devices : (this.options.targets ?? []);
  }

  role(user: Uint8Array): Role | undefined {
    return this.options.log.state.members.get(toHex(user))?.role;
  }

  isAllowed(author: Uint8Array, epoch: number, kind: EnvelopeKind): boolean {
    // An epoch without a key here is refused as UNKNOWN_EPOCH by the opener, not as the author's fault.
    // Under an invite's channel only join requests travel to members; welcomes only to the
    // device that joins by it (a welcome a member gets under a channel is nobody's to send).
    if (isChannelEpoch(epoch)) {
      if (kind === EnvelopeKind.membership) return true;
      const own = this.options.invite;
      return (
        kind === EnvelopeKind.welcome &&
        !this.isMember() &&
        own !== undefined &&
        epoch === channelEpoch(own.sign.publicKey)
      );
    }
    // Ops are judged by the log (signatures, roles); anyone with the key may carry them.
    if (OPS.has(kind)) return true;
    const state = this.options.log.state;
    const user = state.devices.get(toHex(author));
    const role = user === undefined ? undefined : state.members.get(user)?.role;
    if (!role) return false;
    return role !== "viewer" || !WRITES.has(kind);
  }

  /**
   * Ops are signed by their authors and judged by the log, so a membership
   * envelope may come from anyone holding the key. A welcome is taken only
   * from a member's device, or, for a device not let in yet, from its
   * inviter, the managers its first welcome named, or a device the welcome's
   * own ops show to be a member (the manager who confirmed it). Its keys are
   * never taken: a key this device needs reaches it in a key box.
   */
  async takeMembership(kind: EnvelopeKind, payload: Uint8Array, author: Uint8Array): Promise<void> {
    this.cache = undefined;
    if (kind === EnvelopeKind.membership) {
      await this.options.log.add(payload);
      return;
    }
    if (kind !== EnvelopeKind.welcome) return;
    const state = this.options.log.state;
    const fromMember = state.devices.has(toHex(author));
    if (!fromMember && this.isMember()) throw new WelcomeRefused("a welcome from a non-member");
    const vouched =
      fromMember ||
      [this.options.inviter, ...(this.options.targets ?? [])].some(
        (d) => d !== undefined && toHex(d) === toHex(author),
      );
    const welcome = decodeWelcome(payload);
    // Ops stand on their own signatures; what a welcome adds beyond them is the sender's word.
    for (const op of welcome.ops) await this.options.log.add(op);
    if (!vouched && !this.options.log.state.devices.has(toHex(author))) {
      throw new WelcomeRefused("a welcome from a device that is not a member");
    }
    if (welcome.refusal && !this.isMember() && !this.refused) {
      this.refused = { reason: welcome.refusal, inviterName: welcome.inviterName };
      this.options.onRefusal?.(this.refused);
      this.options.log.emit("change", [this.options.log.state]);
    }
  }

  /**
   * For a device waiting to be let in: why it will not be, as a manager's
   * device told it (a one-time invite used by someone else, revoked, expired,
   * declined). Undefined while nobody said no.
   */
  get refusal(): JoinRefusal | undefined {
    return this.isMember() ? undefined : this.refused;
  }

  /** MemberSpace hands in how to author an owed rotation (it holds the device's keys). */
  setRotator(rotator: () => Promise<MembershipSend | undefined>): void {
    this.rotator = rotator;
  }

  async beforeWrite(): Promise<MembershipSend | undefined> {
    if (!this.options.log.state.rotationOwed || !this.rotator) return undefined;
    return this.rotator();
  }

  onChange(listener: () => void): () => void {
    this.options.log.on("change", listener);
    return () => this.options.log.off("change", listener);
  }

  /** The user (hex) a member device (its signing key) belongs to; undefined for others. */
  userOf(device: Uint8Array): string | undefined {
    return this.options.log.state.devices.get(toHex(device));
  }

  /** The user a device was ever certified for, even one removed since (for who wrote what). */
  certifiedUserOf(device: string): string | undefined {
    return this.options.log.state.certified.get(device);
  }

  /** Is this device's user a member (and not only a pending joiner)? */
  isMember(): boolean {
    return this.options.log.state.devices.has(toHex(this.options.device.sign.publicKey));
  }

  private keys(): Map<number, Uint8Array> {
    const state = this.options.log.state;
    if (this.cache?.state === state) return this.cache.keys;
    const keys = new Map(this.known);
    for (const [e, k] of reachableKeys(state.epochs, this.options.device.box)) keys.set(e, k);
    if (this.options.invite) {
      for (const [e, k] of reachableKeys(state.epochs, this.options.invite.box)) keys.set(e, k);
      keys.set(channelEpoch(this.options.invite.sign.publicKey), this.options.invite.channelKey);
    }
    // A used, revoked or orphaned invite's channel is closed: its link opens nothing here.
    for (const invite of state.invites.values()) {
      if (invite.revoked || (invite.oneTime && invite.used)) continue;
      keys.set(channelEpoch(fromHex(invite.inviteSign)), invite.channelKey);
    }
    this.cache = { state, keys };
    return keys;
  }
}

export function isChannelEpoch(epoch: number): boolean {
  return epoch >= 0x80000000;
}
