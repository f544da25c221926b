/**
 * Hostile clients for the relay-hardening tests and the soak: raw sockets
 * from a chosen loopback address (Linux routes all of 127/8 to lo, so each
 * address is a different client IP to the relay), /signal peers, and a
 * reader of the relay's Prometheus figures.
 */
import { WebSocket } from "ws";

export interface OpenResult {
  ws: WebSocket;
  /** The HTTP status of a refused upgrade, undefined when the socket opened. */
  refused: number | undefined;
}

/** Opens a WebSocket from `localAddress`; resolves whether the relay accepts or refuses it. */
export function openFrom(url: string, localAddress: string): Promise<OpenResult> {
  const ws = new WebSocket(url, { localAddress });
  // Errors after the outcome is known are followed by "close"; an unheard one would throw.
  ws.on("error", () => {});
  return new Promise((resolve) => {
    ws.once("open", () => resolve({ ws, refused: undefined }));
    ws.once("unexpected-response", (_req, res) => {
      resolve({ ws, refused: res.statusCode });
      ws.terminate();
    });
    ws.once("error", () => resolve({ ws, refused: -1 }));
  });
}

export interface SignalPeer {
  ws: WebSocket;
  texts: string[];
  closed: { code: number; reason: string } | undefined;
}

export async function signalPeer(url: string, localAddress = "127.0.0.1"): Promise<SignalPeer> {
  const { ws, refused } = await openFrom(`${url}/signal`, localAddress);
  if (refused !== undefined) throw new Error(`/signal refused with ${refused}`);
  const peer: SignalPeer = { ws, texts: [], closed: undefined };
  ws.on("message", (data) => peer.texts.push(String(data)));
  ws.on("close", (code, reason) => {
    peer.closed = { code, reason: String(reason) };
  });
  return peer;
}

/** One Prometheus sample's value (labels as written, e.g. `{where="v1"}`), 0 when absent. */
export async function metric(httpBase: string, name: string): Promise<number> {
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

export const httpBase = (wsUrl: string) => wsUrl.replace(/^ws/, "http");

/** Nested JSON arrays `depth` deep: the shape that overflowed the stack when re-serialised. */
export function deepJson(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}
