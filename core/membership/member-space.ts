import { concatBytes, fromHex, toHex } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import type { DeviceCertificate, DeviceKeys } from "../crypto/identity.js";
import { newEpochKey } from "../crypto/key-box.js";
import { randomBytes } from "../crypto/random.js";
import { noted } from "../diagnostics/recent-errors.js";
import { type MembershipSend, manages, type Role } from "../space/access.js";
import { RateLimiter } from "../space/rate-limiter.js";
import type { Space } from "../space/space.js";
import type { Store } from "../store/store.js";
import type { RelayStatus } from "../sync/relay-transport.js";
import type { SyncEngine } from "../sync/sync-engine.js";
import { EnvelopeKind } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import { sealPrevious, sealToAll } from "./epoch-keys.js";
import { MembershipError } from "./errors.js";
import { InviteExpiry, type OnlineSignal } from "./invite-expiry.js";
import { channelEpoch, type InviteLink, inviteKeys, inviteUrl } from "./invite-link.js";
import { isChannelEpoch, type JoinRefusal, MembershipAccess } from "./membership-access.js";
import { MembershipLog } from "./membership-log.js";
import {
  type Action,
  type InviteMode,
  type KeyShare,
  type Rotation,
  SEALED_PREVIOUS_KEY_BYTES,
} from "./ops.js";
import type { Invite } from "./resolve.js";
import { decodeWelcome, encodeWelcome, type Refusal, type Welcome } from "./welcome.js";

export interface Me {
  keys: DeviceKeys;
  cert: DeviceCertificate;
  /** Display name, shown to other members. */
  name: string;
}

export interface InviteOptions {
  role: Role;
  mode: InviteMode;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  oneTime: boolean;
  /** ws(s) URL of the relay the joiner will use (goes into the link). */
  relayUrl: string;
  /** http(s) URL of the same relay's landing page. */
  publicUrl: string;
}

const SPACE_META = "meta";
/** The longest TTL a relay takes by default (relay/config.ts maxTtlSeconds). */
const MAX_WELCOME_TTL_SECONDS = 30 * 24 * 3600;
/** How long after its expiry a closed invite's notice stays at the relay. */
const NOTICE_GRACE_SECONDS = 14 * 24 * 3600;

export interface MemberSpaceOptions {
  /** The engine the space is open in: its relay link says when this device is online. */
  engine?: SyncEngine;
  /** Longest random wait before a manager seals an owed key (so managers seldom race). */
  healDelayMs?: number;
  /** How long a manager is online before it revokes expired invites (ms). */
  expirySettleMs?: number;
  /** For a device that joined by a link: what the welcome said of the space and the inviter. */
  invitation?: Invitation;
}

export type Invitation = Pick<Welcome, "spaceName" | "inviterName" | "inviter">;

export class MemberSpace {
  private healTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly healDelayMs: number;
  /** Revokes invites past their expiry while this device may (decision 31). */
  readonly expiry: InviteExpiry;

  /** What the invite link's welcome said, for a device that joined by one (shown while it waits). */
  readonly invitation: Invitation | undefined;

