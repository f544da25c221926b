/**
 * The bytes RedisBus puts on a channel: JSON with binary fields in base64,
 * tagged with the sending node so a node drops its own echo. Decoding is
 * strict: anything else is a BusDecodeError (the node logs and drops it; a
 * lost bus message only costs latency).
 */
import type { BusMessage, DeviceEvent } from "./relay-bus.js";

export class BusDecodeError extends Error {
  override readonly name = "BusDecodeError";
  readonly code = "BAD_BUS_MESSAGE";
}

export interface DevicePayload {
  node: string;
  event: DeviceEvent;
}

export interface TopicPayload {
  node: string;
  text: string;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

function encodeMessage(m: BusMessage) {
  return { i: b64(m.msgId), s: b64(m.sender), f: m.flags, e: b64(m.envelope) };
}

export function encodeDevicePayload(node: string, event: DeviceEvent): string {
  switch (event.kind) {
    case "mail":
      return JSON.stringify({
        n: node,
        k: "mail",
        q: event.seq,
        ...(event.message ? { m: encodeMessage(event.message) } : {}),
      });
    case "connected":
      return JSON.stringify({ n: node, k: "connected", a: event.at });
    case "ephemeral":
      return JSON.stringify({ n: node, k: "ephemeral", m: encodeMessage(event.message) });
  }
}

export function encodeTopicPayload(node: string, text: string): string {
  return JSON.stringify({ n: node, t: text });
}

export function decodeDevicePayload(raw: string): DevicePayload {
  const o = parseObject(raw);
  const node = str(o.n, "node");
  switch (o.k) {
    case "mail":
      return {
        node,
        event: {
          kind: "mail",
          seq: count(o.q, "seq"),
          ...(o.m === undefined ? {} : { message: decodeMessage(o.m) }),
        },
      };
    case "connected":
      return { node, event: { kind: "connected", at: count(o.a, "at") } };
    case "ephemeral":
      return { node, event: { kind: "ephemeral", message: decodeMessage(o.m) } };
    default:
      throw new BusDecodeError("unknown device event kind");
  }
}

export function decodeTopicPayload(raw: string): TopicPayload {
  const o = parseObject(raw);
  return { node: str(o.n, "node"), text: str(o.t, "text") };
}

function parseObject(raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new BusDecodeError("not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BusDecodeError("not an object");
  return value as Record<string, unknown>;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") throw new BusDecodeError(`${what} is not a string`);
  return v;
}

function count(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw new BusDecodeError(`${what} is not a non-negative integer`);
  return v;
}

function bytes(v: unknown, what: string): Uint8Array {
  const s = str(v, what);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
    throw new BusDecodeError(`${what} is not base64`);
  return new Uint8Array(Buffer.from(s, "base64"));
}

function decodeMessage(v: unknown): BusMessage {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new BusDecodeError("message is not an object");
  const m = v as Record<string, unknown>;
  const flags = count(m.f, "flags");
  if (flags > 0xff) throw new BusDecodeError("flags out of range");
  return {
    msgId: bytes(m.i, "msgId"),
    sender: bytes(m.s, "sender"),
    flags,
    envelope: bytes(m.e, "envelope"),
  };
}
