/**
 * A device's sync engine: its spaces, its relay link, each space's direct
 * mesh, and the durable outboxes between them. Local envelopes are routed
 * (routing.ts) and queued before a Space considers them sent; what comes in
 * on either path is taken in batches (so a catch-up costs a signature per
 * author run, not per delta) and acked only once on disk. After each login,
 * on each new direct peer, and whenever a broadcast seq stays missing, a
 * space asks its members for what it lacks.
 *
 * Ephemeral envelopes (presence, carets) take neither outbox nor route: they
 * go once, as the direct path's best-effort messages to the targets connected
 * directly and to the relay for the others (whichever are online there), and
 * are dropped when neither path is up.
 */

import { ObservableV2 } from "lib0/observable";
import { concatBytes, fromHex, toHex } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import { envelopeHash } from "../crypto/envelope.js";
import { hash32 } from "../crypto/hash.js";
import type { SigningKeyPair } from "../crypto/identity.js";
import { noted } from "../diagnostics/recent-errors.js";
import type { SpaceAccess } from "../space/access.js";
import type { Prefetched } from "../space/prefetch-opener.js";
import { type Outgoing, Space, type SpaceOptions } from "../space/space.js";
import type { Store } from "../store/store.js";
import { decodeEnvelope, namesSpace, peekSpaceId } from "../wire/envelope.js";
import type { DecodeError } from "../wire/errors.js";
import { MSG_ID_BYTES } from "../wire/frame-types.js";
import { DEFAULT_LIMITS } from "../wire/limits.js";
import { nextTask } from "./next-task.js";
import type { RelayError } from "./relay-error.js";
import {
  DEFAULT_ROUTE_POLICY,
  describeRoute,
  planRoute,
  type RoutePolicy,
  type RouteReason,
} from "./routing.js";
import { StoreOutbox } from "./store-outbox.js";
import type {
  DirectPath,
  DirectPathFactory,
  RelayPath,
  RelayPathFactory,
  RelayStatus,
} from "./transport.js";
import { UplinkMeter } from "./uplink-meter.js";

export interface SyncEngineOptions<R extends RelayPath, D extends DirectPath> {
  device: SigningKeyPair;
  backend: Ed25519Backend;
  store: Store;
  /** Builds the relay link (links.ts: `relayLink`); no relay path without it. */
  relay?: RelayPathFactory<R>;
  /** A broadcast seq missing this long is asked for (ms). */
  gapTimeoutMs?: number;
  /** Passed to every space. */
  space?: Pick<SpaceOptions, "batchMs" | "maxBatchMs" | "compactEvery" | "opener" | "deferDoc">;
  /** Builds a space's direct path (links.ts: `directLink`); no direct path without it. */
  direct?: DirectPathFactory<D>;
  /** Most deliveries taken in one batch (MAX_BATCH): benches set the figure's own batch. */
  maxBatch?: number;
  routePolicy?: RoutePolicy;
}

export interface RouteStatus {
  reason: RouteReason;
  text: string;
}

type Events = {
  relayStatus: (status: RelayStatus) => void;
  route: (route: RouteStatus) => void;
  error: (error: RelayError | DecodeError) => void;
};

interface PendingDelivery {
  envelope: Uint8Array;
  done: () => void;
  failed: (err: unknown) => void;
}

/** One space's part of a batch cut from the inbox, its opening started where it could be. */
interface CutPart {
  /** The space open when the part was cut (none: it is looked up again at its turn). */
  space: Space | undefined;
  items: PendingDelivery[];
  envelopes: Uint8Array[];
  prefetched: Prefetched | undefined;
}

/** A batch cut from the inbox: its parts by space (hex id). */
type CutBatch = [string, CutPart][];

/** New direct peers arriving within this window are asked for what they have in one request. */
const PEER_SETTLE_MS = 200;

/**
 * Typing while every member is linked directly: sealed within a frame of
 * the last key, and at least every 50 ms however fast the typing, so a
 * remote keystroke shows in tens of milliseconds. Through the relay (or
 * to anyone offline) the space's own pause holds: each envelope there is
 * stored and fanned out, so fewer, larger ones are kinder to it.
 */
