/**
 * The direct mesh of a space over y-webrtc: peers find each other through
 * the relay's /signal and keep the space's envelope-log doc in sync over
 * WebRTC data channels. Browser only (it needs RTCPeerConnection).
 *
 * - The room name and the y-webrtc password (which encrypts every signaling
 *   message) come from the epoch key (mesh-room.ts).
 * - A peer counts as a member's device only once it has proven it: its
 *   awareness state carries a signature by the device key over the room,
 *   its y-webrtc peer id and its client id, and the key must be a member's.
 * - Ephemeral envelopes (presence, carets) and acks for the author alone
 *   travel as messages of Grove's own on the same data channels, tagged
 *   with a first byte y-webrtc does not use and taken off the channel before
 *   y-webrtc reads it. They go only to peers whose hello says they take them
 *   (`x`), so a build before this one never sees one, and come in only from
 *   proven peers.
 * - y-webrtc sends every update of the doc to every peer, including those
 *   it just applied from a peer: in a full mesh each write then crosses
 *   n(n-1) links instead of n-1. Here only this device's own writes go out
 *   (the log's authors write to every peer themselves; a peer out of reach
 *   is sent to through the relay, and the sync step on connect gives a late
 *   peer what is still in the log).
 * - Only the peer whose y-webrtc peer id sorts lower offers on a link
 *   (dom-one-initiator.ts): stock y-webrtc has both ends offer when they
 *   announce at once (offer glare), which could keep a link down for seconds
 *   or for good. A connection attempt that still does not open (ICE failed,
 *   a peer gone) is torn down after a jittered timeout, which makes y-webrtc
 *   announce again.
 */
import { ObservableV2 } from "lib0/observable";
import { WebrtcProvider } from "y-webrtc";
import * as Y from "yjs";
import { concatBytes, fromHex, toHex, utf8 } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import type { SigningKeyPair } from "../crypto/identity.js";
import { noted } from "../diagnostics/recent-errors.js";
import type { SpaceAccess } from "../space/access.js";
import type { MeshEvents, PeerMesh } from "./direct-transport.js";
import { lowerIdOffers, type RoomLike, type SignalingConnLike } from "./dom-one-initiator.js";
import { roomFor } from "./mesh-room.js";

export interface WebrtcMeshOptions {
  /** ws(s)://host[:port] of the relay; /signal is appended. */
  relayUrl: string;
  access: SpaceAccess;
  device: SigningKeyPair;
  backend: Ed25519Backend;
  /** STUN/TURN servers; none on a LAN or loopback. */
  iceServers?: RTCIceServer[];
  /** A connection attempt not open after this long (plus up to as much jitter) is retried (ms). */
  connectTimeoutMs?: number;
}

/** How often a hello is said again while an open link is unproven (ms). */
const HELLO_AGAIN_MS = 1500;

function helloMessage(room: string, peerId: string, clientId: number): Uint8Array {
  return utf8(`grove/webrtc-hello/v1|${room}|${peerId}|${clientId}`);
}

interface Hello {
  d: string;
  p: string;
  s: string;
  /** 1: takes Grove's own messages (ephemeral, acks). Not signed: it only says what to send. */
  x?: number;
}

/** First byte of a Grove ephemeral message (y-webrtc's own types are 0 to 4). */
const EPHEMERAL_TAG = 0x67;
/** First byte of a Grove ack message: envelope ids for their author. */
const ACKS_TAG = 0x68;
/** A channel with this much still buffered is skipped: a caret late is worth less than the relay's. */
const EPHEMERAL_BACKLOG = 64 * 1024;

/** The parts of y-webrtc's connection objects this module reads (not in its typings). */
interface Conn {
  connected: boolean;
  peer: {
    send(data: Uint8Array): void;
    emit(event: string | symbol, ...args: unknown[]): boolean;
    bufferSize: number;
    destroy(): void;
    /** simple-peer's RTCPeerConnection (internal, read only to spot a stuck link). */
    _pc?: { iceConnectionState?: string };
  };
}

/**
 * ICE is up but the data channel never opened: after offer glare one side can
 * keep a channel from its rolled-back offer, which never opens. Glare is now
 * left only with a peer of an older build (which offers on every announce),
 * so this and the unproven limit below are a net, not the way links come up.
 * A healthy link opens its channel within milliseconds of ICE connecting, so
 * such a link is torn down after this long, not after the connect timeout.
 */
const STUCK_AFTER_ICE_MS = 1000;

/** An open link with no proven hello is torn down after this (jittered up to twice). */
const UNPROVEN_LIMIT_MS = 2500;

