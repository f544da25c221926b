/**
 * The y-webrtc signaling protocol's messages (JSON text frames), parsed
 * strictly: anything a stock y-webrtc client would not send is a typed
 * error, so the hub never forwards junk to other peers.
 */

export type SignalMessage =
  | { type: "subscribe"; topics: string[] }
  | { type: "unsubscribe"; topics: string[] }
  /** `text` is the message as received: it is forwarded as is, never re-serialised. */
  | { type: "publish"; topic: string; text: string }
  | { type: "ping" }
  | { type: "pong" };

export type SignalErrorCode =
  | "NOT_JSON"
  | "NOT_OBJECT"
  | "UNKNOWN_TYPE"
  | "BAD_TOPIC"
  | "TOO_LARGE"
  | "TOO_DEEP";

export class SignalMessageError extends Error {
  constructor(
    readonly code: SignalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SignalMessageError";
  }
}

export interface SignalLimits {
  maxMessageBytes: number;
  maxTopicLength: number;
  maxTopicsPerMessage: number;
  /** Deepest nesting of arrays and objects; y-webrtc's own messages nest 5 deep. */
  maxDepth: number;
}

export const DEFAULT_SIGNAL_LIMITS: SignalLimits = {
  maxMessageBytes: 128 * 1024,
  maxTopicLength: 256,
  maxTopicsPerMessage: 64,
  maxDepth: 32,
};

export function parseSignalMessage(text: string, limits = DEFAULT_SIGNAL_LIMITS): SignalMessage {
  if (text.length > limits.maxMessageBytes) {
    throw new SignalMessageError("TOO_LARGE", `message exceeds ${limits.maxMessageBytes} bytes`);
  }
  // Checked before parsing: V8 parses deep nesting fine, but anything that walks the
  // result recursively (JSON.stringify, a logger) overflows the stack on it.
  checkDepth(text, limits.maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SignalMessageError("NOT_JSON", "message is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SignalMessageError("NOT_OBJECT", "message is not a JSON object");
  }
  const msg = value as Record<string, unknown>;
  switch (msg.type) {
    case "subscribe":
    case "unsubscribe":
      return { type: msg.type, topics: topicList(msg.topics, limits) };
    case "publish":
      return { type: "publish", topic: topic(msg.topic, limits), text };
    case "ping":
    case "pong":
      return { type: msg.type };
    default:
      throw new SignalMessageError("UNKNOWN_TYPE", "unknown message type");
  }
}

function topicList(value: unknown, limits: SignalLimits): string[] {
  if (!Array.isArray(value)) throw new SignalMessageError("BAD_TOPIC", "topics must be an array");
  if (value.length > limits.maxTopicsPerMessage) {
    throw new SignalMessageError("BAD_TOPIC", `more than ${limits.maxTopicsPerMessage} topics`);
  }
  return value.map((t) => topic(t, limits));
}

function topic(value: unknown, limits: SignalLimits): string {
  if (typeof value !== "string" || value.length === 0 || value.length > limits.maxTopicLength) {
    throw new SignalMessageError(
      "BAD_TOPIC",
      `topic must be a string of 1..${limits.maxTopicLength} characters`,
    );
  }
  return value;
}

/**
 * Throws TOO_DEEP when brackets nest deeper than `max` outside strings. A
 * linear scan with no recursion, so no input can exhaust the stack here.
 */
export function checkDepth(text: string, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        throw new SignalMessageError("TOO_DEEP", `JSON nests deeper than ${max} levels`);
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/**
 * The publish text as forwarded, with the subscriber count y-webrtc's
 * server adds. Appended as the last member so it is the one JSON.parse
 * keeps even if the sender put its own `clients` in.
 */
export function withClientCount(text: string, clients: number): string {
  const end = text.lastIndexOf("}");
  return `${text.slice(0, end)},"clients":${clients}}`;
}
