/**
 * RelayTransport: a device's link to one relay. It logs in by signing the
 * relay's challenge, keeps every sent envelope in the outbox until the relay
 * acks it, reconnects with backoff and jitter, retransmits the outbox after
 * each login (same msgIds, so the relay stores nothing twice), and hands
 * deliveries to the app in order, acking each once the app has taken it.
 *
 * A target whose mailbox at the relay is full (PARTIAL_ACK) is not retried:
 * the send counts as done for everyone else, and the target is listed in
 * `fullTargets` (and announced by the "fullTargets" event) until a later
 * send reaches it. It catches up by sync request once it has room again.
 */

import { ObservableV2 } from "lib0/observable";
import { bytesKey, equalBytes } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import type { SigningKeyPair } from "../crypto/identity.js";
import { randomBytes } from "../crypto/random.js";
import { relayOrigin, signRelayChallenge } from "../crypto/relay-auth.js";
import { whenSettled } from "../diagnostics/recent-errors.js";
import { HASH_BYTES } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import { decodeFrame, encodeFrame } from "../wire/frame.js";
import { mailInviteProblem } from "../wire/frame-mail-invite.js";
import {
  type DeliverBatchFrame,
  type DeliverFrame,
  type ErrorFrame,
  FLAG_EPHEMERAL,
  type Frame,
  MSG_ID_BYTES,
  type PartialAckFrame,
  PROTOCOL_VERSION,
  RELAY_FEATURE_DELIVER_BATCH,
  RELAY_FEATURE_MAIL,
  RELAY_FEATURE_TARGET_SETS,
  type SendFrame,
} from "../wire/frame-types.js";
import { mailSendProblem } from "../wire/mail-frames.js";
import { relayErrorName } from "../wire/relay-errors.js";
import { backoffDelay } from "./backoff.js";
import { BlobRequests } from "./blob-requests.js";
import { MemoryOutbox, newOutboxEntry, type Outbox, type OutboxEntry } from "./outbox.js";
import { RelayError } from "./relay-error.js";
import { type TargetChoice, TargetSetCache } from "./target-set-cache.js";
import type { EnqueueOptions, RelayPath, RelayStatus } from "./transport.js";
import type { UplinkSample } from "./uplink-meter.js";
import { type ConnectWebSocket, messageBytes, type WebSocketLike, WS_OPEN } from "./websocket.js";

export { RelayError } from "./relay-error.js";
export type { RelayStatus } from "./transport.js";

/** Refusals that retrying the same send cannot fix: the send is dropped from the outbox. */
const PERMANENT = new Set([
  "ENVELOPE_TOO_LARGE",
  "TOO_MANY_TARGETS",
  "TTL_OUT_OF_RANGE",
  "BAD_FRAME",
  "FRAME_TOO_LARGE",
]);

/** Acks sent in one frame at once, without waiting for the deliveries still in hand. */
const ACK_BATCH = 64;
/** Longest an ack waits, by default, for the other deliveries in hand to be taken (ms). */
const ACK_HOLD_MS = 50;

/** Ephemeral sends awaiting their ack that are remembered (see `ephemeralSent`). */
const MAX_EPHEMERAL_UNACKED = 1024;

export interface Delivery {
  seq: number;
  msgId: Uint8Array;
  /** The sending device, as authenticated by the relay (the envelope signature is what counts). */
  sender: Uint8Array;
  envelope: Uint8Array;
  ephemeral: boolean;
}

