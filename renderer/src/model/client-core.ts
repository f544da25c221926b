/**
 * The client's phases and lifecycle: opens the local store, keeps the
 * profile, runs the SyncEngine (relay link and a direct mesh per space), the
 * account space and each space's handle, and tells the UI when anything
 * changed. Its state is one of the phases of client-state.ts, each holding
 * what it owns; the UI reads a frozen snapshot per change. Where it runs
 * (browser, Node tests) comes in as a ClientPlatform. What a user does with
 * a ready client is in client.ts.
 */
import { ObservableV2 } from "lib0/observable";
import { fromHex } from "../../../core/crypto/bytes.js";
import { ed25519 } from "../../../core/crypto/ed25519.js";
import { loadWebAssemblyBackends } from "../../../core/crypto/webassembly-backends.js";
import { noted, recentErrors, whenSettled } from "../../../core/diagnostics/recent-errors.js";
import { AccountSpace } from "../../../core/membership/account.js";
import { MemberSpace } from "../../../core/membership/member-space.js";
import { EncryptedStore } from "../../../core/store/encrypted-store.js";
import { StoreError } from "../../../core/store/store.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { RelayStatus } from "../../../core/sync/relay-transport.js";
import {
  type ClientState,
  ClientStateError,
  type Phase,
  type Session,
  type Vault,
} from "./client-state.js";
import { Drafts } from "./drafts.js";
import { makeEngine } from "./engine.js";
import { watchEngine } from "./engine-watch.js";
import { NetworkFollower } from "./network-follow.js";
import { OneAtATime } from "./one-at-a-time.js";
import { OpenSpaces } from "./open-spaces.js";
import { EMPTY_READING, OutboxStatus } from "./outbox-status.js";
import { perFrame } from "./per-frame.js";
import type { ClientPlatform, EngineLock } from "./platform.js";
import { loadProfile, type Profile, saveProfile } from "./profile.js";
import { type ClientSnapshot, snapshotOf } from "./snapshot.js";
import type { SpaceHandle } from "./space-handle.js";
import type { ToolRegistry } from "./tool-plugin.js";

type Events = { change: () => void };

export class ClientCore extends ObservableV2<Events> {
  private state: ClientState = { phase: "loading" };
  protected readonly opened: OpenSpaces;
  private readonly network: NetworkFollower;
  private relay: RelayStatus = "idle";
  private outboxStatus: OutboxStatus | undefined;
  private lastProblem: { what: string; message: string } | undefined;
  private pendingDeepLink: string | undefined;
  private readonly lock: EngineLock;
  private current: ClientSnapshot;
  private readonly offErrors: () => void;
  private unwatchEngine: (() => void) | undefined;
  private readonly profileWrites = new OneAtATime();

  constructor(
    readonly platform: ClientPlatform,
    /** The tools every space runs (renderer/src/tools/registry.ts in the app). */
    readonly tools: ToolRegistry,
  ) {
    super();
    this.opened = new OpenSpaces(this);
    this.network = new NetworkFollower(platform, this, () => this.opened.startPresence());
    this.lock = platform.engineLock(() => this.stopForOtherTab());
    this.current = snapshotOf(this, 0);
    // A background failure shows in the Connection panel's list as it happens.
    this.offErrors = recentErrors.onChange(this.changed);
  }

  /** What the UI shows, frozen; a new object after each (coalesced) change. */
  get snapshot(): ClientSnapshot {
    return this.current;
  }

  get revision(): number {
    return this.current.revision;
  }

  get phase(): Phase {
    return this.state.phase;
  }

  get failure(): string | undefined {
    return this.state.phase === "failed" ? this.state.failure : undefined;
  }

  /** The running session's parts; undefined before the client is ready. */
  get profile(): Profile | undefined {
    return this.state.phase === "ready" ? this.state.session.profile : undefined;
  }

  get engine(): AppSyncEngine | undefined {
    return this.state.phase === "ready" ? this.state.session.engine : undefined;
  }

  get account(): AccountSpace | undefined {
    return this.state.phase === "ready" ? this.state.session.account : undefined;
  }

  /** Unsent text per space and tool (present once unlocked). */
  get drafts(): Drafts | undefined {
    if (this.state.phase === "ready") return this.state.session.drafts;
    return this.state.phase === "onboarding" ? this.state.vault.drafts : undefined;
  }

