/**
 * The app's engine room in the renderer: opens the local store, keeps the
 * profile, runs the SyncEngine (relay link and a y-webrtc mesh per space),
 * the account space and each space's handle, and tells the UI when
 * anything changed. The UI calls its methods and reads plain values back.
 */
import { ObservableV2 } from "lib0/observable";
import type * as Y from "yjs";
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import { type Ed25519Backend, ed25519 } from "../../../core/crypto/ed25519.js";
import {
  certifyDevice,
  generateDeviceKeys,
  generateUserKeys,
} from "../../../core/crypto/identity.js";
import { AccountSpace } from "../../../core/membership/account.js";
import { buddiesOf, verifiedRecord } from "../../../core/membership/buddies.js";
import {
  DeviceLinkOffer,
  decodeDeviceLink,
  type LinkRequest,
  linkCode,
  openLinkedSpaces,
  requestLink,
} from "../../../core/membership/device-link.js";
import { parseInviteUrl } from "../../../core/membership/invite-link.js";
import {
  composeInviteMail,
  mailThroughRelay,
  mailtoUrl,
} from "../../../core/membership/invite-mail.js";
import { joinByLink } from "../../../core/membership/join-by-link.js";
import { type InviteOptions, type Me, MemberSpace } from "../../../core/membership/member-space.js";
import type { InviteMode } from "../../../core/membership/ops.js";
import type { Role, SpaceAccess } from "../../../core/space/access.js";
import { EncryptedStore } from "../../../core/store/encrypted-store.js";
import { IdbStore } from "../../../core/store/idb-store.js";
import { StoreError } from "../../../core/store/store.js";
import type { RelayStatus } from "../../../core/sync/relay-transport.js";
import { SyncEngine } from "../../../core/sync/sync-engine.js";
import { WebrtcMesh } from "../../../core/sync/webrtc-mesh.js";
import type { WebSocketLike } from "../../../core/sync/websocket.js";
import type { GroveShell } from "../../../electron/shell-api.js";
import { Drafts } from "./drafts.js";
import { loadProfile, type Profile, saveProfile } from "./profile.js";
import { ProfileLock } from "./profile-lock.js";
import { SpaceHandle } from "./space-handle.js";
import { passphraseKey, storageKeySource } from "./storage-key.js";

export type Phase =
  | "loading"
  /** Desktop app without an OS keychain: a passphrase protects the profile. */
  | "choose-passphrase"
  | "locked"
  | "onboarding"
  | "ready"
  /** Another tab or window of this profile runs the engine (one engine per profile). */
  | "elsewhere"
  | "failed";

/** The desktop shell's API, where the app runs in it (electron/preload.ts). */
export function desktopShell(): GroveShell | undefined {
  return (globalThis as { groveShell?: GroveShell }).groveShell;
}

export interface OnboardingInput {
  name: string;
  email: string;
  deviceName: string;
  relayUrl: string;
}

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

export interface InviteRequest {
  role: Role;
  mode: InviteMode;
  expiresInHours: number;
  oneTime: boolean;
}

type Events = { change: () => void };

const connect = (url: string) => new WebSocket(url) as unknown as WebSocketLike;
const READ_PREFIX = "read:";

export class GroveClient extends ObservableV2<Events> {
  phase: Phase = "loading";
  failure: string | undefined;
  profile: Profile | undefined;
  engine: SyncEngine | undefined;
  account: AccountSpace | undefined;
  readonly spaces = new Map<string, SpaceHandle>();
  relayStatus: RelayStatus = "idle";
  /** The OS says the network is gone: transports are paused, edits wait. */
  offline = false;
  /** Outbox msgIds (hex) as last read, and per target device how many wait. */
  queued: ReadonlySet<string> = new Set();
  waitingFor: ReadonlyMap<string, number> = new Map();
  private store: EncryptedStore | undefined;
  /** Unsent text per space and tool, in the encrypted store (present once unlocked). */
  drafts: Drafts | undefined;
  /** Held while this tab runs the engine; another tab's "Use here" makes it stop and let go. */
  private readonly lock = new ProfileLock(() => this.stopForOtherTab());
  private readonly opening = new Map<string, Promise<SpaceHandle>>();
  /** Spaces left in this run: an account update arriving meanwhile must not reopen them. */
  private readonly left = new Set<string>();
  private outboxTimer: ReturnType<typeof setInterval> | undefined;
  private networkWatched = false;
  private backend: Ed25519Backend | undefined;
  private version = 0;
  private notifyScheduled = false;