  constructor(
    readonly space: Space,
    readonly access: MembershipAccess,
    private readonly me: Me,
    options: MemberSpaceOptions = {},
  ) {
    this.invitation = options.invitation;
    this.healDelayMs = options.healDelayMs ?? 2000;
    this.seen = new Set(access.log.state.accepted);
    this.told = new Set(access.log.state.closedJoins.keys());
    // Notices are posted on a close seen while running; one seen in an earlier run was posted then.
    this.noticed = new Set(
      [...access.log.state.invites.values()].filter((i) => closedBecause(i)).map((i) => i.id),
    );
    this.readable = access.readableEpochs().length;
    const online = options.engine && relayOnline(options.engine);
    this.expiry = new InviteExpiry({
      openInvites: () => [...this.log.state.invites.values()].filter((i) => !i.revoked),
      mayRevoke: () => this.mayManage(),
      revoke: (id) => this.revokeInvite(id),
      ...(online && { online }),
      ...(options.expirySettleMs !== undefined && { settleMs: options.expirySettleMs }),
      spreadMs: this.healDelayMs,
    });
    access.setRotator(() => this.owedRotation());
    space.on("unknownEpoch", (author, epoch, kind) => this.answerLateJoin(author, epoch, kind));
    access.onChange(() => {
      this.scheduleHeal();
      this.scheduleAdmit();
      this.expiry.schedule();
      void this.forwardJoins().catch(noted("MEMBERSHIP_FOLLOW_UP", "forwarding join requests"));
      void this.tellClosedJoins().catch(
        noted("MEMBERSHIP_FOLLOW_UP", "telling joiners their invite closed"),
      );
      void this.postClosedNotices().catch(
        noted("MEMBERSHIP_FOLLOW_UP", "posting closed-invite notices"),
      );
      // A key just reached: what was sealed under it and refused meanwhile is asked for again.
      const readable = this.access.readableEpochs().length;
      if (readable > this.readable && this.access.isMember())
        void space
          .requestSync()
          .catch(noted("SYNC_REQUEST", "asking again for what a new key opens"));
      this.readable = readable;
    });
    this.scheduleHeal();
    this.scheduleAdmit();
    this.expiry.schedule();
  }

  private seen: Set<string>;
  private told: Set<string>;
  private noticed: Set<string>;
  private admitTimer: ReturnType<typeof setTimeout> | undefined;
  private admitting: Promise<void> | undefined;
  private rotating: Promise<MembershipSend | undefined> | undefined;

  /**
   * Joins on open invites are let in by a manager's device without asking
   * anyone: the link's holder gets in, but through a confirm, so a second
   * use of a one-time link can displace no one (decision 51).
   */
  openJoins(): string[] {
    const state = this.log.state;
    return [...state.pending.values()]
      .filter((p) => state.invites.get(p.invite)?.mode === "open")
      .map((p) => p.id);
  }

  /**
   * Stops everything this space would do on its own (key heals, admitting
   * open joins, revoking expired invites); the engine closes the space.
   */
  close(): void {
    this.closed = true;
    clearTimeout(this.healTimer);
    clearTimeout(this.admitTimer);
    this.healTimer = undefined;
    this.admitTimer = undefined;
    this.expiry.stop();
  }

  private closed = false;

  private scheduleAdmit(): void {
    if (this.closed) return;
    const joins = this.openJoins();
    if (this.admitTimer || this.admitting || !this.mayManage() || joins.length === 0) return;
    // The inviter lets its own joiners in at once; other managers wait a little, so they
    // seldom confirm the same join twice (harmless: the second is refused JOIN_UNKNOWN).
    const me = toHex(this.me.cert.user);
    const state = this.log.state;
    const mine = joins.some((id) => {
      const pending = state.pending.get(id);
      return pending !== undefined && state.invites.get(pending.invite)?.by === me;
    });
    this.admitTimer = setTimeout(
      () => {
        this.admitTimer = undefined;
        void this.admitOpenJoins().catch(
          noted("MEMBERSHIP_FOLLOW_UP", "letting in joins on open invites"),
        );
      },
      mine ? 0 : Math.random() * this.healDelayMs,
    );
  }

  /** Confirms every join waiting on an open invite; a refusal (used meanwhile) skips it. */
  admitOpenJoins(): Promise<void> {
    this.admitting ??= (async () => {
      try {
        for (const id of this.openJoins()) {
          if (!this.log.state.pending.has(id)) continue;
          await this.confirm(id).catch((err: unknown) => {
            if (!(err instanceof MembershipError)) throw err;
          });
        }
      } finally {
        this.admitting = undefined;
      }
      // Joins that came in meanwhile.
      this.scheduleAdmit();
    })();
    return this.admitting;
  }

  private mayManage(): boolean {
    return manages(this.access.role(this.me.cert.user));
  }

  /**
   * The rotation a departure left owed, authored now (once, however many
   * writes ask at the same moment) and handed back for the space to send
   * before what it was about to write. Any member holding the current key
   * may make it.
   */
  private owedRotation(): Promise<MembershipSend | undefined> {
    this.rotating ??= (async () => {
      try {
        if (!this.log.state.rotationOwed || !this.access.isMember()) return undefined;
        const epoch = this.access.currentEpoch();
        if (!this.access.keyForEpoch(epoch.epoch)) return undefined;
        const op = await this.log.author(this.me.keys.sign, {
          type: "rotate",
          rotation: this.nextKey(this.keyRecipients()),
        });
        return { payload: op, epoch, to: this.access.devices() };
      } finally {
        this.rotating = undefined;
      }
    })();
    return this.rotating;
  }
  private readable: number;