export class WebrtcMesh extends ObservableV2<MeshEvents> implements PeerMesh {
  readonly doc = new Y.Doc();
  bytesSent = 0;
  private provider: WebrtcProvider | undefined;
  private readonly room: { name: string; password: string };
  /** Awareness client id -> the device and y-webrtc peer id it proved. */
  private readonly proven = new Map<
    number,
    { device: string; peerId: string; sig: string; ephemeral: boolean }
  >();
  private readonly counted = new WeakSet<object>();
  private readonly pendingSince = new Map<string, number>();
  private watchdog: ReturnType<typeof setInterval> | undefined;
  /** Since when each unopened link has had ICE up (see STUCK_AFTER_ICE_MS). */
  private readonly iceUpSince = new Map<string, number>();
  private lastConnected = "";
  private lastHelloAgain = 0;
  private readonly verdicts = new Map<number, string>();
  private readonly unprovenSince = new Map<string, number>();
  private releaseRule: (() => void) | undefined;

  constructor(private readonly options: WebrtcMeshOptions) {
    super();
    this.room = roomFor(options.access);
  }

  start(): void {
    if (this.provider) return;
    const provider = new WebrtcProvider(this.room.name, this.doc, {
      signaling: [`${this.options.relayUrl}/signal`],
      password: this.room.password,
      peerOpts: { config: { iceServers: this.options.iceServers ?? [] } },
    });
    this.provider = provider;
    void this.oneInitiator(provider).catch(
      noted("DIRECT_BOOKKEEPING", "putting one initiator per link in front of y-webrtc"),
    );
    provider.on("peers", () => {
      this.wrapPeers();
      this.changed();
    });
    // Hellos that cannot be checked now are checked again on the next awareness change.
    provider.awareness.on("change", () => this.checkHellosNow());
    void this.sayHello(provider).catch(noted("DIRECT_BOOKKEEPING", "saying hello on the mesh"));
    void this.sendOwnWritesOnly(provider).catch(
      noted("DIRECT_BOOKKEEPING", "stopping y-webrtc's rebroadcast"),
    );
    const timeout = this.options.connectTimeoutMs ?? 4000;
    const limit = timeout + Math.random() * timeout;
    // A hello crosses an open channel in a round trip, and is said again every
    // HELLO_AGAIN_MS: a link open this long with none proven carries nothing.
    const unprovenLimit = UNPROVEN_LIMIT_MS * (1 + Math.random());
    this.watchdog = setInterval(() => {
      this.wrapPeers();
      this.retryStalled(limit);
      this.helloAgainIfUnproven(unprovenLimit);
      // A data channel opening does not fire "peers"; awareness usually follows, but not always.
      this.changed();
    }, 500);
  }

  connected(): ReadonlySet<string> {
    const conns = this.conns();
    const devices = new Set<string>();
    for (const { device, peerId } of this.proven.values()) {
      if (conns.get(peerId)?.connected) devices.add(device);
    }
    return devices;
  }

  sendEphemeral(devices: readonly string[], bytes: Uint8Array): Set<string> {
    const wanted = new Set(devices);
    const sent = new Set<string>();
    const message = concatBytes(Uint8Array.of(EPHEMERAL_TAG), bytes);
    for (const { device, conn } of this.takers()) {
      if (!wanted.has(device) || sent.has(device)) continue;
      if (conn.peer.bufferSize > EPHEMERAL_BACKLOG) continue;
      if (this.sendOn(conn, message)) sent.add(device);
    }
    return sent;
  }

  sendAcks(device: string, ids: Uint8Array): boolean {
    const message = concatBytes(Uint8Array.of(ACKS_TAG), ids);
    for (const taker of this.takers()) {
      if (taker.device === device && this.sendOn(taker.conn, message)) return true;
    }
    return false;
  }

  /** Proven peers with an open link whose hello says they take Grove's own messages. */
  private *takers(): Generator<{ device: string; conn: Conn }> {
    const conns = this.conns();
    this.wrapPeers();
    for (const { device, peerId, ephemeral } of this.proven.values()) {
      const conn = conns.get(peerId);
      if (ephemeral && conn?.connected) yield { device, conn };
    }
  }

  /** False when the channel closed under us (the caller takes another path). */
  private sendOn(conn: Conn, message: Uint8Array): boolean {
    try {
      conn.peer.send(message);
      return true;
    } catch {
      return false;
    }
  }

  /** For diagnosis: what this device makes of every remote awareness state it holds. */
  hellos(): { clientId: number; verdict: string }[] {
    const states = this.provider?.awareness.getStates() ?? new Map();
    return [...states.keys()]
      .filter((id) => id !== this.doc.clientID)
      .map((clientId) => ({ clientId, verdict: this.verdicts.get(clientId) ?? "not checked" }));
  }

