/**
 * The spaces open in a running client, one handle each: opened once however
 * many ask at the same time, followed as the account space lists them
 * (another device of the user joined one), and never reopened once left in
 * this run. A space whose summary holds is listed from it, its doc built
 * after the list's first paint (space-summaries.ts).
 */
import type * as Y from "yjs";
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import { type Me, MemberSpace } from "../../../core/membership/member-space.js";
import { type SpaceSummary, summaryHolds } from "../../../core/space/space-summary.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { OutboxEntry } from "../../../core/sync/outbox.js";
import { ClientStateError, type Session } from "./client-state.js";
import { readAtOf } from "./read-marks.js";
import { SpaceHandle } from "./space-handle.js";
import { membershipQueued } from "./space-members.js";
import { loadWaiting, readSummary, SummaryKeeper } from "./space-summaries.js";
import type { ToolRegistry } from "./tool-plugin.js";

export interface OpenSpacesHost {
  session(): Session;
  changed(): void;
  /** Runs background work whose failure the banner shows. */
  attempt(what: string, work: () => Promise<unknown>): Promise<void>;
  readonly offline: boolean;
  readonly tools: ToolRegistry;
  /** Has the outbox read again (a space queued something); resolves once taken in. */
  outboxChanged(): Promise<void>;
}

export function meOf(session: Session): Me {
  const { profile } = session;
  return { keys: profile.device, cert: profile.cert, name: profile.name };
}

export class OpenSpaces {
  private readonly handles = new Map<string, SpaceHandle>();
  private readonly opening = new Map<string, Promise<SpaceHandle>>();
  /** Spaces left in this run: an account update arriving meanwhile must not reopen them. */
  private readonly left = new Set<string>();
  /** Counts sessions closed: an open begun in an earlier one is not adopted into this one. */
  private generation = 0;
  /** The session's summary keeper (made when its first space opens). */
  private keeper: SummaryKeeper | undefined;

  constructor(private readonly host: OpenSpacesHost) {}

  /** Something changed in the client: summaries are brought up to date when quiet. */
  changed(): void {
    this.keeper?.changed();
  }

  /** Every open space's summary is on disk as it would be made now (the launch benches wait). */
  summariesKept(): boolean {
    return this.keeper ? !this.keeper.due() : this.handles.size === 0;
  }

  private summaries(session: Session): SummaryKeeper {
    this.keeper ??= new SummaryKeeper(
      session.store,
      () => this.handles.values(),
      (id) => readAtOf(this.host.session().account, id),
    );
    return this.keeper;
  }

  /**
   * Loads the spaces listed from summaries, one per task, and marks
   * "grove:docs-loaded" after the last (decision 143): the launch benches
   * report it beside their figure. Ends early if the session closes.
   */
  loadWaiting(): void {
    const generation = this.generation;
    loadWaiting(
      () => this.handles.values(),
      () => generation !== this.generation,
      (h) => {
        h.unread(readAtOf(this.host.session().account, h.id));
        h.lastActivity();
      },
      () => performance.mark("grove:docs-loaded", { detail: { spaces: this.handles.size } }),
    );
  }

  get all(): ReadonlyMap<string, SpaceHandle> {
    return this.handles;
  }

  /** Opens a space once: a second call while the first is under way gets the same handle. */
  open(id: string): Promise<SpaceHandle> {
    const existing = this.handles.get(id);
    if (existing) return Promise.resolve(existing);
    let opening = this.opening.get(id);
    if (!opening) {
      const session = this.host.session();
      const generation = this.generation;
      opening = Promise.all([
        MemberSpace.open({
          engine: session.engine,
          store: session.store,
          backend: session.backend,
          me: meOf(session),
          spaceId: fromHex(id),
        }),
        // Beside the open: a summary that cannot be read only costs building the doc.
        readSummary(session.store, id),
      ]).then(([member, summary]) => {
        if (generation !== this.generation) {
          // Its session closed while it opened (stopped, or an unlock that failed half-way).
          member.close();
          throw new ClientStateError("NOT_READY", "the session this space was opening in ended");
        }
        return this.adopt(member, session.engine, summary);
      });
      const settled = opening.finally(() => {
        if (this.opening.get(id) === settled) this.opening.delete(id);
      });
      this.opening.set(id, settled);
      return settled;
    }
    return opening;
  }