  /**
   * A joiner addresses its join to the members it knew from its welcome,
   * and joiners of the same moment do not know each other. The inviter sees
   * every join on its invites, so it passes each on to all members and sends
   * the joiner the whole log (ops are signed by their authors: forwarding
   * cannot alter them).
   */
  private async forwardJoins(): Promise<void> {
    const state = this.log.state;
    const me = toHex(this.me.cert.user);
    const fresh = [...state.accepted].filter((id) => !this.seen.has(id));
    for (const id of fresh) this.seen.add(id);
    for (const id of fresh) {
      const op = this.log.op(id);
      const action = op?.body.action;
      if (action?.type !== "join") continue;
      const invite = state.invites.get(toHex(action.invite));
      if (invite?.by !== me || toHex(action.cert.user) === me) continue;
      const joiner = action.cert.deviceSign;
      const others = this.access.devices().filter((d) => toHex(d) !== toHex(joiner));
      const bytes = this.log.opBytes(id);
      if (!bytes) continue;
      // The joiner gets the log once let in, with the confirm (it cannot open it before).
      await this.space.sendMembership(EnvelopeKind.membership, bytes, { to: others });
    }
  }

  /**
   * A joiner whose join was closed (another person used the one-time
   * invite, a manager declined, the invite was revoked or its inviter left)
   * is told so by the device of whoever closed it, under the invite's
   * channel: a refusal and names, no ops. Nobody waits forever.
   */
  private async tellClosedJoins(): Promise<void> {
    const state = this.log.state;
    const me = toHex(this.me.cert.user);
    for (const [id, closed] of state.closedJoins) {
      if (this.told.has(id)) continue;
      this.told.add(id);
      const join = this.log.op(id)?.body.action;
      const invite = join?.type === "join" ? state.invites.get(toHex(join.invite)) : undefined;
      if (closed.by !== me || join?.type !== "join" || !invite) continue;
      const reason = closed.reason === "INVITE_REVOKED" ? closedBecause(invite) : closed.reason;
      await this.sendRefusal(invite, join.cert.deviceSign, reason ?? closed.reason);
    }
  }

  /**
   * When an invite this device made closes, it leaves a notice in the
   * invite's mailbox at the relay beside the welcome, so the link's next
   * holder is told why before asking (used, revoked, expired) instead of
   * "can no longer be used" or a request nobody answers. Only this device:
   * a link names its inviter's device, the one a joiner believes.
   */
  private async postClosedNotices(): Promise<void> {
    const mine = toHex(this.me.keys.sign.publicKey);
    for (const invite of this.log.state.invites.values()) {
      const reason = closedBecause(invite);
      if (!reason || this.noticed.has(invite.id)) continue;
      this.noticed.add(invite.id);
      if (this.log.op(invite.id)?.signer !== mine) continue;
      const inviteSign = fromHex(invite.inviteSign);
      await this.sendRefusal(invite, inviteSign, reason, {
        // Long enough for a holder who opens the link until well after it would have expired.
        ttlSeconds: Math.min(
          MAX_WELCOME_TTL_SECONDS,
          Math.max(0, Math.ceil((invite.expiresAt - Date.now()) / 1000)) + NOTICE_GRACE_SECONDS,
        ),
      });
    }
  }

  /** A refusal and names, no ops, to one joining device under the invite's channel. */
  private async sendRefusal(
    invite: Invite,
    device: Uint8Array,
    refusal: Refusal,
    options: { ttlSeconds?: number } = {},
  ): Promise<void> {
    const welcome: Welcome = {
      spaceName: this.name,
      inviterName: this.log.state.members.get(invite.by)?.name ?? "",
      ops: [],
      keys: [],
      snapshot: new Uint8Array(0),
      targets: [],
      refusal,
    };
    await this.space.sendMembership(EnvelopeKind.welcome, encodeWelcome(welcome), {
      to: [device],
      epoch: { epoch: channelEpoch(fromHex(invite.inviteSign)), key: invite.channelKey },
      ...options,
    });
  }

