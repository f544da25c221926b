/**
 * Wraps a real WebSocket so a test can stand between it and the transport:
 * each send and each received message passes through a hook that decides
 * when (and whether, and how often) it goes on.
 */
import type { WebSocketLike } from "../core/sync/websocket.js";

export interface SocketHooks {
  send(data: Uint8Array, pass: () => void): void;
  receive(pass: () => void): void;
  closed?(): void;
}

export function interceptSocket(ws: WebSocketLike, hooks: SocketHooks): WebSocketLike {
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
    send: (data) => hooks.send(data, () => ws.send(data)),
    close: (code, reason) => ws.close(code, reason),
  };
  ws.onopen = (e) => wrapper.onopen?.(e);
  ws.onmessage = (e) => hooks.receive(() => wrapper.onmessage?.(e));
  ws.onclose = (e) => {
    hooks.closed?.();
    wrapper.onclose?.(e);
  };
  ws.onerror = (e) => wrapper.onerror?.(e);
  return wrapper;
}