export interface RelayTransportOptions {
  /** ws(s)://host[:port] of the relay; /v1 is appended. */
  url: string;
  device: SigningKeyPair;
  backend: Ed25519Backend;
  connect: ConnectWebSocket;
  /**
   * Takes a delivery; once it resolves the relay may delete it. Called in
   * arrival order, without waiting for earlier calls to resolve.
   */
  onDeliver: (delivery: Delivery) => Promise<void> | void;
  accessToken?: string;
  outbox?: Outbox;
  clientName?: string;
  backoff?: { baseMs: number; maxMs: number };
  /** Retry delay after a RATE_LIMITED, QUOTA_EXCEEDED or STORE_UNAVAILABLE refusal. */
  retryMs?: number;
  /** A relay that accepts the socket but does not log us in within this time is left and retried. */
  handshakeTimeoutMs?: number;
  /** A send not acked within this time goes again (same msgId, so it is stored once). */
  ackTimeoutMs?: number;
  /** A mail request the relay has not answered within this time is given up (MAIL_TIMEOUT). */
  mailTimeoutMs?: number;
  /** A blob put or get the relay has not answered within this time fails (BLOB_TIMEOUT). */
  blobTimeoutMs?: number;
  /** Longest an ack waits for the other deliveries in hand (ms; see `queueAck`). */
  ackHoldMs?: number;
  random?: () => number;
}

interface InFlight {
  resolve: () => void;
  reject: (err: RelayError) => void;
}

/** An invitation mail for the relay to send through its operator's SMTP server. */
export interface MailRequest {
  /** One bare address, local@domain. */
  to: string;
  /** One line, at most 200 bytes. */
  subject: string;
  /** Plain text, at most 8 KiB. */
  text: string;
}

/**
 * An invitation for the relay to compose and mail (MAIL_INVITE): it writes
 * every word itself around these facts. Relays of protocol 1 revision 2
 * accept only this (or a MAIL_SEND in Grove's invitation template).
 */
export interface InviteMailRequest {
  /** One bare address, local@domain. */
  to: string;
  /** Who invites; the relay keeps letters, digits, spaces and a little punctuation. */
  inviterName: string;
  /** The space's name, or omitted/empty to leave it out of the mail. */
  spaceName?: string;
  /** The join link on this relay: https://<relay>/join#<payload>. */
  link: string;
}

interface MailInFlight extends InFlight {
  msgId: Uint8Array;
  timer: ReturnType<typeof setTimeout>;
}

type Events = {
  status: (status: RelayStatus) => void;
  /** Refusals and connection problems, for the UI and logs. */
  error: (error: RelayError) => void;
  /** A send and the time to its ack: what the routing policy measures the uplink from. */
  uplink: (sample: UplinkSample) => void;
  /** The targets whose relay mailbox is full changed (see `fullTargets`). */
  fullTargets: (targets: FullTarget[]) => void;
  /**
   * A send the relay could not queue for some of its targets (PARTIAL_ACK), with its
   * envelope: said before the send counts as done, so the app can tell what did not go.
   */
  notQueued: (sent: NotQueued) => void;
  /** The relay said what it offers (RELAY_INFO, after each AUTH_OK). */
  info: (info: RelayInfo) => void;
};

/** What the relay offers beyond the core protocol, as it last said. */
export interface RelayInfo {
  /** Its operator configured SMTP: MAIL_INVITE can succeed. */
  mail: boolean;
  /** It takes TARGET_SETs (revision 4): repeated fan-outs name their targets by id. */
  targetSets: boolean;
}

const NOTHING_OFFERED: RelayInfo = { mail: false, targetSets: false };

/** A device the relay could not queue for: its mailbox, or our address's share of it, is full. */
export interface FullTarget {
  device: Uint8Array;
  reason: PartialAckFrame["full"][number]["reason"];
  /** Epoch ms of the refusal that put it on the list. */
  since: number;
}

/** A send that some targets did not get: their mailboxes were full. */
export interface NotQueued {
  msgId: Uint8Array;
  envelope: Uint8Array;
  full: FullTarget[];
}

