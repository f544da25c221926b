/**
 * A real WebSocket with faults injected between it and the transport:
 * frames dropped or duplicated in either direction, and connections cut on
 * demand. The randomness is a seeded PRNG so a failing schedule replays.
 */
import type { ConnectWebSocket, WebSocketLike } from "../core/sync/websocket.js";
import { connectWs } from "./relay-harness.js";

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
    const wrapper: WebSocketLike = {
      get binaryType() {
        return ws.binaryType;
      },
      set binaryType(value: string) {
        ws.binaryType = value;
      },
      get readyState() {
        return ws.readyState;
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
      send: (data) => pass(() => ws.send(data)),
      close: (code, reason) => ws.close(code, reason),
    };
    ws.onopen = (e) => wrapper.onopen?.(e);
    ws.onmessage = (e) => pass(() => wrapper.onmessage?.(e));
    ws.onclose = (e) => {
      this.open.delete(ws);
      wrapper.onclose?.(e);
    };
    ws.onerror = (e) => wrapper.onerror?.(e);
    return wrapper;
  };

  /** Cuts every connection made through here, as a network drop would. */
  cutAll(): void {
    for (const ws of this.open) ws.close();
  }
}