  /** Every y-webrtc connection of the room and who proved to be behind it: for status panels. */
  links(): { peerId: string; open: boolean; device?: string }[] {
    const devices = new Map([...this.proven.values()].map((p) => [p.peerId, p.device]));
    return [...this.conns()].map(([peerId, conn]) => {
      const device = devices.get(peerId);
      return { peerId, open: conn.connected, ...(device !== undefined && { device }) };
    });
  }

  async drained(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if ([...this.conns().values()].every((c) => !c.connected || c.peer.bufferSize === 0)) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  override destroy(): void {
    clearInterval(this.watchdog);
    this.releaseRule?.();
    this.provider?.destroy();
    this.provider = undefined;
    this.doc.destroy();
    super.destroy();
  }

  private conns(): Map<string, Conn> {
    const room = this.provider?.room as { webrtcConns: Map<string, Conn> } | null | undefined;
    return room?.webrtcConns ?? new Map();
  }

  /** Emits "peers" when the set of connected devices really changed. */
  private changed(): void {
    const now = [...this.connected()].sort().join();
    if (now === this.lastConnected) return;
    this.lastConnected = now;
    this.emit("peers", []);
  }

  /**
   * On each data channel: counts what goes out (the uplink the routing
   * policy measures) and takes Grove's ephemeral messages off what comes in
   * before y-webrtc reads it (it would answer a type it does not know).
   */
  private wrapPeers(): void {
    for (const [peerId, conn] of this.conns()) {
      const peer = conn.peer;
      if (this.counted.has(peer)) continue;
      this.counted.add(peer);
      const send = peer.send.bind(peer);
      peer.send = (data: Uint8Array) => {
        this.bytesSent += data.byteLength;
        send(data);
      };
      const emit = peer.emit.bind(peer);
      peer.emit = (event: string | symbol, ...args: unknown[]) => {
        const data = args[0];
        const tag = event === "data" && data instanceof Uint8Array ? data[0] : undefined;
        if (tag !== EPHEMERAL_TAG && tag !== ACKS_TAG) return emit(event, ...args);
        this.onMessage(peerId, tag, (data as Uint8Array).subarray(1));
        return true;
      };
    }
  }

  /** From a proven peer only; what the bytes say is for the receiver to verify. */
  private onMessage(peerId: string, tag: number, bytes: Uint8Array): void {
    for (const p of this.proven.values()) {
      if (p.peerId !== peerId) continue;
      if (!this.conns().get(peerId)?.connected) return;
      if (tag === ACKS_TAG) this.emit("acks", [p.device, bytes.slice()]);
      else this.emit("ephemeral", [p.device, bytes.slice()]);
      return;
    }
  }

  /**
   * Replaces y-webrtc's doc listener (once its room exists, after the key)
   * by one that skips updates applied from a peer: the room is their origin.
   */
  private async sendOwnWritesOnly(provider: WebrtcProvider): Promise<void> {
    await provider.key;
    const room = provider.room as unknown as {
      _docUpdateHandler: (update: Uint8Array, origin: unknown) => void;
    } | null;
    if (!room || this.provider !== provider) return;
    const send = room._docUpdateHandler;
    const ownOnly = (update: Uint8Array, origin: unknown) => {
      if (origin !== room) send(update, origin);
    };
    this.doc.off("update", send);
    room._docUpdateHandler = ownOnly;
    this.doc.on("update", ownOnly);
  }

  /**
   * Once y-webrtc's room exists (after the key), and before any signaling
   * message of it can arrive: this continuation runs right after y-webrtc's
   * own on the same promise, which opens the room.
   */
  private async oneInitiator(provider: WebrtcProvider): Promise<void> {
    await provider.key;
    const room = provider.room as unknown as RoomLike | null;
    if (!room || this.provider !== provider) return;
    const conns = provider.signalingConns as unknown as SignalingConnLike[];
    this.releaseRule = lowerIdOffers(conns, room);
  }

  private checkHellosNow(): void {
    void this.checkHellos().catch(noted("DIRECT_BOOKKEEPING", "checking hellos on the mesh"));
  }

  private async sayHello(provider: WebrtcProvider): Promise<void> {
    await provider.key;
    const room = provider.room as { peerId: string } | null;
    if (!room || this.provider !== provider) return;
    const sig = await this.options.backend.sign(
      this.options.device.secretKey,
      helloMessage(this.room.name, room.peerId, this.doc.clientID),
    );
    provider.awareness.setLocalStateField("grove", {
      d: toHex(this.options.device.publicKey),
      p: room.peerId,
      s: toHex(sig),
      x: 1,
    } satisfies Hello);
  }

  private async checkHellos(): Promise<void> {
    const provider = this.provider;
    if (!provider) return;
    const members = new Set(this.options.access.devices().map(toHex));
    for (const [clientId, state] of provider.awareness.getStates()) {
      if (clientId === this.doc.clientID) continue;
      const hello = (state as { grove?: Hello }).grove;
      if (!validHello(hello)) {
        this.verdicts.set(clientId, "no hello");
        continue;
      }
      if (!members.has(hello.d)) {
        this.verdicts.set(clientId, "not a member");
        continue;
      }
      if (this.proven.get(clientId)?.sig === hello.s) continue;
      const ok = await this.options.backend.verify(
        fromHex(hello.d),
        helloMessage(this.room.name, hello.p, clientId),
        fromHex(hello.s),
      );
      this.verdicts.set(clientId, ok ? "proven" : "bad signature");
      if (ok) {
        this.proven.set(clientId, {
          device: hello.d,
          peerId: hello.p,
          sig: hello.s,
          ephemeral: hello.x === 1,
        });
      }
    }
    for (const clientId of this.proven.keys()) {
      if (!provider.awareness.getStates().has(clientId)) this.proven.delete(clientId);
    }
    this.changed();
  }

  /**
   * An open link whose peer has not proved itself: a hello can be lost
   * (y-webrtc drops a broadcast on a channel that is not open yet), so say
   * ours again (re-setting the awareness state broadcasts it) and look at
   * theirs, at most every HELLO_AGAIN_MS, until every open link is proven.
   * A link open but unproven past `limitMs` is torn down: after offer glare
   * y-webrtc can keep a channel whose far end it has replaced, which looks
   * open and carries nothing; y-webrtc then announces itself and connects
   * afresh, as for a stalled offer.
   */
  private helloAgainIfUnproven(limitMs: number): void {
    const provider = this.provider;
    if (!provider) return;
    const now = Date.now();
    const proven = new Set([...this.proven.values()].map((p) => p.peerId));
    let unproven = false;
    for (const [peerId, conn] of this.conns()) {
      if (!conn.connected || proven.has(peerId)) {
        this.unprovenSince.delete(peerId);
        continue;
      }
      unproven = true;
      const since = this.unprovenSince.get(peerId) ?? now;
      this.unprovenSince.set(peerId, since);
      if (now - since > limitMs) {
        this.unprovenSince.delete(peerId);
        conn.peer.destroy();
      }
    }
    if (!unproven || now - this.lastHelloAgain < HELLO_AGAIN_MS) return;
    this.lastHelloAgain = now;
    const state = provider.awareness.getLocalState();
    if (state) provider.awareness.setLocalState({ ...state });
    this.checkHellosNow();
  }

  private retryStalled(limitMs: number): void {
    const now = Date.now();
    const conns = this.conns();
    for (const [peerId, conn] of conns) {
      if (conn.connected) {
        this.pendingSince.delete(peerId);
        continue;
      }
      const since = this.pendingSince.get(peerId) ?? now;
      this.pendingSince.set(peerId, since);
      const ice = conn.peer._pc?.iceConnectionState;
      const iceUp = ice === "connected" || ice === "completed";
      if (iceUp) {
        const up = this.iceUpSince.get(peerId) ?? now;
        this.iceUpSince.set(peerId, up);
        if (now - up > STUCK_AFTER_ICE_MS) {
          this.iceUpSince.delete(peerId);
          this.pendingSince.delete(peerId);
          conn.peer.destroy();
          continue;
        }
      } else {
        this.iceUpSince.delete(peerId);
      }
      if (now - since > limitMs) {
        this.pendingSince.delete(peerId);
        // y-webrtc drops the connection on close and announces itself again.
        conn.peer.destroy();
      }
    }
    for (const peerId of this.pendingSince.keys()) {
      if (!conns.has(peerId)) this.pendingSince.delete(peerId);
    }
    for (const peerId of this.iceUpSince.keys()) {
      if (!conns.get(peerId) || conns.get(peerId)?.connected) this.iceUpSince.delete(peerId);
    }
  }
}

function validHello(hello: unknown): hello is Hello {
  if (typeof hello !== "object" || hello === null) return false;
  const { d, p, s } = hello as Record<string, unknown>;
  return (
    typeof d === "string" &&
    /^[0-9a-f]{64}$/.test(d) &&
    typeof p === "string" &&
    p.length <= 64 &&
    typeof s === "string" &&
    /^[0-9a-f]{128}$/.test(s)
  );
}
