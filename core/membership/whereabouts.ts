/**
 * Whereabouts: which tool of a space each member has open, which note, and
 * where their caret is in it ("who is where", and everyone's caret in the
 * note editor). It rides the same encrypted ephemeral envelopes as presence
 * (signed, sealed under the epoch key, verified, never logged nor stored,
 * by the relay neither), as presence payload version 2. Builds that know
 * only version 1 (status heartbeats, presence.ts) refuse it as undecodable
 * and carry on; this build still sends version 1 heartbeats beside it, so
 * they keep seeing it online.
 *
 * Sending: a message when the place or the caret changes, at most one per
 * `intervalMs` (250 ms: 4 a second, under the 5 a second each receiver
 * admits per device in Space.admitEphemeral, so heartbeats still pass), the
 * latest state winning; nothing at all while nothing changes. A device heard
 * for the first time (or again after it went offline) is told the current
 * place at once, addressed to it alone, so a newcomer sees carets without
 * waiting for someone to move.
 *
 * Forgetting: a place is dropped when its device says it left (an empty
 * tool, or its "offline" heartbeat) or when presence finds it silent past
 * its timeout; names are never carried (the membership names the author).
 *
 *   Payload: u8 version (2), varuint sentAt (ms, the sender's clock),
 *            string tool (<= 32 bytes, "" = not in this space now),
 *            string note (<= 64 bytes, "" = none),
 *            u8 flags (bit 0: a caret follows; other bits must be 0),
 *            [bytes anchor, bytes head (Yjs relative positions, <= 128 bytes each)]
 */
import * as encoding from "lib0/encoding";
import { ObservableV2 } from "lib0/observable";
import { toHex } from "../crypto/bytes.js";
import type { Space } from "../space/space.js";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith, writeString } from "../wire/reader.js";
import type { Presence } from "./presence.js";

export const WHERE_VERSION = 2;
export const MAX_TOOL_BYTES = 32;
export const MAX_NOTE_ID_BYTES = 64;
export const MAX_CARET_BYTES = 128;
export const WHERE_INTERVAL_MS = 250;

export interface Caret {
  /** Yjs relative positions (Y.encodeRelativePosition) of the selection's two ends. */
  anchor: Uint8Array;
  head: Uint8Array;
}

export interface Place {
  /** The tool open ("" when this device is not in the space's view). */
  tool: string;
  /** The note open in the notes tool, if any. */
  note?: string;
  /** Where the caret is in that note, while the editor has focus. */
  caret?: Caret;
}

export interface WhereMessage extends Place {
  sentAt: number;
}

const FLAG_CARET = 1;

export function encodeWhere(message: WhereMessage): Uint8Array {
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  if (bytes(message.tool) > MAX_TOOL_BYTES) throw new RangeError("tool name too long");
  if (bytes(message.note ?? "") > MAX_NOTE_ID_BYTES) throw new RangeError("note id too long");
  if (!Number.isSafeInteger(message.sentAt) || message.sentAt < 0) {
    throw new RangeError("sentAt out of range");
  }
  const { caret } = message;
  if (caret && (caret.anchor.length > MAX_CARET_BYTES || caret.head.length > MAX_CARET_BYTES)) {
    throw new RangeError("caret too long");
  }
  return encodeWith((e) => {
    encoding.writeUint8(e, WHERE_VERSION);
    encoding.writeVarUint(e, message.sentAt);
    writeString(e, message.tool);
    writeString(e, message.note ?? "");
    encoding.writeUint8(e, caret ? FLAG_CARET : 0);
    if (caret) {
      encoding.writeVarUint8Array(e, caret.anchor);
      encoding.writeVarUint8Array(e, caret.head);
    }
  });
}

/** Strict: throws only DecodeError. */
export function decodeWhere(bytes: Uint8Array): WhereMessage {
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (version !== WHERE_VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `whereabouts version ${version}`);
    }
    const sentAt = r.varUint("sentAt");
    const tool = r.string("tool", MAX_TOOL_BYTES);
    const note = r.string("note", MAX_NOTE_ID_BYTES);
    const flags = r.u8("flags");
    if ((flags & ~FLAG_CARET) !== 0) throw new DecodeError("INVALID_VALUE", "unknown flags");
    const message: WhereMessage = { sentAt, tool };
    if (note) message.note = note;
    if (flags & FLAG_CARET) {
      // Copies: the reader hands out views into the envelope's buffer.
      const anchor = r.varBytes("anchor", MAX_CARET_BYTES).slice();
      const head = r.varBytes("head", MAX_CARET_BYTES).slice();
      message.caret = { anchor, head };
    }
    return message;
  });
}

/** Whether a presence payload is a whereabouts message (version 2) rather than a heartbeat. */
export function isWherePayload(payload: Uint8Array): boolean {
  return payload[0] === WHERE_VERSION;
}

/** One other device's place, as heard. */
export interface DevicePlace extends Place {
  user: string;
  device: string;
  /** This device's clock when it arrived. */
  heardAt: number;
}

export interface WhereaboutsOptions {
  space: Pick<Space, "sendEphemeral" | "on" | "off">;
  /** The user (hex) behind a member device; undefined for any other device. */
  userOf(device: Uint8Array): string | undefined;
  /** This device's signing key (its own messages are not listed). */
  device: Uint8Array;
  /** Presence as the space's announcer has it: silence and leaving drop a place. */
  presence?: {
    on(event: "change", f: (user: string, p: Presence) => void): void;
    off(event: "change", f: (user: string, p: Presence) => void): void;
    tracker: { presenceOfDevice(user: string, device: string): Presence };
  };
  intervalMs?: number;
  now?: () => number;
}

