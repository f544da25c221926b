/**
 * The /signal parser takes any text from the network: it returns a valid
 * message or throws SignalMessageError, never anything else.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSignalMessage, SignalMessageError } from "../relay/signal-message.js";

const topic = fc.string({ minLength: 1, maxLength: 256 });
const validMessage = fc.oneof(
  fc.record({
    type: fc.constantFrom("subscribe", "unsubscribe"),
    topics: fc.array(topic, { maxLength: 64 }),
  }),
  fc.record({ type: fc.constant("publish"), topic, data: fc.jsonValue() }),
  fc.record({ type: fc.constantFrom("ping", "pong") }),
);

describe("parseSignalMessage", () => {
  it("accepts every message a y-webrtc client sends", () => {
    fc.assert(
      fc.property(validMessage, (msg) => {
        const parsed = parseSignalMessage(JSON.stringify(msg));
        expect(parsed.type).toBe(msg.type);
      }),
      { numRuns: 2000 },
    );
  });

  it("throws only SignalMessageError on arbitrary text and JSON", () => {
    const input = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({ type: fc.string(), topic: fc.anything(), topics: fc.anything() })
        .map((v) => JSON.stringify(v) ?? "null"),
    );
    fc.assert(
      fc.property(input, (text) => {
        try {
          const parsed = parseSignalMessage(text);
          expect(["subscribe", "unsubscribe", "publish", "ping", "pong"]).toContain(parsed.type);
        } catch (err) {
          expect(err).toBeInstanceOf(SignalMessageError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("refuses oversized text, bad topics and unknown types with their codes", () => {
    const code = (text: string) => {
      try {
        parseSignalMessage(text);
        return "OK";
      } catch (err) {
        return (err as SignalMessageError).code;
      }
    };
    expect(code("x".repeat(200 * 1024))).toBe("TOO_LARGE");
    expect(code("[]")).toBe("NOT_OBJECT");
    expect(code('{"type":"subscribe","topics":"a"}')).toBe("BAD_TOPIC");
    expect(code('{"type":"publish","topic":""}')).toBe("BAD_TOPIC");
    expect(code('{"type":"hello"}')).toBe("UNKNOWN_TYPE");
    expect(code('{"type":"ping"}')).toBe("OK");
  });
});
