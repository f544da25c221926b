/**
 * Direct links for Node tests, where there is no WebRTC: meshes in one
 * process keep their envelope-log docs in sync the way y-webrtc does (state
 * exchange on connect, then every local update to every linked peer) and
 * pass best-effort ephemeral messages the way WebrtcMesh does, over
 * an optionally throttled uplink that the relay socket can share, so a
 * "slow link" is slow on both paths as it would be for a real user.
 */
import { ObservableV2 } from "lib0/observable";
import * as Y from "yjs";
import type { MeshEvents, PeerMesh } from "../core/sync/direct-transport.js";
import { type ConnectWebSocket, WS_OPEN } from "../core/sync/websocket.js";
import { connectWs } from "./relay-harness.js";
import { interceptSocket } from "./socket-wrapper.js";

/** One device's uplink: sends queue behind each other at `bytesPerSecond`. */
export class Uplink {
  private busyUntil = 0;
  constructor(public bytesPerSecond = Number.POSITIVE_INFINITY) {}

  /** Delay (ms from now) after which `bytes` handed over now have left. */
  schedule(bytes: number): number {
    const now = performance.now();
    const start = Math.max(now, this.busyUntil);
    this.busyUntil = start + (bytes * 1000) / this.bytesPerSecond;
    return this.busyUntil - now;
  }

  /** Time until everything scheduled has left. */
  get backlogMs(): number {
    return Math.max(0, this.busyUntil - performance.now());
  }
}

export class LoopbackHub {
  readonly meshes = new Set<LoopbackMesh>();
}

export class LoopbackMesh extends ObservableV2<MeshEvents> implements PeerMesh {
  readonly doc = new Y.Doc();
  bytesSent = 0;
  private readonly links = new Set<LoopbackMesh>();

  constructor(
    private readonly hub: LoopbackHub,
    readonly device: string,
    readonly uplink = new Uplink(),
    /** Meshes meet only others of the same room (the app's is derived from the epoch key). */
    readonly room = "",
    /**
     * As WebrtcMesh was before it sent its own writes only and acks to the
     * author (and as stock y-webrtc is): every update it applies from a peer
     * goes on to every peer, the sender included, and acks go into the log.
     */
    readonly stock = false,
  ) {
    super();
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      // A full mesh needs no gossip: only this device's own writes go out.
      if (origin instanceof LoopbackMesh && !this.stock) return;
      for (const peer of this.links) this.send(peer, update);
    });
  }

  connected(): ReadonlySet<string> {
    return new Set([...this.links].map((m) => m.device));
  }

  sendEphemeral(devices: readonly string[], bytes: Uint8Array): Set<string> {
    const wanted = new Set(devices);
    const sent = new Set<string>();
    for (const peer of this.links) {
      if (!wanted.has(peer.device)) continue;
      sent.add(peer.device);
      // The tag byte WebrtcMesh puts before it.
      this.bytesSent += 1 + bytes.length;
      const copy = bytes.slice();
      setTimeout(() => {
        if (this.links.has(peer)) peer.emit("ephemeral", [this.device, copy]);
      }, this.uplink.schedule(bytes.length));
    }
    return sent;
  }

  sendAcks(device: string, ids: Uint8Array): boolean {
    const peer = [...this.links].find((m) => m.device === device);
    if (!peer || this.stock || peer.stock) return false;
    this.bytesSent += 1 + ids.length;
    const copy = ids.slice();
    setTimeout(
      () => {
        if (this.links.has(peer)) peer.emit("acks", [this.device, copy]);
      },
      this.uplink.schedule(1 + ids.length),
    );
    return true;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.uplink.backlogMs));
  }

  start(): void {
    for (const other of this.hub.meshes) if (other.room === this.room) this.link(other);
    this.hub.meshes.add(this);
  }

  override destroy(): void {
    this.hub.meshes.delete(this);
    for (const other of [...this.links]) this.unlink(other);
    super.destroy();
  }

  private link(other: LoopbackMesh): void {
    this.links.add(other);
    other.links.add(this);
    // The sync step: each side sends what the other lacks.
    this.send(other, Y.encodeStateAsUpdate(this.doc, Y.encodeStateVector(other.doc)));
    other.send(this, Y.encodeStateAsUpdate(other.doc, Y.encodeStateVector(this.doc)));
    this.emit("peers", []);
    other.emit("peers", []);
  }

  private unlink(other: LoopbackMesh): void {
    this.links.delete(other);
    other.links.delete(this);
    this.emit("peers", []);
    other.emit("peers", []);
  }

  private send(peer: LoopbackMesh, update: Uint8Array): void {
    this.bytesSent += update.length;
    setTimeout(() => {
      if (this.links.has(peer)) Y.applyUpdate(peer.doc, update, this);
    }, this.uplink.schedule(update.length));
  }
}

/** A relay connection whose sends queue on `uplink`, in order. */
export function throttledConnect(uplink: Uplink): ConnectWebSocket {
  return (url) => {
    const ws = connectWs(url);
    return interceptSocket(ws, {
      send: (data, pass) => {
        setTimeout(() => {
          if (ws.readyState === WS_OPEN) pass();
        }, uplink.schedule(data.length));
      },
      receive: (pass) => pass(),
    });
  };
}
