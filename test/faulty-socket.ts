/**
 * A real WebSocket with faults injected between it and the transport:
 * frames dropped or duplicated in either direction, and connections cut on
 * demand. The randomness is a seeded PRNG so a failing schedule replays.
 */
import type { ConnectWebSocket, WebSocketLike } from "../core/sync/websocket.js";
import { connectWs } from "./relay-harness.js";
import { interceptSocket } from "./socket-wrapper.js";

export interface Faults {
  /** Chance that a frame is dropped (each direction). */
  drop: number;
  /** Chance that a frame is delivered twice. */
  duplicate: number;
}

/** mulberry32: small, fast, good enough to drive a test schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultySockets {
  faults: Faults = { drop: 0, duplicate: 0 };
  private readonly open = new Set<WebSocketLike>();

  constructor(private readonly random: () => number) {}

  readonly connect: ConnectWebSocket = (url) => {
    const ws = connectWs(url);
    this.open.add(ws);
    const pass = (deliver: () => void) => {
      if (this.random() < this.faults.drop) return;
      deliver();
      if (this.random() < this.faults.duplicate) deliver();
    };
    return interceptSocket(ws, {
      send: (_data, deliver) => pass(deliver),
      receive: (deliver) => pass(deliver),
      closed: () => this.open.delete(ws),
    });
  };

  /** Cuts every connection made through here, as a network drop would. */
  cutAll(): void {
    for (const ws of this.open) ws.close();
  }
}
