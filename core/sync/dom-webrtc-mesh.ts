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
 * - Stock y-webrtc can stall when two peers offer to each other at once
 *   (offer glare); a connection attempt not open after a jittered timeout is
 *   torn down, which makes y-webrtc announce again.
 */
import { ObservableV2 } from "lib0/observable";
import { WebrtcProvider } from "y-webrtc";
import * as Y from "yjs";
import { fromHex, toHex, utf8 } from "../crypto/bytes.js";
import type { Ed25519Backend } from "../crypto/ed25519.js";
import type { SigningKeyPair } from "../crypto/identity.js";
import type { SpaceAccess } from "../space/access.js";
import type { MeshEvents, PeerMesh } from "./direct-transport.js";
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
}

/** The parts of y-webrtc's connection objects this module reads (not in its typings). */
interface Conn {
  connected: boolean;
  peer: { send(data: Uint8Array): void; bufferSize: number; destroy(): void };
}

export class WebrtcMesh extends ObservableV2<MeshEvents> implements PeerMesh {
  readonly doc = new Y.Doc();
  bytesSent = 0;
  private provider: WebrtcProvider | undefined;
  private readonly room: { name: string; password: string };
  /** Awareness client id -> the device and y-webrtc peer id it proved. */
  private readonly proven = new Map<number, { device: string; peerId: string; sig: string }>();
  private readonly counted = new WeakSet<object>();
  private readonly pendingSince = new Map<string, number>();
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private lastConnected = "";
  private lastHelloAgain = 0;
  private readonly verdicts = new Map<number, string>();
  private readonly unprovenSince = new Map<string, number>();

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
    provider.on("peers", () => {
      this.countSends();
      this.changed();
    });
    // Hellos that cannot be checked now are checked again on the next awareness change.
    provider.awareness.on("change", () => void this.checkHellos().catch(() => {}));
    void this.sayHello().catch(() => {});
    const timeout = this.options.connectTimeoutMs ?? 4000;
    const limit = timeout + Math.random() * timeout;
    this.watchdog = setInterval(() => {
      this.retryStalled(limit);
      this.helloAgainIfUnproven(2 * limit);
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
    return [...this.conns()].map(([peerId, conn]) => ({
      peerId,
      open: conn.connected,
      ...(devices.has(peerId) ? { device: devices.get(peerId)! } : {}),
    }));
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

  /** Counts what goes out on each data channel: the uplink the routing policy measures. */
  private countSends(): void {
    for (const conn of this.conns().values()) {
      const peer = conn.peer;
      if (this.counted.has(peer)) continue;
      this.counted.add(peer);
      const send = peer.send.bind(peer);
      peer.send = (data: Uint8Array) => {
        this.bytesSent += data.byteLength;
        send(data);
      };
    }
  }

  private async sayHello(): Promise<void> {
    const provider = this.provider!;
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
      if (ok) this.proven.set(clientId, { device: hello.d, peerId: hello.p, sig: hello.s });
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
    void this.checkHellos().catch(() => {});
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
      if (now - since > limitMs) {
        this.pendingSince.delete(peerId);
        // y-webrtc drops the connection on close and announces itself again.
        conn.peer.destroy();
      }
    }
    for (const peerId of this.pendingSince.keys()) {
      if (!conns.has(peerId)) this.pendingSince.delete(peerId);
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