export class RelayTransport extends ObservableV2<Events> implements RelayPath {
  private ws: WebSocketLike | undefined;
  private state: RelayStatus = "idle";
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setInterval> | undefined;
  /** When each unacked msgId last went out on the current connection, its frame size and envelope. */
  private readonly sentAt = new Map<string, { at: number; bytes: number; envelope: Uint8Array }>();
  private readonly waiting = new Map<string, InFlight>();
  /**
   * Ephemeral sends on the current connection not yet acked: their acks and
   * refusals concern no outbox entry, so they are not looked up there.
   */
  private readonly ephemeralSent = new Set<string>();
  /** Mail requests sent on the current connection and not yet answered. */
  private readonly mailWaiting = new Map<string, MailInFlight>();
  private readonly outbox: Outbox;
  /** Blob puts and gets sent on the current connection and not yet answered. */
  private readonly blobs: BlobRequests;
  /** Deliveries the app has not finished taking; acked as each resolves. */
  private readonly taking = new Set<Promise<void>>();
  private pendingAcks: number[] = [];
  /** When the oldest ack in `pendingAcks` was queued. */
  private ackHeldSince = 0;
  private ackScheduled = false;
  /** Devices whose mailbox is full, by bytesKey; each leaves once a send reaches it. */
  private readonly full = new Map<string, FullTarget>();
  /** The targets of each send awaiting its answer, so an ACK can clear them from `full`. */
  private readonly targetsOf = new Map<string, Uint8Array[]>();
  /** Bytes written to the relay socket: the measured uplink the routing policy reads. */
  bytesSent = 0;
  /** Frames received that did not decode. */
  badFrames = 0;
  /**
   * What the relay offers; nothing until it says (a relay before revision 3
   * never does, and then offers no mail).
   */
  info: RelayInfo = NOTHING_OFFERED;
  private readonly targetSets = new TargetSetCache();
  /** Messages the relay said wait in this device's mailbox at the last AUTH_OK. */
  queuedAtLogin: number | undefined;

  constructor(private readonly options: RelayTransportOptions) {
    super();
    this.outbox = options.outbox ?? new MemoryOutbox();
    this.blobs = new BlobRequests((frame) => this.write(frame), options.blobTimeoutMs);
  }

  get status(): RelayStatus {
    return this.state;
  }

  /** Targets the relay could not queue for because their mailbox is full; for the connection panel. */
  get fullTargets(): FullTarget[] {
    return [...this.full.values()];
  }

  start(): void {
    if (this.state !== "idle" && this.state !== "stopped") return;
    const ackTimeout = this.options.ackTimeoutMs ?? 10_000;
    this.ackTimer = setInterval(
      () =>
        this.retransmitStale(ackTimeout).catch(
          this.failed("OUTBOX_FAILED", "cannot read the outbox to resend unacked sends"),
        ),
      ackTimeout / 2,
    );
    this.connectNow();
  }