  get spaces(): ReadonlyMap<string, SpaceHandle> {
    return this.opened.all;
  }

  /** Spaces still being opened (at launch, those the profile lists); 0 once all are listed. */
  get relayStatus(): RelayStatus {
    return this.relay;
  }

  /** The OS says the network is gone: transports are paused, edits wait. */
  get offline(): boolean {
    return this.network.offline;
  }

  /** Outbox msgIds (hex) as last read. */
  get queued(): ReadonlySet<string> {
    return (this.outboxStatus?.reading ?? EMPTY_READING).queued;
  }

  /** Per target device, how many outbox entries wait. */
  get waitingFor(): ReadonlyMap<string, number> {
    return (this.outboxStatus?.reading ?? EMPTY_READING).waitingFor;
  }

  /** The last action that failed, for the banner (cleared by the user). */
  get problem(): { readonly what: string; readonly message: string } | undefined {
    return this.lastProblem;
  }

  /** A grove://join or grove://link URL the desktop shell handed over, not yet taken. */
  get deepLink(): string | undefined {
    return this.pendingDeepLink;
  }

  /** The running session, or a typed error naming the phase the client is in. */
  session(): Session {
    if (this.state.phase !== "ready") {
      throw new ClientStateError("NOT_READY", `the client is ${this.state.phase}, not ready`);
    }
    return this.state.session;
  }

  /** The open store before an identity exists (onboarding). */
  vault(): Vault {
    if (this.state.phase === "onboarding") return this.state.vault;
    throw new ClientStateError("NOT_UNLOCKED", `the client is ${this.state.phase}, not onboarding`);
  }

