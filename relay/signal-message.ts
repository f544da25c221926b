/**
 * The y-webrtc signaling protocol's messages (JSON text frames), parsed
 * strictly: anything a stock y-webrtc client would not send is a typed
 * error, so the hub never forwards junk to other peers.
 */

export type SignalMessage =
  | { type: "subscribe"; topics: string[] }
  | { type: "unsubscribe"; topics: string[] }
  | { type: "publish"; topic: string; body: Record<string, unknown> }
  | { type: "ping" }
  | { type: "pong" };

export type SignalErrorCode =
  | "NOT_JSON"
  | "NOT_OBJECT"
  | "UNKNOWN_TYPE"
  | "BAD_TOPIC"
  | "TOO_LARGE";

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
}

export const DEFAULT_SIGNAL_LIMITS: SignalLimits = {
  maxMessageBytes: 128 * 1024,
  maxTopicLength: 256,
  maxTopicsPerMessage: 64,
};

export function parseSignalMessage(text: string, limits = DEFAULT_SIGNAL_LIMITS): SignalMessage {
  if (text.length > limits.maxMessageBytes) {
    throw new SignalMessageError("TOO_LARGE", `message exceeds ${limits.maxMessageBytes} bytes`);
  }
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
      return { type: "publish", topic: topic(msg.topic, limits), body: msg };
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