  /** The last action that failed, for the banner (cleared by the user). */
  problem: { what: string; message: string } | undefined;

  get revision(): number {
    return this.version;
  }

  /** Runs a user's action; a failure is shown, not lost in an unhandled rejection. */
  async attempt(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.problem = { what, message: (err as Error).message };
      this.changed();
    }
  }

  dismissProblem(): void {
    this.problem = undefined;
    this.changed();
  }

  /** Coalesces bursts of changes (a catch-up applies thousands) into one render per frame. */
  changed = (): void => {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    const run = () => {
      this.notifyScheduled = false;
      this.version++;
      this.emit("change", []);
    };
    // A frame, or a timeout where frames stop (a window hidden meanwhile): whichever comes first.
    let ran = false;
    const once = () => {
      if (ran) return;
      ran = true;
      run();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(once);
    setTimeout(once, 100);
  };

  /** A grove://join or grove://link URL the desktop shell handed over, not yet taken. */
  deepLink: string | undefined;

  async open(): Promise<void> {
    try {
      this.backend = await ed25519();
      const shell = desktopShell();
      shell?.onDeepLink((url) => {
        this.deepLink = url;
        this.changed();
      });
      const source = await storageKeySource(shell);
      if (source.kind === "ready") await this.unlockWith(source.key);
      else this.phase = source.kind === "choose-passphrase" ? "choose-passphrase" : "locked";
    } catch (err) {
      this.phase = "failed";
      this.failure = (err as Error).message;
    }
    this.changed();
  }

  /**
   * "Use here": the tab running the engine stops it (flushing every space
   * and closing its links), then this tab starts afresh with the lock.
   */
  async moveHere(): Promise<void> {
    await this.lock.takeOver();
    location.reload();
  }

  /** Another tab took the profile over: stop everything that could write, then let go. */
  private async stopForOtherTab(): Promise<void> {
    clearInterval(this.outboxTimer);
    this.outboxTimer = undefined;
    for (const handle of this.spaces.values()) {
      handle.member.close();
      await handle.close();
    }
    this.account?.member.close();
    await this.engine?.stop();
    this.engine = undefined;
    this.spaces.clear();
    await this.store?.close();
    this.store = undefined;
    this.phase = "elsewhere";
    this.changed();
  }

  takeDeepLink(): string | undefined {
    const url = this.deepLink;
    this.deepLink = undefined;
    return url;
  }

  /** Opens a passphrase-protected profile (or protects a new one with it). */
  async unlock(passphrase: string): Promise<void> {
    const key = await passphraseKey(passphrase, this.phase === "choose-passphrase");
    try {
      await this.unlockWith(key);
    } catch (err) {
      await this.store?.close().catch(() => {});
      this.store = undefined;
      if (err instanceof StoreError && err.code === "CORRUPT_RECORD") {
        throw new Error("that passphrase does not open this profile");
      }
      throw err;
    }
    this.changed();
  }

  private async unlockWith(key: CryptoKey): Promise<void> {
    if (!this.lock.held && !(await this.lock.tryAcquire())) {
      this.phase = "elsewhere";
      return;
    }
    this.store = new EncryptedStore(await IdbStore.open("grove"), key);
    this.drafts = await Drafts.open(this.store);
    this.profile = await loadProfile(this.store);
    if (!this.profile) {
      this.phase = "onboarding";
    } else {
      await this.start();
      this.phase = "ready";
    }
  }

  get me(): Me {
    const p = this.profile!;
    return { keys: p.device, cert: p.cert, name: p.name };
  }

  get myUser(): string {
    return toHex(this.profile!.cert.user);
  }

  get myDevice(): string {
    return toHex(this.profile!.device.sign.publicKey);
  }

  /** Creates the identity (user key, this device's key and certificate) and the account space. */
  async onboard(input: OnboardingInput): Promise<void> {
    const user = generateUserKeys();
    const device = generateDeviceKeys();
    const cert = await certifyDevice(this.backend!, user, device, input.deviceName, Date.now());
    this.profile = {
      name: input.name.trim(),
      email: input.email.trim(),
      deviceName: input.deviceName.trim(),
      relayUrl: input.relayUrl.trim(),
      user,
      device,
      cert,
      accountSpace: "",
      spaces: [],
    };
    const engine = this.makeEngine();
    const member = await MemberSpace.create({
      engine,
      store: this.store!,
      backend: this.backend!,
      me: this.me,
      name: "Account",
    });
    this.account = await AccountSpace.init(member);
    this.profile.accountSpace = member.space.id;
    await saveProfile(this.store!, this.profile);
    this.watchAccount(member);
    engine.start();
    this.phase = "ready";
    this.changed();
  }

  /**
   * This (new) device asks to be linked by the text another device of the
   * user shows. Returns the code both screens show, and the outcome: once
   * accepted there, this device holds a certificate and every space.
   */
  async requestLink(text: string, deviceName: string) {
    const link = decodeDeviceLink(text.trim());
    const keys = generateDeviceKeys();
    const { code, linked } = await requestLink({
      text: text.trim(),
      keys,
      name: deviceName.trim(),
      backend: this.backend!,
      connect,
    });
    const done = linked.then(async (result) => {
      const [account, ...spaces] = result.spaces;
      this.profile = {
        name: result.me.name,
        email: "",
        deviceName: deviceName.trim(),
        relayUrl: link.relayUrl,
        device: keys,
        cert: result.me.cert,
        accountSpace: account ?? "",
        spaces,
      };
      await saveProfile(this.store!, this.profile);
      const engine = this.makeEngine();
      const opened = await openLinkedSpaces({
        result,
        engine,
        store: this.store!,
        backend: this.backend!,
      });
      for (const member of opened) {
        if (member.space.id === account) {
          this.account = new AccountSpace(member);
          this.watchAccount(member);
        } else this.adopt(member);
      }
      engine.start();
      for (const h of this.spaces.values()) void h.presence.start();
      this.phase = "ready";
      this.changed();
    });
    return { code, done };
  }

  /** On the device holding the user key: an offer to link a new device, shown as text and QR. */
  offerLink() {
    const p = this.profile!;
    if (!p.user) throw new Error("only the device that created this identity can link new devices");
    const offer = new DeviceLinkOffer({
      relayUrl: p.relayUrl,
      me: this.me,
      user: p.user,
      backend: this.backend!,
      connect,
    });
    return {
      text: offer.text,
      next: () => offer.nextRequest(),
      code: (request: LinkRequest) => linkCode(offer.seed, request),
      /** Certifies the device and adds it to every space; the account space goes first. */
      accept: async (request: LinkRequest) => {
        const spaces = [
          this.account!.member,
          ...[...this.spaces.values()].filter((h) => h.isMember).map((h) => h.member),
        ];
        await offer.accept(request, spaces);
      },
      close: () => offer.close(),
    };
  }

  get canLinkDevices(): boolean {
    return this.profile?.user !== undefined;
  }

  private makeEngine(): SyncEngine {
    const p = this.profile!;
    const engine = new SyncEngine({
      device: p.device.sign,
      backend: this.backend!,
      store: this.store!,
      relay: { url: p.relayUrl, connect, clientName: "grove-app" },
      ...(!noDirect() && {
        direct: (access: SpaceAccess) =>
          new WebrtcMesh({
            relayUrl: p.relayUrl,
            access,
            device: p.device.sign,
            backend: this.backend!,
          }),
      }),
    });
    engine.on("relayStatus", (status) => {
      this.relayStatus = status;
      this.changed();
    });
    engine.on("route", () => this.changed());
    // A member whose relay mailbox is full is no longer retried: the panel says so.
    engine.relay?.on("fullTargets", () => this.changed());
    engine.relay?.on("info", () => this.changed());
    this.engine = engine;
    // The outbox lives in the store, not an event source: read it each second for the status.
    // A store that fails here fails loudly elsewhere; the status just keeps its last reading.
    this.outboxTimer ??= setInterval(() => void this.readOutbox().catch(() => {}), 1000);
    this.watchNetwork();
    return engine;
  }

  private async start(): Promise<void> {
    const engine = this.makeEngine();
    const p = this.profile!;
    const account = await MemberSpace.open({
      engine,
      store: this.store!,
      backend: this.backend!,
      me: this.me,
      spaceId: fromHex(p.accountSpace),
    });
    this.account = new AccountSpace(account);
    this.watchAccount(account);
    const ids = new Set([...p.spaces, ...this.account.spaces().map((s) => s.id)]);
    // Together: each open waits mostly on the store, so thirty open in about the time of a few.
    await Promise.all([...ids].map((id) => this.openSpace(id)));
    engine.start();
    for (const handle of this.spaces.values()) void handle.presence.start();
  }

  /** Spaces another device of the user added show up here too. */
  private watchAccount(account: MemberSpace): void {
    // afterTransaction, not "update": no listener here needs the update encoded.
    account.space.doc.on("afterTransaction", (tr: Y.Transaction) => {
      if (tr.changed.size === 0 && tr.deleteSet.clients.size === 0) return;
      this.changed();
      for (const entry of this.account?.spaces() ?? []) {
        if (this.spaces.has(entry.id) || this.opening.has(entry.id) || this.left.has(entry.id)) {
          continue;
        }
        void this.attempt(`Opening "${entry.name}"`, async () => {
          const handle = await this.openSpace(entry.id);
          if (this.engine && !this.offline) await handle.presence.start();
        });
      }
    });
  }

  private watchNetwork(): void {
    if (this.networkWatched) return;
    this.networkWatched = true;
    const apply = () => {
      const offline = !navigator.onLine;
      if (offline === this.offline) return;
      this.offline = offline;
      if (offline) void this.attempt("Going offline", async () => this.engine?.pause());
      else {
        this.engine?.resume();
        for (const h of this.spaces.values()) void h.presence.start();
      }
      this.changed();
    };
    window.addEventListener("online", apply);
    window.addEventListener("offline", apply);
  }

  /** Opens a space once: a second call while the first is under way gets the same handle. */
  private openSpace(id: string): Promise<SpaceHandle> {
    const existing = this.spaces.get(id);
    if (existing) return Promise.resolve(existing);
    let opening = this.opening.get(id);
    if (!opening) {
      opening = this.openSpaceNow(id).finally(() => this.opening.delete(id));
      this.opening.set(id, opening);
    }
    return opening;
  }

  private async openSpaceNow(id: string): Promise<SpaceHandle> {
    const member = await MemberSpace.open({
      engine: this.engine!,
      store: this.store!,
      backend: this.backend!,
      me: this.me,
      spaceId: fromHex(id),
    });
    return this.adopt(member);
  }

  private adopt(member: MemberSpace): SpaceHandle {
    const handle = new SpaceHandle(
      member,
      this.engine!,
      { user: this.myUser, device: this.myDevice, name: () => this.profile!.name },
      this.changed,
      // A message just sent shows as waiting now, not at the next outbox poll.
      () => this.readOutbox().catch(() => {}),
    );
    this.spaces.set(handle.id, handle);
    this.changed();
    return handle;
  }

  private async remember(handle: SpaceHandle, name: string): Promise<void> {
    const p = this.profile!;
    if (!p.spaces.includes(handle.id)) {
      p.spaces = [...p.spaces, handle.id];
      await saveProfile(this.store!, p);
    }
    await this.account!.rememberSpace({ id: handle.id, name, relayUrl: p.relayUrl });
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
    const member = await MemberSpace.create({
      engine: this.engine!,
      store: this.store!,
      backend: this.backend!,
      me: this.me,
      name: name.trim(),
    });
    const handle = this.adopt(member);
    await this.remember(handle, name.trim());
    void handle.presence.start();
    return handle;
  }

  /**
   * Leaves a space: this user's removal goes to every member first (a failure
   * is reported and nothing is forgotten), then the space is closed and
   * dropped from this user's lists.
   */
  async leaveSpace(id: string): Promise<void> {
    const handle = this.spaces.get(id);
    if (!handle) return;
    if (handle.isMember) await handle.member.remove(this.profile!.cert.user);
    this.left.add(id);
    await this.account!.forgetSpace(id);
    const p = this.profile!;
    p.spaces = p.spaces.filter((s) => s !== id);
    await saveProfile(this.store!, p);
    this.spaces.delete(id);
    await handle.close();
    await this.engine?.closeSpace(handle.member.space.access.spaceId);
    this.changed();
  }

  readAt(spaceId: string): number {
    return this.account?.setting<number>(`${READ_PREFIX}${spaceId}`) ?? 0;
  }

  async markRead(spaceId: string): Promise<void> {
    const handle = this.spaces.get(spaceId);
    if (!handle || handle.unread(this.readAt(spaceId)) === 0) return;
    await this.account!.setSetting(`${READ_PREFIX}${spaceId}`, Date.now());
  }

  // --- invitations

  async invite(spaceId: string, request: InviteRequest) {
    const handle = this.spaces.get(spaceId)!;
    const p = this.profile!;
    const options: InviteOptions = {
      role: request.role,
      mode: request.mode,
      expiresAt: Date.now() + request.expiresInHours * 3600_000,
      oneTime: request.oneTime,
      relayUrl: p.relayUrl,
      publicUrl: p.relayUrl.replace(/^ws/, "http"),
    };
    const { url } = await handle.member.invite(options);
    const mail = composeInviteMail({
      inviterName: p.name,
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
    await mailThroughRelay(this.engine!.relay!, invite, {
      inviterName: this.profile!.name,
      spaceName: handle.name,
      mode,
    });
  }

  async join(text: string): Promise<SpaceHandle> {
    const link = parseInviteUrl(text);
    const p = this.profile!;
    const known = this.spaces.get(toHex(link.spaceId));
    if (known) return known;
    if (link.relayUrl.replace(/\/+$/, "") !== p.relayUrl.replace(/\/+$/, "")) {
      throw new OtherRelayError(link.relayUrl, p.relayUrl);
    }
    const member = await joinByLink({
      link,
      engine: this.engine!,
      store: this.store!,
      backend: this.backend!,
      connect,
      me: this.me,
    });
    const handle = this.adopt(member);
    await this.remember(handle, handle.member.name || "Invitation");
    void handle.presence.start();
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
    await this.account!.markVerified(user, verifiedRecord(fromHex(user), name));
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

  private async readOutbox(): Promise<void> {
    const engine = this.engine;
    if (!engine) return;
    const entries = [...(await engine.outbox.list()), ...(await engine.directOutbox.list())];
    const queued = new Set(entries.map((e) => toHex(e.msgId)));
    const waiting = new Map<string, number>();
    for (const e of entries) {
      for (const t of e.targets) {
        const device = toHex(t);
        waiting.set(device, (waiting.get(device) ?? 0) + 1);
      }
    }
    const same = queued.size === this.queued.size && [...queued].every((id) => this.queued.has(id));
    this.queued = queued;
    this.waitingFor = waiting;
    let learned = false;
    for (const h of this.spaces.values()) learned = h.notePending(entries) || learned;
    if (!same || learned) this.changed();
  }

  /** Users (hex) connected directly in any space, by device. */
  directUsers(): Set<string> {
    const out = new Set<string>();
    for (const h of this.spaces.values()) {
      for (const device of this.engine?.directPeers(h.member.access.spaceId) ?? []) {
        const user = h.userOfDevice(device);
        if (user) out.add(user);
      }
    }
    return out;
  }
}

/** No direct mesh, the relay alone: for tests of the relay's path (test-hooks builds only). */
const noDirect = () =>
  __GROVE_TEST_HOOKS__ && (globalThis as { groveNoDirect?: boolean }).groveNoDirect === true;
