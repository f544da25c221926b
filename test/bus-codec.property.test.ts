/**
 * What RelayBus puts on Redis comes back through a decoder: a node must get
 * back exactly what another node sent, and anything else on the channel is
 * a BusDecodeError, never a crash or a wrong event.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BusDecodeError,
  decodeDevicePayload,
  decodeTopicPayload,
  encodeDevicePayload,
  encodeTopicPayload,
} from "../relay/bus/bus-codec.js";
import type { DeviceEvent } from "../relay/bus/relay-bus.js";

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const message = fc.record({
  msgId: bytes(16),
  sender: bytes(32),
  flags: fc.integer({ min: 0, max: 255 }),
  envelope: bytes(300),
});
const event: fc.Arbitrary<DeviceEvent> = fc.oneof(
  fc.record({ kind: fc.constant("mail" as const), seq: fc.nat() }),
  fc.record({ kind: fc.constant("mail" as const), seq: fc.nat(), message }),
  fc.record({ kind: fc.constant("connected" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("ephemeral" as const), message }),
);

describe("bus codec", () => {
  it("decodes every device event and topic message exactly as encoded", () => {
    fc.assert(
      fc.property(fc.string(), event, fc.string(), (node, e, text) => {
        expect(decodeDevicePayload(encodeDevicePayload(node, e))).toEqual({ node, event: e });
        expect(decodeTopicPayload(encodeTopicPayload(node, text))).toEqual({ node, text });
      }),
      { numRuns: 2000 },
    );
  });

  it("throws only BusDecodeError on arbitrary text and JSON", () => {
    const input = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? "null"),
      fc
        .record({
          n: fc.anything(),
          k: fc.constantFrom("mail", "connected", "ephemeral", "x"),
          q: fc.anything(),
          a: fc.anything(),
          m: fc.oneof(
            fc.anything(),
            fc.record({ i: fc.string(), s: fc.string(), f: fc.anything(), e: fc.string() }),
          ),
          t: fc.anything(),
        })
        .map((v) => JSON.stringify(v) ?? "null"),
    );
    fc.assert(
      fc.property(input, (raw) => {
        for (const decode of [decodeDevicePayload, decodeTopicPayload]) {
          try {
            decode(raw);
          } catch (err) {
            expect(err).toBeInstanceOf(BusDecodeError);
          }
        }
      }),
      { numRuns: 5000 },
    );
  });
});
