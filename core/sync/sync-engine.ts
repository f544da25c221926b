/**
 * A device's sync engine: its spaces, its relay link and the durable outbox
 * between them. Local envelopes are routed (routing.ts) and queued before a
 * Space considers them sent; relay deliveries are taken in batches (so a
 * catch-up costs a signature per author run, not per delta) and acked only
 * once on disk. After each login, and whenever a broadcast seq stays
 * missing, a space asks its members for what it lacks.
 */
import { ObservableV2 } from "lib0/observable";
import { toHex } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import { envelopeHash } from "../crypto/envelope.js";
import type { SigningKeyPair } from "../crypto/identity.js";
import type { SpaceAccess } from "../space/access.js";
import { type Outgoing, Space, type SpaceOptions } from "../space/space.js";
import type { Store } from "../store/store.js";
import { decodeEnvelope, peekSpaceId } from "../wire/envelope.js";
import type { DecodeError } from "../wire/errors.js";
import { MSG_ID_BYTES } from "../wire/frame-types.js";
import {
  type Delivery,
  type RelayError,
  type RelayStatus,
  RelayTransport,
  type RelayTransportOptions,
} from "./relay-transport.js";
import { describeRoute, planRoute, type RouteReason } from "./routing.js";
import { StoreOutbox } from "./store-outbox.js";

export type RelayLinkOptions = Omit<
  RelayTransportOptions,
  "device" | "backend" | "onDeliver" | "outbox"
>;

export interface SyncEngineOptions {
  device: SigningKeyPair;
  backend: Ed25519Backend;
  store: Store;
  relay?: RelayLinkOptions;
  /** A broadcast seq missing this long is asked for (ms). */
  gapTimeoutMs?: number;
  /** Passed to every space. */
  space?: Pick<SpaceOptions, "batchMs" | "maxBatchMs" | "compactEvery">;
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
  delivery: Delivery;
  done: () => void;
  failed: (err: unknown) => void;
}

/** Most deliveries taken in one batch. */
const MAX_BATCH = 1024;

export class SyncEngine extends ObservableV2<Events> {
  readonly relay: RelayTransport | undefined;
  readonly outbox: StoreOutbox;
  private readonly spaces = new Map<string, Space>();
  private inbox: PendingDelivery[] = [];
  private inboxScheduled = false;
  private gapTimer: ReturnType<typeof setInterval> | undefined;
  /** Per space: when its gaps were last asked about, and how often in a row. */
  private readonly gapAsks = new Map<string, { at: number; times: number }>();
  private lastRoute: RouteStatus | undefined;
  /** Relay deliveries for spaces this device does not hold (acked and dropped). */
  strayDeliveries = 0;

  constructor(private readonly options: SyncEngineOptions) {
    super();
    this.outbox = new StoreOutbox(options.store);
    if (options.relay) {
      this.relay = new RelayTransport({
        ...options.relay,
        device: options.device,
        backend: options.backend,
        outbox: this.outbox,
        onDeliver: (d) => this.deliver(d),
      });
      this.relay.on("status", (status) => {
        this.emit("relayStatus", [status]);
        // Back online: ask for whatever was missed while away (or expired from the mailbox).
        if (status === "online") for (const space of this.spaces.values()) void space.requestSync();
      });
      this.relay.on("error", (err) => this.emit("error", [err]));
    }
  }

  get route(): RouteStatus | undefined {
    return this.lastRoute;
  }

  async openSpace(access: SpaceAccess): Promise<Space> {
    const id = toHex(access.spaceId);
    const existing = this.spaces.get(id);
    if (existing) return existing;
    const me = toHex(this.options.device.publicKey);
    const unsent = (await this.outbox.list())
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
    });
    this.spaces.set(id, space);
    return space;
  }

  start(): void {
    this.relay?.start();
    const timeout = this.options.gapTimeoutMs ?? 2000;
    this.gapTimer ??= setInterval(() => void this.askForGaps(timeout), Math.max(50, timeout / 4));
  }

  async stop(): Promise<void> {
    clearInterval(this.gapTimer);
    this.gapTimer = undefined;
    for (const space of this.spaces.values()) await space.flush();
    await this.relay?.stop();
    for (const space of this.spaces.values()) await space.close();
    this.spaces.clear();
  }

  private async dispatch(access: SpaceAccess, out: Outgoing): Promise<void> {
    const me = toHex(this.options.device.publicKey);
    const targets = (out.to ?? access.devices()).filter((d) => toHex(d) !== me);
    if (targets.length === 0) return;
    const plan = planRoute({
      targets: targets.map(toHex),
      // The direct path (WebRTC) is not wired in yet: everything goes through the relay.
      connected: new Set(),
      relayOnline: this.relay?.status === "online",
      envelopeBytes: out.envelope.length,
      uplinkBytesPerSecond: undefined,
    });
    this.setRoute(plan.reason);
    if (!this.relay) return;
    // The msgId follows from the envelope, so a re-queue after a crash is stored once by the relay.
    const msgId = envelopeHash(out.envelope).subarray(0, MSG_ID_BYTES);
    await this.relay.enqueue(targets, out.envelope, { msgId });
  }

  private setRoute(reason: RouteReason): void {
    if (this.lastRoute?.reason === reason) return;
    this.lastRoute = { reason, text: describeRoute(reason) };
    this.emit("route", [this.lastRoute]);
  }

  private deliver(delivery: Delivery): Promise<void> {
    return new Promise((done, failed) => {
      this.inbox.push({ delivery, done, failed });
      if (this.inbox.length >= MAX_BATCH) return void this.takeInbox();
      if (!this.inboxScheduled) {
        this.inboxScheduled = true;
        setTimeout(() => void this.takeInbox(), 0);
      }
    });
  }

  /** Hands a burst of deliveries to their spaces; acks follow only what reached disk. */
  private async takeInbox(): Promise<void> {
    this.inboxScheduled = false;
    const batch = this.inbox.splice(0);
    const bySpace = new Map<string, PendingDelivery[]>();
    for (const item of batch) {
      const raw = peekSpaceId(item.delivery.envelope);
      const id = raw && toHex(raw);
      const space = id && this.spaces.get(id);
      if (!space) {
        this.strayDeliveries++;
        item.done();
        continue;
      }
      const list = bySpace.get(id) ?? [];
      bySpace.set(id, list);
      list.push(item);
    }
    for (const [id, items] of bySpace) {
      try {
        await this.spaces.get(id)!.receive(items.map((i) => i.delivery.envelope));
        for (const item of items) item.done();
      } catch (err) {
        for (const item of items) item.failed(err);
      }
    }
  }

  /**
   * Asks members about gaps that persist. The wait doubles with each ask
   * (up to 5 minutes), so a seq nobody holds (say, burnt by a crash before
   * it was queued) costs a request now and then, not a storm.
   */
  private async askForGaps(timeoutMs: number): Promise<void> {
    const now = Date.now();
    for (const space of this.spaces.values()) {
      if (space.gaps().length === 0) {
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
      await space.requestSync().catch(() => {});
    }
  }
}