  /** Late joins answered, by invite and device; cleared when full, so a flood cannot grow it. */
  private readonly answeredLate = new Set<string>();
  /** Answers per invite: a link holder cannot make managers' devices send without limit. */
  private readonly lateAnswers = new RateLimiter({ burst: 10, perSecond: 1 / 30, maxKeys: 256 });

  /**
   * A join that reaches this device after its invite closed (used, revoked,
   * expired) opens nothing here, so it never enters the log and no one would
   * answer it: its joiner would wait forever. The inviter's device (or any
   * manager's, once the inviter is gone) tells it why, once per device.
   */
  private answerLateJoin(author: Uint8Array, epoch: number, kind: EnvelopeKind): void {
    if (this.closed || kind !== EnvelopeKind.membership || !isChannelEpoch(epoch)) return;
    if (!this.mayManage()) return;
    const state = this.log.state;
    const invite = [...state.invites.values()].find(
      (i) => channelEpoch(fromHex(i.inviteSign)) === epoch,
    );
    const reason = invite && closedBecause(invite);
    if (!invite || !reason) return;
    if (invite.by !== toHex(this.me.cert.user) && state.members.has(invite.by)) return;
    const key = `${invite.id}:${toHex(author)}`;
    if (this.answeredLate.has(key) || !this.lateAnswers.take(invite.id)) return;
    if (this.answeredLate.size >= 4096) this.answeredLate.clear();
    this.answeredLate.add(key);
    void this.sendRefusal(invite, author, reason).catch(
      noted("MEMBERSHIP_FOLLOW_UP", "telling a late joiner why not"),
    );
  }

  /**
   * Member devices the current key is not sealed to: a device confirmed or
   * added concurrently with a rotation, whose author sealed it the older
   * key. They cannot read what is written now until someone seals it to them.
   */
  owedDevices(): DeviceCertificate[] {
    const state = this.log.state;
    const current = state.epochs[state.epochs.length - 1];
    if (!current) return [];
    const boxed = new Set(current.boxes.map((b) => toHex(b.recipient)));
    const owed: DeviceCertificate[] = [];
    for (const member of state.members.values()) {
      for (const cert of member.devices.values()) {
        if (!boxed.has(toHex(cert.deviceBox))) owed.push(cert);
      }
    }
    return owed;
  }

  /**
   * A rotation owed and not done is the classic failure of this design: any
   * manager online who holds the current key completes it, with a fresh key
   * sealed to every device. (Two managers doing so at once is harmless.)
   */
  async healKeys(): Promise<boolean> {
    const state = this.log.state;
    const current = state.epochs[state.epochs.length - 1];
    if (!current || !this.mayManage()) return false;
    if (!this.access.keyForEpoch(current.epoch) || this.owedDevices().length === 0) return false;
    // Which key each owed device holds, before the rotation seals it the new one.
    const owed = this.owedDevices().map((cert) => ({ cert, held: this.heldEpoch(cert.deviceBox) }));
    await this.author({ type: "rotate", rotation: this.nextKey(this.keyRecipients()) });
    // The owed cannot open the current key's envelopes: the log goes to each under a key it holds.
    for (const { cert, held } of owed) {
      if (!held) continue;
      await this.space.sendMembership(EnvelopeKind.welcome, encodeWelcome(this.logWelcome()), {
        to: [cert.deviceSign],
        epoch: held,
      });
    }
    return true;
  }

  /** The newest epoch sealed to a device's box key whose key this device holds too. */
  private heldEpoch(deviceBox: Uint8Array): { epoch: number; key: Uint8Array } | undefined {
    const box = toHex(deviceBox);
    const epochs = this.log.state.epochs;
    for (const { epoch, boxes } of [...epochs].reverse()) {
      const key = this.access.keyForEpoch(epoch);
      if (key && boxes.some((b) => toHex(b.recipient) === box)) return { epoch, key };
    }
    return undefined;
  }