  async stop(): Promise<void> {
    this.setStatus("stopped");
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.handshakeTimer);
    clearInterval(this.ackTimer);
    this.failRequests("STOPPED", "the relay link was stopped before the relay answered");
    // Let the app finish what it holds first, so those acks still go out on this socket.
    await Promise.allSettled([...this.taking]);
    this.flushAcks();
    this.ws?.close(1000, "client stopped");
    this.ws = undefined;
  }

  /**
   * Queues an envelope for the targets. Resolves once the relay has stored it
   * durably; rejects only on a refusal that retrying cannot fix. While offline
   * it waits in the outbox and goes out after the next login.
   */
  async send(
    targets: Uint8Array[],
    envelope: Uint8Array,
    options: EnqueueOptions = {},
  ): Promise<void> {
    return (await this.enqueue(targets, envelope, options)).acked;
  }

  /**
   * Like send, but resolves as soon as the envelope is in the outbox (durable
   * if the outbox is), handing back the promise of the relay's ack.
   */
  async enqueue(
    targets: Uint8Array[],
    envelope: Uint8Array,
    options: EnqueueOptions = {},
  ): Promise<{ acked: Promise<void> }> {
    const entry = newOutboxEntry(targets, envelope, options, Date.now());
    await this.outbox.put(entry);
    const acked = new Promise<void>((resolve, reject) =>
      this.waiting.set(bytesKey(entry.msgId), { resolve, reject }),
    );
    // Callers that only wanted it queued must not see an unhandled rejection.
    void whenSettled(acked);
    if (this.state === "online") this.transmit(entry);
    return { acked };
  }

  /** Presence, typing: best effort to online targets, never stored or retried. */
  sendEphemeral(targets: Uint8Array[], envelope: Uint8Array): boolean {
    if (this.state !== "online") return false;
    const msgId = randomBytes(MSG_ID_BYTES);
    const written = this.writeSend(
      { msgId, flags: FLAG_EPHEMERAL, ttlSeconds: 0, envelope },
      targets,
    );
    if (written === 0) return false;
    // Acks normally follow within a round trip; a relay that never sends them cannot grow this.
    if (this.ephemeralSent.size >= MAX_EPHEMERAL_UNACKED) this.ephemeralSent.clear();
    this.ephemeralSent.add(bytesKey(msgId));
    return true;
  }

  /**
   * Asks the relay to send one mail through its operator's SMTP server.
   * Resolves once that server accepted it. Rejects with a RelayError: the
   * relay's refusal (MAIL_UNAVAILABLE, MAIL_REFUSED, RATE_LIMITED, BAD_FRAME),
   * INVALID_MAIL before anything is sent, OFFLINE when not logged in, or
   * CONNECTION_LOST / MAIL_TIMEOUT when no answer came; after those two the
   * mail may or may not have gone out. Never retried on its own.
   *
   * Relays of protocol 1 revision 2 compose invitation mail themselves: they
   * take from a MAIL_SEND only the names in a subject of Grove's template
   * (`<name> invites you to "<space>" on Grove`) and the one join link in
   * the text, and refuse anything else with MAIL_TEMPLATE_REQUIRED. Prefer
   * sendInvite.
   */
  sendMail(mail: MailRequest): Promise<void> {
    const problem = mailSendProblem(mail);
    if (problem) return Promise.reject(new RelayError("INVALID_MAIL", problem));
    return this.requestMail((msgId) => ({ type: "mailSend", msgId, ...mail }));
  }

  /**
   * Asks the relay to compose and send one invitation (MAIL_INVITE). Settles
   * like sendMail; a relay older than protocol 1 revision 2 answers BAD_FRAME.
   */
  sendInvite(invite: InviteMailRequest): Promise<void> {
    const fields = { ...invite, spaceName: invite.spaceName ?? "" };
    const problem = mailInviteProblem(fields);
    if (problem) return Promise.reject(new RelayError("INVALID_MAIL", problem));
    return this.requestMail((msgId) => ({ type: "mailInvite", msgId, ...fields }));
  }

  private requestMail(frame: (msgId: Uint8Array) => Frame): Promise<void> {
    if (this.state !== "online") {
      return Promise.reject(
        new RelayError("OFFLINE", "not connected to the relay; the mail was not sent"),
      );
    }
    const msgId = randomBytes(MSG_ID_BYTES);
    const id = bytesKey(msgId);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.mailWaiting.delete(id)) return;
        reject(
          new RelayError(
            "MAIL_TIMEOUT",
            "the relay did not answer in time; the mail may or may not have been sent",
            msgId,
          ),
        );
      }, this.options.mailTimeoutMs ?? 120_000);
      this.mailWaiting.set(id, { msgId, resolve, reject, timer });
      const written = this.write(frame(msgId));
      if (written === 0) {
        this.settleMail(
          msgId,
          new RelayError("OFFLINE", "not connected to the relay; the mail was not sent", msgId),
        );
      }
    });
  }

  /**
   * Stores an encrypted file chunk at the relay under its SHA-256; resolves
   * once it is stored. Rejects with a RelayError: OFFLINE, the relay's
   * refusal (QUOTA_EXCEEDED, FRAME_TOO_LARGE, HASH_MISMATCH...),
   * CONNECTION_LOST or BLOB_TIMEOUT. Putting the same chunk again is harmless.
   */
  putBlob(hash: Uint8Array, data: Uint8Array): Promise<void> {
    if (this.state !== "online") return Promise.reject(offline());
    return this.blobs.put(hash, data);
  }

  /** The chunk stored under `hash`, checked against it; NOT_FOUND when the relay has none. */
  getBlob(hash: Uint8Array): Promise<Uint8Array> {
    if (this.state !== "online") return Promise.reject(offline());
    return this.blobs.get(hash);
  }

  /** Asks the relay to deliver again every unacked message from a mailbox seq on. */
  resend(fromSeq: number): void {
    if (this.state === "online") this.write({ type: "resend", fromSeq });
  }

  private connectNow(): void {
    this.setStatus("connecting");
    this.ephemeralSent.clear();
    const ws = this.options.connect(`${this.options.url.replace(/\/$/, "")}/v1`);
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = setTimeout(() => {
      if (this.ws !== ws || this.state === "online" || this.state === "stopped") return;
      this.emit("error", [
        new RelayError("HANDSHAKE_TIMEOUT", "relay accepted the connection but did not log us in"),
      ]);
      // Let go of this socket now rather than wait for a close the relay may never answer.
      this.ws = undefined;
      this.failRequests(
        "CONNECTION_LOST",
        "the relay connection was dropped before the relay answered; the mail may or may not have been sent",
      );
      ws.close();
      this.setStatus("offline");
      this.scheduleReconnect();
    }, this.options.handshakeTimeoutMs ?? 15_000);
    ws.onopen = () => {
      this.setStatus("authenticating");
      this.write({
        type: "hello",
        client: this.options.clientName ?? "grove",
        minVersion: PROTOCOL_VERSION,
        maxVersion: PROTOCOL_VERSION,
      });
    };
    ws.onmessage = (event) => {
      const bytes = messageBytes(event.data);
      if (bytes) this.onFrame(bytes);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.failRequests(
        "CONNECTION_LOST",
        "the relay connection closed before the relay answered; the mail may or may not have been sent",
      );
      this.flushAcks();
      if (this.state === "stopped") return;
      this.setStatus("offline");
      if (event.code >= 4000)
        this.emit("error", [
          new RelayError("CLOSED", `relay closed the connection: ${event.code} ${event.reason}`),
        ]);
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows and schedules the reconnect.
    };
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt++, {
      ...(this.options.backoff ?? { baseMs: 200, maxMs: 30_000 }),
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      if (this.state === "offline") this.connectNow();
    }, delay);
  }

  private onFrame(bytes: Uint8Array): void {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.badFrames++;
      this.emit("error", [
        new RelayError("BAD_FRAME", `relay sent an undecodable frame: ${err.message}`),
      ]);
      return;
    }
    switch (frame.type) {
      case "challenge":
        // Unanswered, the handshake times out and the connection is tried again.
        this.onChallenge(frame.nonce, frame.relayUrl).catch(
          this.failed("AUTH_FAILED", "cannot answer the relay's challenge"),
        );
        return;
      case "authOk":
        this.queuedAtLogin = frame.queued;
        // Sets die with their connection. What this relay offers, it says next (if it is
        // of revision 3 or later): until then, nothing beyond the core.
        this.targetSets.newConnection();
        this.info = NOTHING_OFFERED;
        clearTimeout(this.handshakeTimer);
        this.attempt = 0;
        this.setStatus("online");
        this.retransmitOutbox().catch(
          this.failed("OUTBOX_FAILED", "cannot read the outbox to send it after login"),
        );
        return;
      case "relayInfo":
        this.info = {
          mail: (frame.features & RELAY_FEATURE_MAIL) !== 0,
          targetSets: (frame.features & RELAY_FEATURE_TARGET_SETS) !== 0,
        };
        // Revision 5: a relay that offers batches sends what it has ready at once as one frame.
        if ((frame.features & RELAY_FEATURE_DELIVER_BATCH) !== 0)
          this.write({ type: "acceptBatches" });
        this.emit("info", [this.info]);
        return;
      case "ack":
        if (this.ephemeralSent.delete(bytesKey(frame.msgId))) return;
        if (this.settleMail(frame.msgId)) return;
        this.reached(frame.msgId, []);
        this.onAck(frame.msgId).catch(this.ackFailed);
        return;
      case "partialAck":
        this.onPartialAck(frame);
        return;
      case "deliver":
        this.onDeliver(frame);
        return;
      case "deliverBatch":
        this.onDeliverBatch(frame);
        return;
      case "error":
        this.onError(frame);
        return;
      case "blobPutOk":
      case "blobData":
        // An answer nobody waits for (it came after a timeout) is dropped.
        this.blobs.onFrame(frame);
        return;
      default:
        this.emit("error", [
          new RelayError("BAD_FRAME", `unexpected ${frame.type} frame from relay`),
        ]);
    }
  }

  private async onChallenge(nonce: Uint8Array, claimed: string): Promise<void> {
    const dialed = relayOrigin(this.options.url);
    if (claimed !== dialed) {
      // We sign what we dialed; the relay will refuse if it disagrees, and this says why.
      this.emit("error", [
        new RelayError(
          "ORIGIN_MISMATCH",
          `relay calls itself ${claimed}, but was dialed as ${dialed}`,
        ),
      ]);
    }
    const signature = await signRelayChallenge(
      this.options.backend,
      this.options.device.secretKey,
      nonce,
      dialed,
    );
    this.write({
      type: "auth",
      device: this.options.device.publicKey,
      signature,
      accessToken: this.options.accessToken ?? "",
    });
  }

  private async retransmitOutbox(): Promise<void> {
    for (const entry of await this.outbox.list()) {
      if (this.state !== "online") return;
      this.transmit(entry);
    }
  }

  /** Sends that went out but were never acked (a frame lost on the way) go again. */
  private async retransmitStale(ackTimeoutMs: number): Promise<void> {
    // Nothing awaiting an ack on this connection: no reason to read the outbox.
    if (this.state !== "online" || this.sentAt.size === 0) return;
    const now = Date.now();
    for (const entry of await this.outbox.list()) {
      const sent = this.sentAt.get(bytesKey(entry.msgId));
      if (sent !== undefined && now - sent.at >= ackTimeoutMs && this.state === "online") {
        this.transmit(entry);
      }
    }
  }

  private transmit(entry: OutboxEntry): void {
    const bytes = this.writeSend(
      { msgId: entry.msgId, flags: 0, ttlSeconds: entry.ttlSeconds, envelope: entry.envelope },
      entry.targets,
    );
    this.sentAt.set(bytesKey(entry.msgId), { at: Date.now(), bytes, envelope: entry.envelope });
    this.targetsOf.set(bytesKey(entry.msgId), entry.targets);
  }

  /**
   * Done for every target with room, and never retried for the full ones:
   * a full mailbox must not hold up the others, nor keep us sending to it.
   */
  private onPartialAck(frame: PartialAckFrame): void {
    this.reached(
      frame.msgId,
      frame.full.map((f) => f.target),
    );
    const since = Date.now();
    const full: FullTarget[] = [];
    for (const { target, reason } of frame.full) {
      const listed = { device: target.slice(), reason, since };
      this.full.set(bytesKey(target), listed);
      full.push(listed);
    }
    this.emit("fullTargets", [this.fullTargets]);
    const envelope = this.sentAt.get(bytesKey(frame.msgId))?.envelope;
    if (envelope) this.emit("notQueued", [{ msgId: frame.msgId, envelope, full }]);
    this.onAck(frame.msgId).catch(this.ackFailed);
  }

  /** A send was queued for its targets but `missed`: those of them listed as full have room again. */
  private reached(msgId: Uint8Array, missed: Uint8Array[]): void {
    const id = bytesKey(msgId);
    const targets = this.targetsOf.get(id);
    this.targetsOf.delete(id);
    if (!targets || this.full.size === 0) return;
    const skip = new Set(missed.map(bytesKey));
    let changed = false;
    for (const t of targets) {
      const key = bytesKey(t);
      if (!skip.has(key) && this.full.delete(key)) changed = true;
    }
    if (changed) this.emit("fullTargets", [this.fullTargets]);
  }

  /**
   * The handler for background work on this connection: its failure is said on
   * "error" as a RelayError with `code` (the engine reports those), never dropped.
   */
  private failed(code: string, what: string): (err: unknown) => void {
    return (err) => {
      const reason = err instanceof Error ? err.message : String(err);
      this.emit("error", [new RelayError(code, `${what}: ${reason}`)]);
    };
  }

  /** An acked send whose outbox entry could not be dropped goes again later; the relay dedupes it. */
  private readonly ackFailed = this.failed(
    "OUTBOX_FAILED",
    "cannot drop an acked send from the outbox",
  );

  private async onAck(msgId: Uint8Array): Promise<void> {
    const id = bytesKey(msgId);
    const sent = this.sentAt.get(id);
    // Send to ack bounds the time the bytes took to leave: an uplink sample (if it was sizeable).
    if (sent) this.emit("uplink", [{ bytes: sent.bytes, ms: Date.now() - sent.at }]);
    await this.outbox.delete(msgId);
    this.sentAt.delete(id);
    this.waiting.get(id)?.resolve();
    this.waiting.delete(id);
  }

  private onDeliver(frame: DeliverFrame): void {
    this.take([toDelivery(frame)]);
  }

  /** Revision 5: the messages the relay had ready at once, taken in order as DELIVERs would be. */
  private onDeliverBatch(frame: DeliverBatchFrame): void {
    this.take(frame.deliveries.map(toDelivery));
  }

  /**
   * Hands deliveries over in order without waiting for the last to finish,
   * so the app can take a burst as one batch; each is acked once the app
   * has it (a batch's acks go out together, decision 113).
   */
  private take(deliveries: Delivery[]): void {
    const handed = deliveries.map((d) => {
      try {
        return Promise.resolve(this.options.onDeliver(d));
      } catch (err) {
        return Promise.reject(err);
      }
    });
    const taken = Promise.allSettled(handed).then((outcomes) => {
      outcomes.forEach((outcome, i) => {
        const delivery = deliveries[i];
        if (!delivery) return;
        if (outcome.status === "rejected") {
          // Not acked: the relay keeps it and delivers it again on the next connection.
          this.emit("error", [
            new RelayError(
              "DELIVERY_FAILED",
              `app could not take delivery ${delivery.seq}: ${(outcome.reason as Error)?.message}`,
            ),
          ]);
        } else if (delivery.seq > 0) this.queueAck(delivery.seq);
      });
    });
    this.taking.add(taken);
    void taken.finally(() => {
      this.taking.delete(taken);
      this.tookAll();
    });
  }

  private onError(frame: ErrorFrame): void {
    const code = relayErrorName(frame.code);
    // A refused blob request is its caller's to report (a missing chunk is no relay trouble).
    if (frame.ref.length === HASH_BYTES && this.blobs.onRefusal(frame.ref, code, frame.message)) {
      return;
    }
    const error = new RelayError(code, frame.message, frame.ref.length > 0 ? frame.ref : undefined);
    // The relay forgot our sets (or never had one): define them again; the send is retried below.
    if (code === "UNKNOWN_TARGET_SET" || code === "TOO_MANY_TARGETS") this.targetSets.forget();
    this.emit("error", [error]);
    if (frame.ref.length !== MSG_ID_BYTES) return;
    // A refused ephemeral send is not retried: it was best effort.
    if (this.ephemeralSent.delete(bytesKey(frame.ref))) return;
    if (this.settleMail(frame.ref, error)) return;
    const id = bytesKey(frame.ref);
    const waiter = this.waiting.get(id);
    if (PERMANENT.has(code)) {
      this.targetsOf.delete(id);
      this.outbox
        .delete(frame.ref)
        .catch(this.failed("OUTBOX_FAILED", "cannot drop a refused send from the outbox"));
      waiter?.reject(error);
      this.waiting.delete(id);
      this.sentAt.delete(id);
      return;
    }
    // Transient (rate limit, full mailbox, store trouble): the entry stays and goes again later.
    setTimeout(() => {
      this.outbox
        .list()
        .then((entries) => {
          const entry = entries.find((e) => equalBytes(e.msgId, frame.ref));
          if (entry && this.state === "online") this.transmit(entry);
        })
        .catch(this.failed("OUTBOX_FAILED", "cannot read the outbox to retry a send"));
    }, this.options.retryMs ?? 1000);
  }

  /** Answers a mail request if `msgId` names one; false when it is no mail of ours. */
  private settleMail(msgId: Uint8Array, error?: RelayError): boolean {
    const id = bytesKey(msgId);
    const waiter = this.mailWaiting.get(id);
    if (!waiter) return false;
    this.mailWaiting.delete(id);
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
    return true;
  }

  /**
   * A request outlives no connection: without an answer, its fate is unknown,
   * and the caller hears so (`message` says it for mail; a blob put may be
   * tried again, it is stored once).
   */
  private failRequests(code: string, message: string): void {
    this.blobs.failAll(code, "the relay link went away before the relay answered");
    for (const [id, waiter] of this.mailWaiting) {
      clearTimeout(waiter.timer);
      waiter.reject(new RelayError(code, message, waiter.msgId));
      this.mailWaiting.delete(id);
    }
  }

  /**
   * Acks go out together: at once when ACK_BATCH are waiting or when nothing
   * else is being taken, else once the deliveries still in hand are done (at
   * most `ackHoldMs` later). The relay refills its window as acks come back:
   * a lone ack while a large batch is still in hand frees one slot, the relay
   * sends one delivery, that one is taken and acked alone, and the link runs
   * one delivery at a time until the batch is done (silly window syndrome,
   * seen in the app's catch-up: a third of its deliveries came one by one).
   */
  private queueAck(seq: number): void {
    if (this.pendingAcks.length === 0) this.ackHeldSince = Date.now();
    this.pendingAcks.push(seq);
    if (this.pendingAcks.length >= ACK_BATCH) return this.flushAcks();
    this.scheduleAcks(0);
  }

  private scheduleAcks(ms: number): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setTimeout(() => {
      this.ackScheduled = false;
      // Still taking others (their `finally` runs before this): wait for them, within bounds.
      const hold = this.options.ackHoldMs ?? ACK_HOLD_MS;
      const held = Date.now() - this.ackHeldSince;
      if (this.taking.size > 0 && held < hold) return this.scheduleAcks(hold - held);
      this.flushAcks();
    }, ms);
  }

  /** The last delivery in hand is done: what it and the others left waiting goes out now. */
  private tookAll(): void {
    if (this.taking.size === 0 && this.pendingAcks.length > 0) this.flushAcks();
  }

  private flushAcks(): void {
    if (this.pendingAcks.length === 0 || !this.ws || this.ws.readyState !== WS_OPEN) return;
    const seqs = this.pendingAcks;
    this.pendingAcks = [];
    this.write({ type: "deliverAck", seqs });
  }

  /**
   * A SEND to `targets`: by a target set where the relay takes them (its
   * definition first when new on this connection), listed otherwise.
   * Returns the bytes written (0 when not connected).
   */
  private writeSend(
    send: Omit<SendFrame, "type" | "targets" | "targetSet">,
    targets: Uint8Array[],
  ): number {
    const choice: TargetChoice = this.info.targetSets
      ? this.targetSets.choose(targets)
      : { kind: "listed" };
    if (choice.kind === "listed") return this.write({ type: "send", ...send, targets });
    const defined = choice.define
      ? this.write({ type: "targetSet", setId: choice.setId, targets: choice.targets })
      : 0;
    return defined + this.write({ type: "send", ...send, targets: [], targetSet: choice.setId });
  }

  /** Returns the bytes written (0 when not connected). */
  private write(frame: Frame): number {
    const ws = this.ws;
    if (!ws || ws.readyState !== WS_OPEN) return 0;
    const bytes = encodeFrame(frame);
    this.bytesSent += bytes.length;
    ws.send(bytes);
    return bytes.length;
  }

  private setStatus(status: RelayStatus): void {
    if (this.state === status) return;
    this.state = status;
    this.emit("status", [status]);
  }
}

function offline(): RelayError {
  return new RelayError("OFFLINE", "not connected to the relay");
}

/** A delivery the app may keep: copies, since the frame's views point into a buffer ws may reuse. */
function toDelivery(frame: Omit<DeliverFrame, "type">): Delivery {
  return {
    seq: frame.seq,
    msgId: frame.msgId.slice(),
    sender: frame.sender.slice(),
    envelope: frame.envelope.slice(),
    ephemeral: (frame.flags & FLAG_EPHEMERAL) !== 0,
  };
}