const DIRECT_TYPING_BATCH = { idleMs: 16, maxMs: 50 };

/**
 * Most deliveries taken in one batch: enough that a batch's fixed costs (a
 * signature per author run, a store write, a change event) are spread thin,
 * few enough that verifying and applying it stays well inside a 50 ms task
 * even on a busy machine (a 256 batch was 20-30 ms of CPU in Chromium, and
 * a descheduled page stretches that past 50).
 */
const MAX_BATCH = 128;

/**
 * Batches cut from the inbox and handed to the opener ahead of their turn:
 * with two, the opener's thread has the next batch's successor to work on
 * while the page finishes the next one, so neither thread waits on the other
 * in a catch-up (with none ahead, the page waited for the opener every batch).
 */
const PREFETCH_AHEAD = 2;

export class SyncEngine<
  R extends RelayPath = RelayPath,
  D extends DirectPath = DirectPath,
> extends ObservableV2<Events> {
  readonly relay: R | undefined;
  /** Envelopes queued for the relay. */
  readonly outbox: StoreOutbox;
  /** Envelopes sent directly and not yet acked by every target. */
  readonly directOutbox: StoreOutbox;
  /** The uplink as measured from real sends on both paths. */
  readonly uplink = new UplinkMeter();
  private readonly spaces = new Map<string, Space>();
  private readonly direct = new Map<string, D>();
  private started = false;
  private inbox: PendingDelivery[] = [];
  /** Batches cut from the inbox, their opening started, waiting for their turn (in order). */
  private ahead: CutBatch[] = [];
  private inboxScheduled = false;
  /** A batch is being verified and applied (its disk write may still be running after). */
  private takingBatch = false;
  private gapTimer: ReturnType<typeof setInterval> | undefined;
  /** Per space: when its gaps were last asked about, and how often in a row. */
  private readonly gapAsks = new Map<string, { at: number; times: number }>();
  private lastRoute: RouteStatus | undefined;
  /** Relay deliveries for spaces this device does not hold (acked and dropped). */
  strayDeliveries = 0;
  /** Envelopes taken in from either path since start (what a catch-up's progress counts). */
  deliveriesTaken = 0;
  /** Ephemeral sends, counted per target, by the path they took. */
  ephemeralDirect = 0;
  ephemeralRelayed = 0;

  private readonly maxBatch: number;

  constructor(private readonly options: SyncEngineOptions<R, D>) {
    super();
    // At least one: a batch of none would be cut, and taken, forever.
    this.maxBatch = Math.max(1, options.maxBatch ?? MAX_BATCH);
    this.outbox = new StoreOutbox(options.store);
    this.directOutbox = new StoreOutbox(options.store, "direct/");
    this.relay = options.relay?.({
      device: options.device,
      backend: options.backend,
      outbox: this.outbox,
      take: (envelope) => this.take(envelope),
      uplink: (sample) => this.uplink.record(sample),
      status: (status) => {
        this.emit("relayStatus", [status]);
        // Back online: ask for whatever was missed while away (or expired from the mailbox).
        if (status === "online") {
          for (const space of this.spaces.values()) {
            void space
              .requestSync()
              .catch(noted("SYNC_REQUEST", "asking for what was missed offline"));
          }
        }
      },
      error: (err) => this.emit("error", [err]),
    });
  }

  get route(): RouteStatus | undefined {
    return this.lastRoute;
  }

  /** Every other device of the space is linked directly now (and there is one). */
  private allDirect(access: SpaceAccess): boolean {
    const connected = this.direct.get(toHex(access.spaceId))?.connected();
    if (!connected) return false;
    const me = toHex(this.options.device.publicKey);
    const others = access
      .devices()
      .map(toHex)
      .filter((d) => d !== me);
    return others.length > 0 && others.every((d) => connected.has(d));
  }

  /** Devices (hex) connected directly in a space. */
  directPeers(spaceId: Uint8Array): ReadonlySet<string> {
    return this.direct.get(toHex(spaceId))?.connected() ?? new Set();
  }

  directTransport(spaceId: Uint8Array): D | undefined {
    return this.direct.get(toHex(spaceId));
  }

  async openSpace(access: SpaceAccess): Promise<Space> {
    const id = toHex(access.spaceId);
    const existing = this.spaces.get(id);
    if (existing) return existing;
    const me = toHex(this.options.device.publicKey);
    const [relayQueued, directQueued] = await Promise.all([
      this.outbox.list(),
      this.directOutbox.list(),
    ]);
    const queued = [...relayQueued, ...directQueued];
    const unsent = queued
      .map((e) => e.envelope)
      .filter((bytes) => {
        try {
          const { header } = decodeEnvelope(bytes);
          return toHex(header.spaceId) === id && toHex(header.author) === me;
        } catch {
          return false;
        }
      });
    const space = await Space.open({
      ...this.options.space,
      access,
      device: this.options.device,
      backend: this.options.backend,
      store: this.options.store,
      unsent,
      dispatch: (out) => this.dispatch(access, out),
      typingBatch: () => (this.allDirect(access) ? DIRECT_TYPING_BATCH : undefined),
    });
    this.spaces.set(id, space);
    if (this.options.direct) this.openDirect(access, space, this.options.direct);
    return space;
  }

  private openDirect(access: SpaceAccess, space: Space, open: DirectPathFactory<D>): void {
    this.openMesh(access, space, open);
    // The mesh's room and password come from the epoch key: after a rotation the members
    // meet in a new room, and a removed member, without the new key, cannot follow.
    let epoch = access.currentEpoch().epoch;
    access.onChange?.(() => {
      const now = access.currentEpoch().epoch;
      if (now === epoch || !this.direct.has(space.id)) return;
      epoch = now;
      void this.rekeyDirect(access, space, open).catch((err) => this.emit("error", [err]));
    });
  }

  private async rekeyDirect(
    access: SpaceAccess,
    space: Space,
    open: DirectPathFactory<D>,
  ): Promise<void> {
    const old = this.direct.get(space.id);
    this.direct.delete(space.id);
    const since = Date.now();
    await old?.stop();
    this.openMesh(access, space, open);
    // What the old mesh still owed goes through the relay.
    await this.relayLeftovers(since, space.id);
  }

  private openMesh(access: SpaceAccess, space: Space, open: DirectPathFactory<D>): void {
    let known = new Set<string>();
    let fresh = new Set<string>();
    let asking: ReturnType<typeof setTimeout> | undefined;
    // Declared before the factory runs: one that reports peers while it is built finds it.
    const made: { transport?: D; early?: boolean } = {};
    // A peer just reached directly may hold what this device missed while apart (with
    // the relay down, nobody else would tell): ask it. Peers joining together are
    // asked in one request.
    const peersChanged = (): void => {
      if (!made.transport) {
        made.early = true;
        return;
      }
      const now = made.transport.connected();
      for (const d of now) if (!known.has(d)) fresh.add(d);
      known = new Set(now);
      if (fresh.size === 0 || asking) return;
      asking = setTimeout(() => {
        const to = [...fresh].filter((d) => known.has(d)).map(fromHex);
        fresh = new Set();
        asking = undefined;
        if (to.length > 0 && this.started)
          void space.requestSync(to).catch(noted("SYNC_REQUEST", "asking new direct peers"));
      }, PEER_SETTLE_MS);
    };
    const transport = open(access, {
      device: toHex(this.options.device.publicKey),
      outbox: this.directOutbox,
      take: (envelope) => this.take(envelope),
      undelivered: (entry, targets) => this.toRelay(targets, entry.envelope),
      uplink: (sample) => this.uplink.record(sample),
      peersChanged,
    });
    made.transport = transport;
    if (made.early) peersChanged();
    this.direct.set(space.id, transport);
    if (this.started) transport.start();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const since = Date.now();
    // A store failure here leaves the leftovers for the next start; nothing is lost.
    this.relayLeftovers(since).catch(
      noted("RELAY_LEFTOVERS", "handing direct leftovers to the relay"),
    );
    for (const transport of this.direct.values()) transport.start();
    this.relay?.start();
    const timeout = this.options.gapTimeoutMs ?? 2000;
    this.gapTimer ??= setInterval(() => void this.askForGaps(timeout), Math.max(50, timeout / 4));
  }

  async stop(): Promise<void> {
    for (const space of this.spaces.values()) await space.flush();
    await this.stopLinks();
    for (const space of this.spaces.values()) await space.close();
    this.spaces.clear();
  }

  /** Stops the gap timer, every direct mesh and the relay link; the spaces stay open. */
  private async stopLinks(): Promise<void> {
    this.started = false;
    clearInterval(this.gapTimer);
    this.gapTimer = undefined;
    for (const transport of this.direct.values()) await transport.stop();
    this.direct.clear();
    await this.relay?.stop();
  }

  /** Closes one space (left by this user): its mesh stops, its doc and log are closed. */
  async closeSpace(spaceId: Uint8Array): Promise<void> {
    const id = toHex(spaceId);
    const space = this.spaces.get(id);
    if (!space) return;
    this.spaces.delete(id);
    await space.flush();
    await this.direct.get(id)?.stop();
    this.direct.delete(id);
    await space.close();
  }

  /**
   * The network is gone (the OS says offline): the relay link and the direct
   * meshes stop, the spaces stay open, and edits wait in the outboxes.
   */
  async pause(): Promise<void> {
    if (this.started) await this.stopLinks();
  }

  /** Back from `pause`: fresh meshes (a stopped one cannot restart), the relay link again. */
  resume(): void {
    if (this.started) return;
    const open = this.options.direct;
    if (open) {
      for (const space of this.spaces.values()) {
        if (!this.direct.has(space.id)) this.openMesh(space.access, space, open);
      }
    }
    this.start();
  }

  private async dispatch(access: SpaceAccess, out: Outgoing): Promise<void> {
    const me = toHex(this.options.device.publicKey);
    const targets = (out.to ?? access.devices()).filter((d) => toHex(d) !== me);
    if (targets.length === 0) return;
    const direct = this.direct.get(toHex(access.spaceId));
    if (out.ephemeral) return this.sendEphemeral(targets, out.envelope, direct);
    const fitsDirect = direct !== undefined && out.envelope.length <= direct.maxEnvelopeBytes;
    const plan = planRoute(
      {
        targets: targets.map(toHex),
        connected: (fitsDirect && direct?.connected()) || new Set(),
        relayOnline: this.relay?.status === "online",
        envelopeBytes: out.envelope.length,
        uplinkBytesPerSecond: this.uplink.bytesPerSecond,
      },
      this.options.routePolicy ?? DEFAULT_ROUTE_POLICY,
    );
    this.setRoute(plan.reason);
    // planRoute returns hex keys of `targets` only; fromHex gives back the same bytes.
    // Offline targets wait in the relay outbox even while the relay is down.
    const viaRelay = [...plan.viaRelay, ...plan.waiting].map(fromHex);
    if (viaRelay.length > 0) await this.toRelay(viaRelay, out.envelope, out.ttlSeconds);
    if (direct && plan.direct.length > 0) {
      const msgId = envelopeHash(out.envelope).subarray(0, MSG_ID_BYTES);
      await direct.enqueue(plan.direct.map(fromHex), out.envelope, {
        msgId,
        addressed: out.to !== undefined,
      });
    }
  }

  /**
   * Presence and carets: over the direct links to the targets connected now,
   * and forwarded by the relay to the others online there; never stored,
   * never queued here, dropped where no path is up (the next message says the
   * same). The route status is left alone: it describes lasting sends.
   */
  private sendEphemeral(targets: Uint8Array[], envelope: Uint8Array, direct: D | undefined): void {
    const sent = direct?.sendEphemeral(targets.map(toHex), envelope);
    this.ephemeralDirect += sent?.size ?? 0;
    const rest = sent?.size ? targets.filter((t) => !sent.has(toHex(t))) : targets;
    if (!this.relay || rest.length === 0) return;
    this.ephemeralRelayed += rest.length;
    for (let i = 0; i < rest.length; i += DEFAULT_LIMITS.maxTargets) {
      this.relay.sendEphemeral(rest.slice(i, i + DEFAULT_LIMITS.maxTargets), envelope);
    }
  }

  private async toRelay(
    targets: Uint8Array[],
    envelope: Uint8Array,
    ttlSeconds?: number,
  ): Promise<void> {
    // Without a relay there is no durable path for targets out of reach: the gap
    // they see is healed by a sync request when they next meet a member.
    if (!this.relay) return;
    await this.relay.enqueue(targets, envelope, {
      msgId: relayMsgId(envelope, targets),
      ...(ttlSeconds !== undefined && { ttlSeconds }),
    });
  }

  /** Direct sends left unacked by a previous run go through the relay. */
  private async relayLeftovers(before: number, spaceId?: string): Promise<void> {
    for (const entry of await this.directOutbox.list()) {
      if (entry.queuedAt >= before) continue;
      const raw = spaceId === undefined ? undefined : peekSpaceId(entry.envelope);
      if (spaceId !== undefined && (!raw || toHex(raw) !== spaceId)) continue;
      await this.toRelay(entry.targets, entry.envelope);
      await this.directOutbox.delete(entry.msgId);
    }
  }

  private setRoute(reason: RouteReason): void {
    if (this.lastRoute?.reason === reason) return;
    this.lastRoute = { reason, text: describeRoute(reason) };
    this.emit("route", [this.lastRoute]);
  }

  /** An envelope in from either path; resolves once its space has it on disk. */
  private take(envelope: Uint8Array): Promise<void> {
    this.deliveriesTaken++;
    return new Promise((done, failed) => {
      this.inbox.push({ envelope, done, failed });
      if (this.takingBatch) this.cutAhead(false);
      this.scheduleInbox();
    });
  }

  /**
   * A batch is taken once the one before it is taken (verified and applied,
   * its disk write possibly still running; with an opener, verified only, its
   * apply to follow): what arrives meanwhile waits, up to MAX_BATCH, and goes
   * in together, except that with an opener a partial batch is cut at that
   * moment so its opening overlaps the apply (cutAhead). Taken at every timer
   * tick instead, a relay's burst of 64 came in as batches of 1 and 63, each
   * with its own signature check, write and change.
   */
  private scheduleInbox(): void {
    if (this.inboxScheduled || this.takingBatch) return;
    if (this.inbox.length === 0 && this.ahead.length === 0) return;
    this.inboxScheduled = true;
    nextTask(() => void this.takeInbox());
  }

  /**
   * Cuts batches from the inbox while fewer than PREFETCH_AHEAD wait, each
   * handed to its spaces' opener at once (`Space.prefetch`): a full batch
   * whenever there is one, and, `now` (the batch being taken is verified),
   * whatever waits if nothing is cut yet, so its opening on the opener's
   * thread overlaps this batch's apply instead of following it.
   */
  private cutAhead(now: boolean): void {
    while (this.ahead.length < PREFETCH_AHEAD) {
      const full = this.inbox.length >= this.maxBatch;
      if (!full && !(now && this.ahead.length === 0 && this.inbox.length > 0)) return;
      this.ahead.push(this.cut());
    }
  }

  /** The next batch from the inbox, by space, each part's opening started. */
  private cut(): CutBatch {
    const batch = this.inbox.splice(0, this.maxBatch);
    const bySpace = new Map<string, CutPart>();
    // A batch is nearly always of one space: its id is made once and compared in place, with
    // no view or string made per envelope.
    let lastRaw: Uint8Array | undefined;
    let lastId: string | undefined;
    for (const item of batch) {
      let id: string | undefined;
      if (lastRaw && namesSpace(item.envelope, lastRaw)) id = lastId;
      else {
        const raw = peekSpaceId(item.envelope);
        if (raw) {
          lastRaw = raw;
          lastId = toHex(raw);
          id = lastId;
        }
      }
      if (!id) {
        // Too short to name a space: no space will ever take it.
        this.strayDeliveries++;
        item.done();
        continue;
      }
      let part = bySpace.get(id);
      if (!part) {
        part = { space: this.spaces.get(id), items: [], envelopes: [], prefetched: undefined };
        bySpace.set(id, part);
      }
      part.items.push(item);
      part.envelopes.push(item.envelope);
    }
    // Whether a space holds a part is decided at the part's turn, as for a batch never cut
    // ahead: a space opened meanwhile takes it, one closed meanwhile does not.
    for (const part of bySpace.values()) {
      try {
        part.prefetched = part.space?.prefetch(part.envelopes);
      } catch (err) {
        // Only a head start: without it the part is opened at its turn, and no delivery is lost.
        noted("SYNC_ENGINE", "opening a batch ahead of its turn")(err);
      }
    }
    return [...bySpace.entries()];
  }

  /** Hands a burst of deliveries to their spaces; acks follow only what reached disk. */
  private async takeInbox(): Promise<void> {
    this.inboxScheduled = false;
    const batch = this.ahead.shift() ?? this.cut();
    this.takingBatch = true;
    // Full batches behind this one start opening now, on the opener's thread.
    this.cutAhead(false);
    const parts: (CutPart & { space: Space })[] = [];
    for (const [id, part] of batch) {
      const space = this.spaces.get(id);
      if (!space) {
        // Acked and dropped: this device does not hold the space (or no longer does).
        this.strayDeliveries += part.items.length;
        for (const item of part.items) item.done();
        continue;
      }
      // Opened ahead by another instance of the space (closed and opened again): here instead.
      const prefetched = part.space === space ? part.prefetched : undefined;
      parts.push({ ...part, space, prefetched });
    }
    // The next batch may start once every space of this one has taken its part; the one
    // after it is cut (and its opening started) at that moment, before this one is applied.
    let taking = parts.length;
    const taken = () => {
      if (--taking > 0) return;
      this.takingBatch = false;
      this.cutAhead(true);
      this.scheduleInbox();
    };
    if (taking === 0) {
      taking = 1;
      taken();
    }
    await Promise.all(
      parts.map(async ({ space, items, envelopes, prefetched }) => {
        try {
          await space.receive(envelopes, taken, prefetched);
          for (const item of items) item.done();
        } catch (err) {
          for (const item of items) item.failed(err);
        }
      }),
    );
  }

  /**
   * Asks members about gaps that persist. The wait doubles with each ask
   * (up to 5 minutes), so a seq nobody holds (say, burnt by a crash before
   * it was queued) costs a request now and then, not a storm.
   */
  private async askForGaps(timeoutMs: number): Promise<void> {
    const now = Date.now();
    for (const space of this.spaces.values()) {
      const gaps = space.gaps();
      if (gaps.length === 0) {
        this.gapAsks.delete(space.id);
        continue;
      }
      const asked = this.gapAsks.get(space.id);
      if (!asked) {
        this.gapAsks.set(space.id, { at: now, times: 0 });
        continue;
      }
      const wait = Math.min(timeoutMs * 2 ** asked.times, 300_000);
      if (now - asked.at < wait) continue;
      this.gapAsks.set(space.id, { at: now, times: asked.times + 1 });
      // Every member asked answers, so ask few: the authors of what is missing and one
      // other member; only a gap that outlives two asks goes to everyone.
      const to = asked.times < 2 ? this.witnesses(space, gaps) : undefined;
      await space
        .requestSync(to)
        .catch(noted("SYNC_REQUEST", "asking for a gap in an author's run"));
    }
  }

  private witnesses(space: Space, gaps: { author: string }[]): Uint8Array[] {
    const me = toHex(this.options.device.publicKey);
    const authors = new Set(gaps.map((g) => g.author));
    authors.delete(me);
    const others = space.access
      .devices()
      .map(toHex)
      .filter((d) => d !== me && !authors.has(d));
    const other = others[Math.floor(Math.random() * others.length)];
    return [...authors, ...(other ? [other] : [])].map(fromHex);
  }
}

/**
 * The relay's idempotency key for an envelope and a target set: a re-queue
 * after a crash is stored once, while the same envelope handed over later
 * for other targets (a direct send that timed out) is a new message.
 */
export function relayMsgId(envelope: Uint8Array, targets: Uint8Array[]): Uint8Array {
  const sorted = [...targets].sort((a, b) => (toHex(a) < toHex(b) ? -1 : 1));
  return hash32(concatBytes(envelopeHash(envelope), ...sorted)).subarray(0, MSG_ID_BYTES);
}
