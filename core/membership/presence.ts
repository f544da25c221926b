/**
 * Presence: whether a member is online, away, or offline (and since when),
 * for the member list and the buddy list. It travels end to end encrypted,
 * as ephemeral envelopes of the space (signed by the device, sealed under
 * the epoch key, verified like any envelope, never logged or stored, by the
 * relay neither): a device announces its status when it starts, every
 * `intervalMs` (20 s), at once on a change, and "offline" when it leaves.
 *
 * A user is as present as its most present device (online > away >
 * offline). A device is online or away as it last said until nothing has
 * come from it for 1.5 intervals (offline within 10 s of a missed
 * heartbeat), then offline, last seen at its last
 * message; "offline" (leaving) counts at once. Times are this device's
 * clock at arrival; the sender's `sentAt` only puts one device's messages
 * in order.
 *
 *   Payload: u8 version (1), u8 status (0 online, 1 away, 2 offline/leaving),
 *            varuint sentAt (ms since the epoch, the sender's clock)
 */
import * as encoding from "lib0/encoding";
import { ObservableV2 } from "lib0/observable";
import { toHex } from "../crypto/bytes.js";
import type { Space } from "../space/space.js";
import type { SyncEngine } from "../sync/sync-engine.js";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith } from "../wire/reader.js";
import type { MemberSpace } from "./member-space.js";
import { isWherePayload } from "./whereabouts.js";

export type PresenceStatus = "online" | "away" | "offline";

/** One device's announcement, as it travels. */
export interface PresenceMessage {
  status: PresenceStatus;
  /** Milliseconds since the epoch, by the sender's clock. */
  sentAt: number;
}

/** What the UI shows for a user (or a device). */
export interface Presence {
  status: PresenceStatus;
  /** When offline: this device's time of the last message heard (absent if never heard). */
  lastSeen?: number;
}

const VERSION = 1;
const CODES: readonly PresenceStatus[] = ["online", "away", "offline"];
const RANK: Record<PresenceStatus, number> = { online: 2, away: 1, offline: 0 };

export const DEFAULT_PRESENCE_INTERVAL_MS = 20_000;
/** Silent this many intervals, a device counts as offline. */
export const PRESENCE_TIMEOUT_FACTOR = 1.5;

export function encodePresence(message: PresenceMessage): Uint8Array {
  const code = CODES.indexOf(message.status);
  if (code < 0) throw new RangeError(`unknown presence status ${message.status}`);
  if (!Number.isSafeInteger(message.sentAt) || message.sentAt < 0) {
    throw new RangeError("sentAt out of range");
  }
  return encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    encoding.writeUint8(e, code);
    encoding.writeVarUint(e, message.sentAt);
  });
}

/** Strict: throws only DecodeError. */
export function decodePresence(bytes: Uint8Array): PresenceMessage {
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (version !== VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `presence version ${version} is not supported`);
    }
    const code = r.u8("status");
    const status = CODES[code];
    if (!status) throw new DecodeError("INVALID_VALUE", `unknown presence status ${code}`);
    return { status, sentAt: r.varUint("sentAt") };
  });
}

/** The most present of several (a user's devices, or one user across spaces). */
export function mostPresent(list: Iterable<Presence>): Presence {
  let best: Presence = { status: "offline" };
  for (const p of list) {
    if (RANK[p.status] > RANK[best.status]) best = p;
    else if (
      p.status === "offline" &&
      best.status === "offline" &&
      p.lastSeen !== undefined &&
      (best.lastSeen === undefined || p.lastSeen > best.lastSeen)
    ) {
      best = p;
    }
  }
  return best.status === "offline" ? best : { status: best.status };
}

interface Heard {
  status: PresenceStatus;
  sentAt: number;
  /** This device's clock when it arrived. */
  heardAt: number;
}

export interface PresenceTrackerOptions {
  /** The heartbeat interval senders use (ms). */
  intervalMs?: number;
  now?: () => number;
}

/**
 * What has been heard from whom, and what it makes of it now. Pure: no
 * timers, the clock is injected; ask `presenceOf` whenever, and
 * `nextChangeAt` for when an answer may next change on its own.
 */