type Events = {
  /** Someone's place or caret changed (or was forgotten). */
  change: () => void;
};

const samePlace = (a: Place, b: Place) =>
  a.tool === b.tool &&
  a.note === b.note &&
  sameBytes(a.caret?.anchor, b.caret?.anchor) &&
  sameBytes(a.caret?.head, b.caret?.head);

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class Whereabouts extends ObservableV2<Events> {
  /** Whereabouts messages sent (broadcast or addressed), for tests and the status panel. */
  sent = 0;
  /** Sends that failed (offline, closed space): counted, not retried, as presence does. */
  sendFailures = 0;
  /** Version 2 payloads that did not decode. */
  undecodable = 0;
  private place: Place = { tool: "" };
  private lastSentPlace: Place = { tool: "" };
  private lastSendAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly heard = new Map<string, DevicePlace & { sentAt: number }>();
  /** Devices told our place since they were last heard coming online. */
  private readonly told = new Set<string>();
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly me: string;
  private closed = false;

  constructor(private readonly options: WhereaboutsOptions) {
    super();
    this.intervalMs = options.intervalMs ?? WHERE_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.me = toHex(options.device);
    options.space.on("ephemeral", this.onEphemeral);
    options.presence?.on("change", this.onPresence);
  }

  /** This device's place as it will be (or was) sent. */
  get current(): Place {
    return this.place;
  }

  /** Moves this device to a tool (and note); the caret goes unless it stays in the same note. */
  setPlace(tool: string, note?: string): void {
    const next: Place = { tool, ...(note ? { note } : {}) };
    if (note && note === this.place.note && this.place.caret) next.caret = this.place.caret;
    this.update(next);
  }

  /** The caret in the open note (undefined: the editor lost focus). */
  setCaret(caret: Caret | undefined): void {
    if (!this.place.note) return;
    const { caret: _old, ...rest } = this.place;
    this.update(caret ? { ...rest, caret } : rest);
  }

  /** Every other device's place, as last heard (own devices included, this one not). */
  places(): DevicePlace[] {
    return [...this.heard.values()].map(({ sentAt: _s, ...p }) => p);
  }

  /** Says "not here" now (the space view closed, or the app is leaving) and stops listening. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.options.space.off("ephemeral", this.onEphemeral);
    this.options.presence?.off("change", this.onPresence);
    if (this.lastSentPlace.tool !== "") {
      this.place = { tool: "" };
      await this.send(this.place);
    }
  }

  private update(next: Place): void {
    if (this.closed || samePlace(next, this.place)) return;
    this.place = next;
    this.schedule();
  }

  /** At most one message per interval: the first at once, the latest state after the wait. */
  private schedule(): void {
    if (this.timer) return;
    const wait = this.lastSendAt + this.intervalMs - this.now();
    if (wait <= 0) {
      void this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    if (samePlace(this.place, this.lastSentPlace)) return;
    await this.send(this.place);
  }

  private async send(place: Place, to?: Uint8Array[]): Promise<void> {
    if (!to) {
      this.lastSentPlace = place;
      this.lastSendAt = this.now();
    }
    this.sent++;
    try {
      await this.options.space.sendEphemeral(encodeWhere({ ...place, sentAt: this.now() }), to);
    } catch {
      // Best effort, as presence: the next change says the same again.
      this.sendFailures++;
    }
  }

  private readonly onEphemeral = (author: Uint8Array, payload: Uint8Array): void => {
    const device = toHex(author);
    if (device === this.me) return;
    const user = this.options.userOf(author);
    if (user === undefined) return;
    if (isWherePayload(payload)) {
      let message: WhereMessage;
      try {
        message = decodeWhere(payload);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.undecodable++;
        return;
      }
      this.take(user, device, message);
    }
    // Someone new (or back): tell them where we are, once, if we are anywhere.
    if (!this.told.has(device) && !this.closed) {
      this.told.add(device);
      if (this.lastSentPlace.tool !== "") void this.send(this.lastSentPlace, [author]);
    }
  };

  private take(user: string, device: string, message: WhereMessage): void {
    const last = this.heard.get(device);
    if (last && message.sentAt < last.sentAt) return;
    if (message.tool === "") {
      if (this.heard.delete(device)) this.emit("change", []);
      return;
    }
    const { sentAt, ...place } = message;
    this.heard.set(device, { ...place, user, device, heardAt: this.now(), sentAt });
    this.emit("change", []);
  }

  /** A device gone offline (it said so, or went silent) is nowhere, and is told again when back. */
  private readonly onPresence = (user: string): void => {
    const tracker = this.options.presence?.tracker;
    if (!tracker) return;
    let dropped = false;
    for (const [device, place] of this.heard) {
      if (place.user !== user) continue;
      const p = tracker.presenceOfDevice(user, device);
      if (p.status === "offline" && p.lastSeen !== undefined) {
        this.heard.delete(device);
        dropped = true;
      }
    }
    for (const device of this.told) {
      const p = tracker.presenceOfDevice(user, device);
      if (p.status === "offline" && p.lastSeen !== undefined) this.told.delete(device);
    }
    if (dropped) this.emit("change", []);
  };
}