  /** Runs a user's action; a failure is shown, not lost in an unhandled rejection. */
  async attempt(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.lastProblem = { what, message: (err as Error).message };
      this.changed();
    }
  }

  dismissProblem(): void {
    this.lastProblem = undefined;
    this.changed();
  }

  /** Coalesces bursts of changes (a catch-up applies thousands) into one render per frame. */
  readonly changed: () => void = perFrame(() => {
    this.current = snapshotOf(this, this.current.revision + 1);
    this.opened.changed();
    this.emit("change", []);
  });

  async open(): Promise<void> {
    // libsodium (the profile's keys, every envelope) and SHA-256 load while the rest starts up.
    void loadWebAssemblyBackends();
    try {
      // Each waits on the browser (a probe signature, the key store): together, not in turn.
      const [backend, source] = await Promise.all([ed25519(), this.platform.keySource()]);
      this.platform.shell?.onDeepLink((url) => {
        this.pendingDeepLink = url;
        this.changed();
      });
      if (source.kind === "ready") await this.unlockWith(backend, source.key);
      else if (source.kind === "choose-passphrase") this.state = { phase: source.kind, backend };
      else this.state = { phase: "locked", backend };
    } catch (err) {
      await this.closeSession().catch(noted("UNLOCK_CLEANUP", "closing a half-started session"));
      this.state = { phase: "failed", failure: (err as Error).message };
    }
    this.changed();
  }

  /** "Use here": the engine's tab stops it (spaces flushed, links closed); this one starts. */
  async moveHere(): Promise<void> {
    await this.lock.takeOver();
    this.platform.reload();
  }

  /** Another tab took the profile over: stop everything that could write, then let go. */
  private async stopForOtherTab(): Promise<void> {
    await this.stop();
    this.state = { phase: "elsewhere" };
    this.changed();
  }

  /** Closes every space, the engine and the store (another tab's turn, or the end of a test). */
  async stop(): Promise<void> {
    this.offErrors();
    await this.closeSession();
  }

  /** Closes all the phase holds, started fully or not (a half-way unlock leaves nothing behind). */
  private async closeSession(): Promise<void> {
    const state = this.state;
    this.outboxStatus?.stop();
    this.outboxStatus = undefined;
    this.unwatchEngine?.();
    this.unwatchEngine = undefined;
    await this.opened.closeAll();
    if (state.phase === "ready") {
      state.session.account.member.close();
      await state.session.engine.stop();
      await state.session.store.close();
    } else if (state.phase === "onboarding") await state.vault.store.close();
    this.state = { phase: "loading" };
  }

  takeDeepLink(): string | undefined {
    const url = this.pendingDeepLink;
    this.pendingDeepLink = undefined;
    return url;
  }

  /** Opens a passphrase-protected profile (or protects a new one with it). */
  async unlock(passphrase: string): Promise<void> {
    const state = this.state;
    if (state.phase !== "locked" && state.phase !== "choose-passphrase") {
      throw new ClientStateError("NOT_OPENED", `the client is ${state.phase}, not locked`);
    }
    const key = await this.platform.passphraseKey(passphrase, state.phase === "choose-passphrase");
    try {
      await this.unlockWith(state.backend, key);
    } catch (err) {
      // The store opened under a wrong key, or a session that failed half-way (a space that
      // would not open), is closed again; the error is the one to show.
      await this.closeSession().catch(noted("UNLOCK_CLEANUP", "closing a half-started session"));
      this.state = state;
      if (err instanceof StoreError && err.code === "CORRUPT_RECORD") {
        throw new Error("that passphrase does not open this profile");
      }
      throw err;
    }
    this.changed();
  }

  private async unlockWith(backend: Vault["backend"], key: CryptoKey): Promise<void> {
    if (!this.lock.held && !(await this.lock.tryAcquire())) {
      this.state = { phase: "elsewhere" };
      return;
    }
    const store = new EncryptedStore(await this.platform.openStore(), key);
    // Read beside the drafts; awaited below (a failure there is the same store's, reported once).
    const reading = loadProfile(store);
    void whenSettled(reading);
    const vault: Vault = { backend, store, drafts: await Drafts.open(store) };
    // Onboarding until a profile is read: a wrong key fails reading it, and the store is closed.
    this.state = { phase: "onboarding", vault };
    const profile = await reading;
    if (profile) await this.start(vault, profile);
  }

  /** Enters the ready phase with `session` (its engine made by `makeEngine`, not yet started). */
  begin(session: Session): void {
    this.state = { phase: "ready", session };
    this.unwatchEngine = watchEngine(session.engine, {
      status: (status) => {
        this.relay = status;
      },
      changed: this.changed,
    });
    this.outboxStatus = new OutboxStatus(
      session.engine,
      (entries) => this.opened.notePending(entries),
      this.changed,
    );
    this.opened.follow(session.account.member, () => session.account.spaces());
    this.network.follow();
  }

  /**
   * Changes the profile (a space remembered or forgotten): `change` gets the
   * profile as the previous write left it, so writes made together (three
   * spaces created at once) each keep the others'. Kept, then the session holds it.
   */
  updateProfile(change: (profile: Profile) => Profile): Promise<Profile> {
    return this.profileWrites.run(async () => {
      const session = this.session();
      const profile = change(session.profile);
      if (profile === session.profile) return profile;
      await saveProfile(session.store, profile);
      const now = this.state;
      // The session may have ended meanwhile: a stopped client is not made ready again.
      if (now.phase === "ready" && now.session.engine === session.engine) {
        this.state = { phase: "ready", session: { ...now.session, profile } };
      }
      return profile;
    });
  }

  private async start(vault: Vault, profile: Profile): Promise<void> {
    const engine = makeEngine(this.platform, vault, profile);
    const member = await MemberSpace.open({
      engine,
      store: vault.store,
      backend: vault.backend,
      me: { keys: profile.device, cert: profile.cert, name: profile.name },
      spaceId: fromHex(profile.accountSpace),
    }).catch(async (err: unknown) => {
      // Not begun: the session's teardown would not know this engine.
      await engine.stop();
      throw err;
    });
    const account = new AccountSpace(member);
    this.begin({ ...vault, profile, engine, account });
    const ids = new Set([...profile.spaces, ...account.spaces().map((s) => s.id)]);
    // Together: each open waits mostly on the store, so thirty open in about the time of a few.
    await Promise.all([...ids].map((id) => this.opened.open(id)));
    // Every listed space open: with the Sidebar's first paint, what the launch benches time.
    performance.mark("grove:spaces-open", { detail: { spaces: this.spaces.size } });
    engine.start();
    this.opened.startPresence();
    this.opened.loadWaiting();
  }

  /** A space's handle, kept and listed from now on (`engine`: the one it was opened in). */
  adopt(member: MemberSpace, engine: AppSyncEngine): SpaceHandle {
    return this.opened.adopt(member, engine);
  }

  /** Has the outbox read again; resolves once the reading is taken in. */
  outboxChanged(): Promise<void> {
    return this.outboxStatus?.refresh() ?? Promise.resolve();
  }
}
