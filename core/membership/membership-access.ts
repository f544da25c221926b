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
import type { Role, SpaceAccess } from "../space/access.js";
import { EnvelopeKind } from "../wire/envelope.js";
import { reachableKeys } from "./epoch-keys.js";
import { channelEpoch, type InviteKeys } from "./invite-link.js";
import type { MembershipLog } from "./membership-log.js";
import type { MembershipState } from "./resolve.js";
import { decodeWelcome } from "./welcome.js";

/** Kinds that change the space's content: viewers may not author them. */
const WRITES = new Set<EnvelopeKind>([
  EnvelopeKind.update,
  EnvelopeKind.snapshot,
  EnvelopeKind.fileManifest,
]);
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
}

export class MembershipAccess implements SpaceAccess {
  private cache: { state: MembershipState; keys: Map<number, Uint8Array> } | undefined;
  private readonly known = new Map<number, Uint8Array>();

  constructor(private readonly options: MembershipAccessOptions) {
    for (const { epoch, key } of options.knownKeys ?? []) this.known.set(epoch, key);
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
    for (let i = epochs.length - 1; i >= 0; i--) {
      const key = keys.get(epochs[i]!.epoch);
      if (key) return { epoch: epochs[i]!.epoch, key };
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
    // Ops are judged by the log (signatures, roles); anyone with the key may carry them.
    if (OPS.has(kind)) return true;
    if (isChannelEpoch(epoch)) return false;
    const state = this.options.log.state;
    const user = state.devices.get(toHex(author));
    if (!user) return false;
    const role = state.members.get(user)!.role;
    return role !== "viewer" || !WRITES.has(kind);
  }

  async takeMembership(kind: EnvelopeKind, payload: Uint8Array): Promise<void> {
    if (kind === EnvelopeKind.membership) await this.options.log.add(payload);
    // A welcome's ops are checked one by one like any other. Its keys are not taken: anyone
    // holding a link could send one, and a key this device needs reaches it in a key box.
    if (kind === EnvelopeKind.welcome) {
      for (const op of decodeWelcome(payload).ops) await this.options.log.add(op);
    }
    this.cache = undefined;
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
    for (const invite of state.invites.values()) {
      keys.set(channelEpoch(fromHex(invite.inviteSign)), invite.channelKey);
    }
    this.cache = { state, keys };
    return keys;
  }
}

export function isChannelEpoch(epoch: number): boolean {
  return epoch >= 0x80000000;
}