  /**
   * A space's handle, kept and listed from now on; `engine` is the one the
   * space was opened in, refused (and the space closed) unless it runs now.
   */
  adopt(member: MemberSpace, engine: AppSyncEngine, stored?: SpaceSummary): SpaceHandle {
    const session = this.runningIn(engine);
    if (!session) {
      member.close();
      throw new ClientStateError("NOT_READY", "that space was opened in a session that ended");
    }
    const { profile } = session;
    const id = member.space.id;
    const keeper = this.summaries(session);
    // Listed from the summary only if it was made from this very doc, at this read time.
    const now = { mark: member.space.stateMark(), readAt: readAtOf(session.account, id) };
    const summary = !member.space.docLoaded && summaryHolds(stored, now) ? stored : undefined;
    keeper.reopened(id);
    if (stored) keeper.noteOnDisk(id, stored);
    const handle = new SpaceHandle({
      member,
      engine: session.engine,
      me: {
        user: toHex(profile.cert.user),
        device: toHex(profile.device.sign.publicKey),
        name: () => this.host.session().profile.name,
      },
      tools: this.host.tools,
      changed: () => this.host.changed(),
      // A message just sent shows as waiting now, not at the next outbox change.
      outboxChanged: () => this.host.outboxChanged(),
      ...(summary && { summary }),
    });
    this.handles.set(handle.id, handle);
    // What it still has queued (from an earlier run too) shows "Local only" from the start.
    void this.host.outboxChanged();
    this.host.changed();
    return handle;
  }

  /** The session running now, if `engine` is its engine. */
  private runningIn(engine: AppSyncEngine): Session | undefined {
    try {
      const session = this.host.session();
      return session.engine === engine ? session : undefined;
    } catch (err) {
      if (err instanceof ClientStateError) return undefined;
      throw err;
    }
  }

  /** Spaces another device of the user added show up here too. */
  follow(account: MemberSpace, spaces: () => readonly { id: string; name: string }[]): void {
    // afterTransaction, not "update": no listener here needs the update encoded.
    account.space.doc.on("afterTransaction", (tr: Y.Transaction) => {
      if (tr.changed.size === 0 && tr.deleteSet.clients.size === 0) return;
      this.host.changed();
      for (const entry of spaces()) {
        if (this.handles.has(entry.id) || this.opening.has(entry.id) || this.left.has(entry.id)) {
          continue;
        }
        void this.host.attempt(`Opening "${entry.name}"`, async () => {
          const handle = await this.open(entry.id);
          if (!this.host.offline) await handle.presence.start();
        });
      }
    });
  }

  /** A space being left in this run: an account update must not reopen it. */
  markLeft(id: string): void {
    this.left.add(id);
  }

  /** A space being erased from this device: its summary is never written again. */
  forgetSummary(id: string): Promise<void> {
    return this.keeper?.forget(id) ?? Promise.resolve();
  }

  /** Drops a space's handle from the list (the caller closes it). */
  drop(id: string): void {
    this.handles.delete(id);
  }

  /** Spaces whose membership changes made here still wait in the outbox (ids, hex). */
  membershipWaiting: ReadonlySet<string> = new Set();

  /** Every space takes the outbox listing; true when one learned something new. */
  notePending(entries: readonly OutboxEntry[]): boolean {
    const waiting = membershipQueued(entries);
    const before = this.membershipWaiting;
    let learned = waiting.size !== before.size || [...waiting].some((id) => !before.has(id));
    this.membershipWaiting = waiting;
    for (const h of this.handles.values()) learned = h.notePending(entries) || learned;
    return learned;
  }

  startPresence(): void {
    for (const h of this.handles.values()) {
      void h.presence.start().catch(noted("PRESENCE", "starting to announce presence in a space"));
    }
  }

  /**
   * Closes every space's membership and handle (the engine closes the spaces
   * themselves); opens still under way finish first and are closed, not adopted.
   */
  async closeAll(): Promise<void> {
    this.generation++;
    // What changed since the last idle pass, kept for the next launch (a failure is noted).
    await this.keeper?.writeDue();
    this.keeper?.close();
    this.keeper = undefined;
    const opening = [...this.opening.values()];
    this.opening.clear();
    await Promise.allSettled(opening);
    for (const handle of this.handles.values()) {
      handle.member.close();
      await handle.close();
    }
    this.handles.clear();
  }
}