  /** A welcome holding the whole log and nothing else. */
  private logWelcome(): Welcome {
    return {
      spaceName: this.name,
      inviterName: this.me.name,
      ops: this.log.encodedOps(),
      keys: [],
      snapshot: new Uint8Array(0),
      targets: [],
    };
  }

  private scheduleHeal(): void {
    if (this.healTimer || this.closed) return;
    if (this.owedDevices().length === 0 && !this.log.state.rotationOwed) return;
    this.healTimer = setTimeout(() => {
      this.healTimer = undefined;
      void this.settleOwed().catch(noted("MEMBERSHIP_FOLLOW_UP", "settling an owed key rotation"));
    }, Math.random() * this.healDelayMs);
  }

  /**
   * A departure's rotation is made even if nobody writes (the direct room
   * follows the key); a key owed to a member device is sealed by a manager.
   */
  private async settleOwed(): Promise<void> {
    // Through the space's queue, the same way a write settles it first.
    await this.space.rotateIfOwed();
    await this.healKeys();
  }

  /** Every device of every member (keys are never sealed to invites: decision 51). */
  private keyRecipients(except?: string): Uint8Array[] {
    const recipients: Uint8Array[] = [];
    for (const member of this.log.state.members.values()) {
      if (member.user === except) continue;
      for (const cert of member.devices.values()) recipients.push(cert.deviceBox);
    }
    return recipients;
  }

  get log(): MembershipLog {
    return this.access.log;
  }

  get name(): string {
    return (this.space.doc.getMap(SPACE_META).get("name") as string | undefined) ?? "";
  }

  /**
   * Opens a space this device is in (or waits to be let into), from its
   * store: the membership log, and for a joiner the keys and invite its
   * welcome handed over.
   */
  static async open(options: {
    engine: SyncEngine;
    store: Store;
    backend: Ed25519Backend;
    me: Me;
    spaceId: Uint8Array;
  }): Promise<MemberSpace> {
    const { engine, store, backend, me, spaceId } = options;
    const [{ log }, joined] = await Promise.all([
      MembershipLog.open(spaceId, backend, store),
      readJoinRecord(store, spaceId),
    ]);
    const access = new MembershipAccess({
      log,
      device: me.keys,
      ...(joined && {
        knownKeys: joined.keys,
        invite: inviteKeys(joined.seed),
        targets: joined.targets,
        ...(joined.inviter && { inviter: joined.inviter.deviceSign }),
        ...(joined.refusal && {
          refusal: { reason: joined.refusal, inviterName: joined.inviterName },
        }),
        onRefusal: keepRefusal(store, spaceId, joined.seed, joined),
      }),
    });
    const space = await engine.openSpace(access);
    return new MemberSpace(space, access, me, { engine, ...(joined && { invitation: joined }) });
  }

  /** Creates a space with this device's user as its owner. */
  static async create(options: {
    engine: SyncEngine;
    store: Store;
    backend: Ed25519Backend;
    me: Me;
    name: string;
  }): Promise<MemberSpace> {
    const { engine, store, backend, me } = options;
    const spaceId = randomBytes(16);
    const log = new MembershipLog(spaceId, backend, store);
    const key = newEpochKey();
    await log.author(me.keys.sign, {
      type: "create",
      cert: me.cert,
      name: me.name,
      boxes: sealToAll(key, [me.keys.box.publicKey]),
    });
    const access = new MembershipAccess({ log, device: me.keys });
    const space = await engine.openSpace(access);
    await space.edit((doc) => doc.getMap(SPACE_META).set("name", options.name));
    return new MemberSpace(space, access, me, { engine });
  }