export class PresenceTracker {
  private readonly users = new Map<string, Map<string, Heard>>();
  private readonly now: () => number;
  readonly timeoutMs: number;

  constructor(options: PresenceTrackerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.timeoutMs = (options.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS) * PRESENCE_TIMEOUT_FACTOR;
  }

  /**
   * Takes a message from `device` (hex) of `user` (hex). False, and ignored,
   * when it is older (by its sender's clock) than one already taken from
   * that device, unless that device has since gone silent past the timeout
   * (so a device whose clock was set back is heard again).
   */
  heard(user: string, device: string, message: PresenceMessage): boolean {
    const now = this.now();
    let devices = this.users.get(user);
    const last = devices?.get(device);
    if (last && message.sentAt < last.sentAt && now - last.heardAt < this.timeoutMs) return false;
    if (!devices) {
      devices = new Map();
      this.users.set(user, devices);
    }
    devices.set(device, { status: message.status, sentAt: message.sentAt, heardAt: now });
    return true;
  }

  /** A user's presence: its most present device; offline (never seen) for a stranger. */
  presenceOf(user: string): Presence {
    const devices = this.users.get(user);
    if (!devices) return { status: "offline" };
    return mostPresent([...devices.values()].map((h) => this.judge(h)));
  }

  /** One device's presence (hex keys). */
  presenceOfDevice(user: string, device: string): Presence {
    const heard = this.users.get(user)?.get(device);
    return heard ? this.judge(heard) : { status: "offline" };
  }

  /** Every user heard from (hex). */
  known(): string[] {
    return [...this.users.keys()];
  }

  /** Drops what was heard from a user (say, removed from the space). */
  forget(user: string): void {
    this.users.delete(user);
  }

  /** When some device's silence next turns it offline; undefined when none is pending. */
  nextChangeAt(): number | undefined {
    let next: number | undefined;
    for (const devices of this.users.values()) {
      for (const h of devices.values()) {
        if (h.status === "offline") continue;
        const at = h.heardAt + this.timeoutMs;
        if (at > this.now() && (next === undefined || at < next)) next = at;
      }
    }
    return next;
  }

  private judge(h: Heard): Presence {
    if (h.status === "offline" || this.now() - h.heardAt >= this.timeoutMs) {
      return { status: "offline", lastSeen: h.heardAt };
    }
    return { status: h.status };
  }
}

export interface PresenceAnnouncerOptions {
  /** The space whose members hear this device, and whom it hears. */
  space: Pick<Space, "sendEphemeral" | "on" | "off">;
  /** The user (hex) behind a member device; undefined for any other device. */
  userOf(device: Uint8Array): string | undefined;
  /** This device's signing key: its own status shows in the tracker too, under its user. */
  device: Uint8Array;
  /** Heartbeat interval (ms); default 20 s. */
  intervalMs?: number;
  now?: () => number;
  /** With an engine, a heartbeat goes out as soon as the relay link is back. */
  engine?: Pick<SyncEngine, "on" | "off">;
}

type AnnouncerEvents = {
  /** A user's presence as shown changed (a message, or a silence that ran out). */
  change: (user: string, presence: Presence) => void;
};

/**
 * Announces this device's presence in one space and tracks everyone else's.
 * Sends a heartbeat on `start`, every `intervalMs`, at once on `setStatus`,
 * and "offline" on `stop`; answers a device it hears from for the first time
 * (or again after a silence) with a heartbeat of its own, so two devices
 * that come online see each other within a round trip, not an interval.
 * Presence is dropped, not queued, while the relay is unreachable.
 */
export class PresenceAnnouncer extends ObservableV2<AnnouncerEvents> {
  readonly tracker: PresenceTracker;
  /** Presence payloads that did not decode (a newer version, or garbage from a member). */
  undecodable = 0;
  /** Presence from devices that are no member's (the space has already refused most). */
  strangers = 0;
  /** Heartbeats that could not be sent (no key yet, a store failure). */
  sendFailures = 0;
  private status: "online" | "away" = "online";
  private running = false;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private watch: ReturnType<typeof setTimeout> | undefined;
  private readonly shown = new Map<string, string>();
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly deviceHex: string;

