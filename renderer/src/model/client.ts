/**
 * The app's engine room in the renderer, as the UI calls it: spaces,
 * invitations, buddies and status on top of the phases and lifecycle of
 * client-core.ts. Every action needs the ready phase and gets its session
 * from it (a typed ClientStateError otherwise); onboarding and linking a
 * device are in client-identity.ts.
 */
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import { buddiesOf, verifiedRecord } from "../../../core/membership/buddies.js";
import { parseInviteUrl } from "../../../core/membership/invite-link.js";
import {
  composeInviteMail,
  mailThroughRelay,
  mailtoUrl,
} from "../../../core/membership/invite-mail.js";
import { joinByLink } from "../../../core/membership/join-by-link.js";
import { type InviteOptions, type Me, MemberSpace } from "../../../core/membership/member-space.js";
import type { InviteMode } from "../../../core/membership/ops.js";
import type { Role } from "../../../core/space/access.js";
import { eraseSpaceRecords } from "../../../core/space/space-records.js";
import { ClientCore } from "./client-core.js";
import {
  linkThisDevice,
  type OnboardingInput,
  offerDeviceLink,
  onboard,
} from "./client-identity.js";
import { ClientStateError } from "./client-state.js";
import { meOf } from "./open-spaces.js";
import { READ_PREFIX, readAtOf } from "./read-marks.js";
import type { SpaceHandle } from "./space-handle.js";

export type { OnboardingInput } from "./client-identity.js";
export type { Phase } from "./client-state.js";
export { desktopShell } from "./shell.js";

/** A link made on a relay other than this device's: the join would ask where nobody listens. */
export class OtherRelayError extends Error {
  override readonly name = "OtherRelayError";
  constructor(
    readonly linkRelay: string,
    readonly myRelay: string,
  ) {
    super(`this invitation is for the relay ${linkRelay}; this device uses ${myRelay}`);
  }
}

/**
 * A link for a space this device keeps a copy of from before: left, removed, or not let in.
 * Joining again starts the space afresh on this device, so that copy goes first, by the user.
 */
export class KeptCopyError extends Error {
  override readonly name = "KeptCopyError";
  readonly code = "KEPT_COPY";
  constructor(readonly spaceName: string) {
    super(`this device keeps an earlier copy of ${spaceName}; delete it before joining again`);
  }
}

export interface InviteRequest {
  role: Role;
  mode: InviteMode;
  expiresInHours: number;
  oneTime: boolean;
}

export class GroveClient extends ClientCore {
  get me(): Me {
    return meOf(this.session());
  }

  get myUser(): string {
    return toHex(this.session().profile.cert.user);
  }

  get myDevice(): string {
    return toHex(this.session().profile.device.sign.publicKey);
  }

  // --- identity and devices

  /** Creates the identity (user key, this device's key and certificate) and the account space. */
  onboard(input: OnboardingInput): Promise<void> {
    return onboard(this, input);
  }

  /**
   * This (new) device asks to be linked by the text another device of the
   * user shows. Returns the code both screens show, and the outcome: once
   * accepted there, this device holds a certificate and every space.
   */
  requestLink(text: string, deviceName: string) {
    return linkThisDevice(this, text, deviceName);
  }

  /** On the device holding the user key: an offer to link a new device, shown as text and QR. */
  offerLink() {
    return offerDeviceLink(this);
  }

  get canLinkDevices(): boolean {
    return this.profile?.user !== undefined;
  }

  // --- spaces

  /** Spaces for the sidebar, most recently active first. */
  spaceList(): { handle: SpaceHandle; unread: number; lastActivity: number }[] {
    return [...this.spaces.values()]
      .map((handle) => ({
        handle,
        unread: handle.unread(this.readAt(handle.id)),
        lastActivity: handle.lastActivity(),
      }))
      .sort(
        (a, b) => b.lastActivity - a.lastActivity || a.handle.name.localeCompare(b.handle.name),
      );
  }

  async createSpace(name: string): Promise<SpaceHandle> {
    const { engine, store, backend } = this.session();
    const member = await MemberSpace.create({
      engine,
      store,
      backend,
      me: this.me,
      name: name.trim(),
    });
    const handle = this.adopt(member, engine);
    await this.remember(handle, name.trim());
    void handle.presence.start().catch(noted("PRESENCE", "starting to announce presence"));
    return handle;
  }

  private async remember(handle: SpaceHandle, name: string): Promise<void> {
    const { profile, account } = this.session();
    await this.updateProfile((now) =>
      now.spaces.includes(handle.id) ? now : { ...now, spaces: [...now.spaces, handle.id] },
    );
    await account.rememberSpace({ id: handle.id, name, relayUrl: profile.relayUrl });
  }