  /**
   * Invites by link: an invite op for every member, and a welcome left at
   * the relay in the invite's own mailbox, so the joiner needs no member
   * online. Returns the link to send.
   */
  async invite(options: InviteOptions): Promise<{ url: string; link: InviteLink; id: string }> {
    const seed = randomBytes(32);
    const keys = inviteKeys(seed);
    const { id, op } = await this.author({
      type: "invite",
      inviteSign: keys.sign.publicKey,
      inviteBox: keys.box.publicKey,
      role: options.role,
      mode: options.mode,
      expiresAt: options.expiresAt,
      oneTime: options.oneTime,
      channelKey: keys.channelKey,
    });
    // Whatever the mode, the welcome holds the invite op and names, never a key or content:
    // a link that was used, revoked or expired must open nothing (decision 51).
    const welcome: Welcome = {
      spaceName: this.name,
      inviterName: this.me.name,
      inviter: this.me.cert,
      ops: [op],
      keys: [],
      snapshot: new Uint8Array(0),
      targets: this.managerDevices(),
    };
    await this.space.sendMembership(EnvelopeKind.welcome, encodeWelcome(welcome), {
      to: [keys.sign.publicKey],
      epoch: { epoch: channelEpoch(keys.sign.publicKey), key: keys.channelKey },
      // The relay keeps it no longer than the invite lasts (and no longer than relays allow).
      ttlSeconds: Math.min(
        MAX_WELCOME_TTL_SECONDS,
        Math.max(1, Math.ceil((options.expiresAt - Date.now()) / 1000)),
      ),
    });
    const link: InviteLink = {
      relayUrl: options.relayUrl,
      spaceId: this.space.access.spaceId,
      mode: options.mode,
      seed,
      inviter: this.me.keys.sign.publicKey,
    };
    return { url: inviteUrl(options.publicUrl, link), link, id };
  }

  /**
   * Lets a pending joiner in: the confirm op seals the space key to the
   * joiner's device; the log goes to the joiner under the invite's channel,
   * the only key the joiner holds until it opens that box.
   */
  async confirm(joinId: string): Promise<void> {
    const pending = this.log.state.pending.get(joinId);
    if (!pending) throw new MembershipError("JOIN_UNKNOWN", `no pending join ${joinId}`);
    const invite = this.log.state.invites.get(pending.invite);
    const request = this.log.opBytes(joinId);
    if (!invite || !request) {
      throw new MembershipError("JOIN_UNKNOWN", `join ${joinId} or its invite is not held`);
    }
    // Only managers got the request: every member needs it to take the confirm that names it.
    await this.space.sendMembership(EnvelopeKind.membership, request);
    await this.author({
      type: "confirm",
      join: fromHex(joinId),
      share: keyShare(this.access, [pending.cert.deviceBox]),
    });
    const welcome = this.logWelcome();
    await this.space.sendMembership(EnvelopeKind.welcome, encodeWelcome(welcome), {
      to: [pending.cert.deviceSign],
      epoch: { epoch: channelEpoch(fromHex(invite.inviteSign)), key: invite.channelKey },
    });
  }

  /**
   * Adds another device of this user: an addDevice op sealing the space key
   * to it, and the log sent to it under `under` (the link's channel key, the
   * only key the new device holds yet).
   */
  async addDevice(
    cert: DeviceCertificate,
    under: { epoch: number; key: Uint8Array },
  ): Promise<void> {
    await this.author({
      type: "addDevice",
      cert,
      share: keyShare(this.access, [cert.deviceBox]),
    });
    const welcome = this.logWelcome();
    await this.space.sendMembership(EnvelopeKind.welcome, encodeWelcome(welcome), {
      to: [cert.deviceSign],
      epoch: under,
    });
  }

  async decline(joinId: string): Promise<void> {
    await this.author({ type: "decline", join: fromHex(joinId) });
  }

  /**
   * Removes a user and rotates the key past them. Removing oneself is
   * leaving: the op carries no key, and whoever stays rotates (decision 51).
   */
  async remove(user: Uint8Array): Promise<void> {
    if (toHex(user) === toHex(this.me.cert.user)) {
      await this.author({
        type: "remove",
        user,
        rotation: { boxes: [], previous: new Uint8Array(SEALED_PREVIOUS_KEY_BYTES) },
      });
      return;
    }
    await this.author({
      type: "remove",
      user,
      rotation: this.nextKey(this.keyRecipients(toHex(user))),
    });
  }

  /** A fresh key sealed to `recipients`, with the current one sealed under it. */
  private nextKey(recipients: Uint8Array[]): Rotation {
    const { key: previous } = this.access.currentEpoch();
    const next = newEpochKey();
    return { boxes: sealToAll(next, recipients), previous: sealPrevious(previous, next) };
  }