  constructor(private readonly options: PresenceAnnouncerOptions) {
    super();
    this.intervalMs = options.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.tracker = new PresenceTracker({ intervalMs: this.intervalMs, now: this.now });
    this.deviceHex = toHex(options.device);
  }

  /** For a MemberSpace: devices are mapped to users by its membership log, as it stands. */
  static forMemberSpace(
    member: MemberSpace,
    options: Pick<PresenceAnnouncerOptions, "intervalMs" | "now" | "engine"> = {},
  ): PresenceAnnouncer {
    return new PresenceAnnouncer({
      ...options,
      space: member.space,
      userOf: (device) => member.access.userOf(device),
      device: member.access.device,
    });
  }

  get currentStatus(): "online" | "away" {
    return this.status;
  }

  get started(): boolean {
    return this.running;
  }

  /** Starts announcing (online unless told otherwise) and listening. */
  start(status: "online" | "away" = this.status): Promise<void> {
    if (this.running) return this.setStatus(status);
    this.running = true;
    this.status = status;
    this.options.space.on("ephemeral", this.onEphemeral);
    this.options.engine?.on("relayStatus", this.onRelayStatus);
    this.heartbeat = setInterval(() => void this.announce(this.status), this.intervalMs);
    return this.announce(status);
  }

  /** A change of status, sent at once. */
  setStatus(status: "online" | "away"): Promise<void> {
    this.status = status;
    return this.running ? this.announce(status) : Promise.resolve();
  }

  /** Says "offline" (leaving) and stops. Call before the engine stops, or the word is lost. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.heartbeat);
    clearTimeout(this.watch);
    this.options.space.off("ephemeral", this.onEphemeral);
    this.options.engine?.off("relayStatus", this.onRelayStatus);
    await this.announce("offline");
  }

  presenceOf(user: string): Presence {
    return this.tracker.presenceOf(user);
  }

  private async announce(status: PresenceStatus, to?: Uint8Array[]): Promise<void> {
    const message = { status, sentAt: this.now() };
    // A joiner not yet let in has no user here: nothing to show, and nothing is sent.
    const me = this.options.userOf(this.options.device);
    if (!to && me !== undefined) this.take(me, this.deviceHex, message);
    try {
      await this.options.space.sendEphemeral(encodePresence(message), to);
    } catch {
      this.sendFailures++;
    }
  }

  private readonly onEphemeral = (author: Uint8Array, payload: Uint8Array): void => {
    // Version 2 is whereabouts (whereabouts.ts), a payload of its own, not a status.
    if (isWherePayload(payload)) return;
    let message: PresenceMessage;
    try {
      message = decodePresence(payload);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.undecodable++;
      return;
    }
    const user = this.options.userOf(author);
    if (user === undefined) {
      this.strangers++;
      return;
    }
    const device = toHex(author);
    const before = this.tracker.presenceOfDevice(user, device).status;
    if (!this.take(user, device, message)) return;
    // New to us, or back after a silence: it has not heard us yet either (or not lately).
    if (before === "offline" && message.status !== "offline" && this.running) {
      void this.announce(this.status, [author]);
    }
  };

  private readonly onRelayStatus = (status: string): void => {
    if (status === "online" && this.running) void this.announce(this.status);
  };

  private take(user: string, device: string, message: PresenceMessage): boolean {
    if (!this.tracker.heard(user, device, message)) return false;
    this.report();
    return true;
  }

  /** Emits `change` for every user whose shown presence moved; watches for the next timeout. */
  private report(): void {
    for (const user of this.tracker.known()) {
      const presence = this.tracker.presenceOf(user);
      const key = `${presence.status}/${presence.lastSeen ?? ""}`;
      if (this.shown.get(user) === key) continue;
      this.shown.set(user, key);
      this.emit("change", [user, presence]);
    }
    clearTimeout(this.watch);
    const next = this.running ? this.tracker.nextChangeAt() : undefined;
    if (next !== undefined) {
      this.watch = setTimeout(() => this.report(), Math.max(0, next - this.now()) + 1);
    }
  }
}