  /**
   * Leaves a space: this user's removal goes to every member first (a failure
   * is reported and nothing is forgotten), then the space is closed, dropped
   * from this user's lists and erased from this device: its records and
   * drafts, once closed, so nothing lands after.
   */
  async leaveSpace(id: string): Promise<void> {
    const handle = this.spaces.get(id);
    if (!handle) return;
    const { profile, account, engine, store, drafts } = this.session();
    if (handle.isMember) await handle.member.remove(profile.cert.user);
    this.opened.markLeft(id);
    await account.forgetSpace(id);
    await this.updateProfile((now) => ({ ...now, spaces: now.spaces.filter((s) => s !== id) }));
    this.opened.drop(id);
    // Its timers (key heals, admitting joins, expiring invites) stop with it.
    handle.member.close();
    await handle.close();
    await engine.closeSpace(handle.member.space.access.spaceId);
    await this.opened.forgetSummary(id);
    await drafts.forgetSpace(id);
    await eraseSpaceRecords(store, id, profile.device.sign.publicKey);
    this.changed();
  }

  /**
   * Whether membership changes made on this device in `spaceId` (a removal, a role, a revoked
   * invite, a join request) still wait to be sent: until then nobody else has heard of them.
   */
  membershipWaiting(spaceId: string): boolean {
    return this.opened.membershipWaiting.has(spaceId);
  }

  readAt(spaceId: string): number {
    return readAtOf(this.account, spaceId);
  }

  async markRead(spaceId: string): Promise<void> {
    const handle = this.spaces.get(spaceId);
    if (!handle || handle.unread(this.readAt(spaceId)) === 0) return;
    await this.session().account.setSetting(`${READ_PREFIX}${spaceId}`, Date.now());
  }

  // --- invitations

  async invite(spaceId: string, request: InviteRequest) {
    const handle = this.spaces.get(spaceId);
    if (!handle) throw new ClientStateError("NO_SUCH_SPACE", "that space is not open here");
    const { profile } = this.session();
    const options: InviteOptions = {
      role: request.role,
      mode: request.mode,
      expiresAt: Date.now() + request.expiresInHours * 3600_000,
      oneTime: request.oneTime,
      relayUrl: profile.relayUrl,
      publicUrl: profile.relayUrl.replace(/^ws/, "http"),
    };
    const { url } = await handle.member.invite(options);
    const mail = composeInviteMail({
      inviterName: profile.name,
      spaceName: handle.name,
      url,
      mode: request.mode,
      expiresAt: options.expiresAt,
    });
    return { url, mail, mailto: (to: string[]) => mailtoUrl(to, mail) };
  }

  /** Whether the relay said it sends invitation mail (RELAY_INFO); "Send through relay" needs it. */
  get relayMail(): boolean {
    return this.engine?.relay?.info.mail ?? false;
  }

  /** Asks the relay to mail one invitation link to its address, in the relay's own words. */
  async mailInvite(handle: SpaceHandle, invite: { to: string; link: string }, mode: InviteMode) {
    const { engine, profile } = this.session();
    if (!engine.relay) throw new ClientStateError("NOT_READY", "this device has no relay");
    await mailThroughRelay(engine.relay, invite, {
      inviterName: profile.name,
      spaceName: handle.name,
      mode,
    });
  }

  async join(text: string): Promise<SpaceHandle> {
    const link = parseInviteUrl(text);
    const { profile, engine, store, backend } = this.session();
    const known = this.spaces.get(toHex(link.spaceId));
    // An archive (left, removed) or a refused request is not the space this link invites to:
    // handing it back showed the old copy and joined nothing.
    if (known && !known.isMember && (known.departure() || known.refusal)) {
      throw new KeptCopyError(known.name);
    }
    if (known) return known;
    if (link.relayUrl.replace(/\/+$/, "") !== profile.relayUrl.replace(/\/+$/, "")) {
      throw new OtherRelayError(link.relayUrl, profile.relayUrl);
    }
    const { connect } = this.platform;
    const member = await joinByLink({ link, engine, store, backend, connect, me: this.me });
    const handle = this.adopt(member, engine);
    await this.remember(handle, handle.member.name || "Invitation");
    void handle.presence.start().catch(noted("PRESENCE", "starting to announce presence"));
    return handle;
  }

  // --- buddies

  buddies() {
    const views = [...this.spaces.values()]
      .filter((h) => h.isMember)
      .map((h) => ({ id: h.id, name: h.name, state: h.member.log.state }));
    return buddiesOf(this.myUser, views, this.account?.verified() ?? new Map(), (space, user) =>
      this.spaces.get(space)?.presence.presenceOf(user),
    );
  }

  /** Whether this user marked `user` verified (on any of their devices: the account space). */
  isVerified(user: string): boolean {
    return this.account?.verified().has(user) ?? false;
  }

  async verify(user: string, name: string): Promise<void> {
    await this.session().account.markVerified(user, verifiedRecord(fromHex(user), name));
  }

  /** This user's own status as announced (the same in every space). */
  get myStatus(): "online" | "away" {
    return [...this.spaces.values()][0]?.presence.currentStatus ?? "online";
  }

  async setStatus(status: "online" | "away"): Promise<void> {
    for (const h of this.spaces.values()) await h.presence.setStatus(status);
    this.changed();
  }

  // --- status

  /** Users (hex) connected directly in any space, by device. */
  directUsers(): Set<string> {
    const out = new Set<string>();
    const engine = this.engine;
    for (const h of this.spaces.values()) {
      for (const device of engine?.directPeers(h.member.access.spaceId) ?? []) {
        const user = h.userOfDevice(device);
        if (user) out.add(user);
      }
    }
    return out;
  }
}