  async setRole(user: Uint8Array, role: Role): Promise<void> {
    await this.author({ type: "setRole", user, role });
  }

  async revokeInvite(inviteId: string): Promise<void> {
    await this.author({ type: "revokeInvite", invite: fromHex(inviteId) });
  }

  /** Authors an op locally (refused here if not allowed), then sends it to every member. */
  private async author(action: Action): Promise<{ id: string; op: Uint8Array }> {
    // Sent under the key from before the op: a rotation's own op must open with the old key,
    // since the new one is only reachable through it.
    const before = this.access.currentEpoch();
    // To the members from before it: a removed member learns of the removal too, and a
    // device it lets in gets the log in a welcome (it cannot open the key from before).
    const to = this.access.devices();
    const op = await this.log.author(this.me.keys.sign, action);
    await this.space.sendMembership(EnvelopeKind.membership, op, { epoch: before, to });
    return { id: toHex(this.log.idOf(op)), op };
  }

  private managerDevices(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const member of this.log.state.members.values()) {
      if (!manages(member.role)) continue;
      for (const d of member.devices.keys()) out.push(fromHex(d));
    }
    return out;
  }
}

/** The relay link's state as an OnlineSignal; with no relay, always online (direct only). */
export function relayOnline(engine: SyncEngine): OnlineSignal | undefined {
  const relay = engine.relay;
  if (!relay) return undefined;
  return {
    isOnline: () => relay.status === "online",
    onChange: (listener) => {
      const onStatus = (status: RelayStatus) => listener(status === "online");
      engine.on("relayStatus", onStatus);
      return () => engine.off("relayStatus", onStatus);
    },
  };
}

/** What a joiner keeps from its welcome: the link's seed, the keys and whom to ask. */
export async function writeJoinRecord(
  store: Store,
  spaceId: Uint8Array,
  seed: Uint8Array,
  welcome: Welcome,
): Promise<void> {
  const kept = encodeWelcome({ ...welcome, ops: [], snapshot: new Uint8Array(0) });
  await store.put(`s/${toHex(spaceId)}/join`, concatBytes(seed, kept));
}

/** Writes a refusal into the join record, so the joiner is told again after a restart. */
export function keepRefusal(
  store: Store,
  spaceId: Uint8Array,
  seed: Uint8Array,
  welcome: Welcome,
): (refusal: JoinRefusal) => void {
  return ({ reason }) =>
    // Kept in memory for this run; a failed write only means being told again later.
    void writeJoinRecord(store, spaceId, seed, { ...welcome, refusal: reason }).catch(
      noted("JOIN_RECORD", "keeping a refusal for the next start"),
    );
}

async function readJoinRecord(
  store: Store,
  spaceId: Uint8Array,
): Promise<(Welcome & { seed: Uint8Array }) | undefined> {
  const bytes = await store.get(`s/${toHex(spaceId)}/join`);
  if (!bytes) return undefined;
  if (bytes.length < 32) throw new DecodeError("TRUNCATED", "join record is too short");
  return { seed: bytes.slice(0, 32), ...decodeWelcome(bytes.subarray(32)) };
}

/** The current key sealed to `recipients`, naming the epoch it belongs to. */
export function keyShare(access: MembershipAccess, recipients: Uint8Array[]): KeyShare {
  const { epoch, key } = access.currentEpoch();
  const begun = access.log.state.epochs.find((e) => e.epoch === epoch);
  if (!begun) return { epochOp: new Uint8Array(32), boxes: [] };
  return { epochOp: fromHex(begun.op), boxes: sealToAll(key, recipients) };
}

/** Why an invite admits no one any more, as its joiners are told; undefined while it is open. */
export function closedBecause(invite: Invite): Refusal | undefined {
  if (invite.revoked) {
    // Expiry is carried out by a manager's revoke: one after the expiry time is an expiry.
    const expired = invite.revokedAt !== undefined && invite.revokedAt > invite.expiresAt;
    return expired ? "INVITE_EXPIRED" : "INVITE_REVOKED";
  }
  return invite.oneTime && invite.used ? "INVITE_USED" : undefined;
}
