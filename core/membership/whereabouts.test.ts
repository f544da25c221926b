/**
 * Whereabouts (presence payload version 2): the codec is strict and total
 * on hostile bytes; a build that knows only version 1 refuses it as a
 * version it does not know; sends are throttled to one per interval with
 * the latest state winning, nothing while nothing changes; a newcomer is
 * told the place once; a place goes when its device leaves.
 */
import fc from "fast-check";
import { ObservableV2 } from "lib0/observable";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toHex } from "../crypto/bytes.js";
import { DecodeError } from "../wire/errors.js";
import { decodePresence } from "./presence.js";
import {
  decodeWhere,
  encodeWhere,
  MAX_CARET_BYTES,
  WHERE_INTERVAL_MS,
  Whereabouts,
  type WhereMessage,
} from "./whereabouts.js";

const message = fc.record(
  {
    sentAt: fc.nat({ max: 2 ** 48 }),
    tool: fc.string({ maxLength: 10 }),
    note: fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 1, maxLength: 64 }),
    caret: fc.record({
      anchor: fc.uint8Array({ maxLength: MAX_CARET_BYTES }),
      head: fc.uint8Array({ maxLength: MAX_CARET_BYTES }),
    }),
  },
  { requiredKeys: ["sentAt", "tool"] },
) as fc.Arbitrary<WhereMessage>;

describe("whereabouts payload", () => {
  it("decodes what it encodes", () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeWhere(encodeWhere(m))).toEqual(m);
      }),
    );
  });

  it("throws only DecodeError on any bytes, and never reads past its bounds", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          const m = decodeWhere(bytes);
          expect(encodeWhere(m)).toEqual(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses mutations of a good message by a typed error or decodes them within bounds", () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, value) => {
        const bytes = encodeWhere(m);
        bytes[at % bytes.length] = value;
        try {
          const out = decodeWhere(bytes);
          expect(out.tool.length).toBeLessThanOrEqual(32);
          expect(out.caret?.anchor.length ?? 0).toBeLessThanOrEqual(MAX_CARET_BYTES);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("is refused by a build that knows only version 1, as an unknown version", () => {
    const bytes = encodeWhere({ sentAt: 5, tool: "Notes", note: "ab" });
    expect(() => decodePresence(bytes)).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_VERSION" }),
    );
  });

  it("refuses unknown flags and oversized fields", () => {
    const good = encodeWhere({ sentAt: 1, tool: "Notes" });
    const flagged = good.slice();
    flagged[flagged.length - 1] = 2;
    expect(() => decodeWhere(flagged)).toThrow(expect.objectContaining({ code: "INVALID_VALUE" }));
    expect(() => encodeWhere({ sentAt: 1, tool: "x".repeat(33) })).toThrow(RangeError);
  });
});

/** The part of a Space whereabouts uses: what it sends, and a way to hear others. */
class Wire extends ObservableV2<{ ephemeral: (a: Uint8Array, p: Uint8Array) => void }> {
  sent: { payload: Uint8Array; to?: Uint8Array[] }[] = [];
  async sendEphemeral(payload: Uint8Array, to?: Uint8Array[]) {
    this.sent.push({ payload, ...(to ? { to } : {}) });
  }
}

const me = new Uint8Array(32).fill(1);
const bobDevice = new Uint8Array(32).fill(2);
const bob = "b".repeat(64);

function setup() {
  vi.useFakeTimers();
  const wire = new Wire();
  const where = new Whereabouts({
    space: wire as never,
    userOf: (d) => (d[0] === 2 ? bob : d[0] === 1 ? "a".repeat(64) : undefined),
    device: me,
  });
  return { wire, where };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Whereabouts", () => {
  it("sends at most one message per interval, the latest state winning, and nothing while idle", async () => {
    const { wire, where } = setup();
    where.setPlace("Notes", "n1");
    expect(wire.sent).toHaveLength(1);
    for (let i = 0; i < 20; i++)
      where.setCaret({ anchor: Uint8Array.of(i), head: Uint8Array.of(i) });
    expect(wire.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(WHERE_INTERVAL_MS);
    expect(wire.sent).toHaveLength(2);
    expect(decodeWhere(wire.sent[1]!.payload).caret?.anchor).toEqual(Uint8Array.of(19));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(wire.sent).toHaveLength(2);
    // The same state again is no change.
    where.setCaret({ anchor: Uint8Array.of(19), head: Uint8Array.of(19) });
    await vi.advanceTimersByTimeAsync(1000);
    expect(wire.sent).toHaveLength(2);
  });

  it("lists what others say, tells a newcomer once, and forgets a device that leaves", async () => {
    const { wire, where } = setup();
    where.setPlace("Chat");
    const hear = (m: WhereMessage) => wire.emit("ephemeral", [bobDevice, encodeWhere(m)]);
    hear({ sentAt: 10, tool: "Notes", note: "n1" });
    expect(where.places()).toEqual([
      expect.objectContaining({ user: bob, device: toHex(bobDevice), tool: "Notes", note: "n1" }),
    ]);
    // Told once, addressed to the newcomer alone.
    const told = wire.sent.filter((s) => s.to);
    expect(told).toHaveLength(1);
    expect(decodeWhere(told[0]!.payload).tool).toBe("Chat");
    hear({ sentAt: 11, tool: "Notes" });
    expect(wire.sent.filter((s) => s.to)).toHaveLength(1);
    // An older message does not undo a newer one.
    hear({ sentAt: 9, tool: "Files" });
    expect(where.places()[0]?.tool).toBe("Notes");
    hear({ sentAt: 12, tool: "" });
    expect(where.places()).toEqual([]);
    // Strangers and garbage are ignored.
    wire.emit("ephemeral", [new Uint8Array(32).fill(9), encodeWhere({ sentAt: 1, tool: "Chat" })]);
    wire.emit("ephemeral", [bobDevice, Uint8Array.of(2, 0xff)]);
    expect(where.places()).toEqual([]);
    expect(where.undecodable).toBe(1);
  });

  it("says it is nowhere when closed", async () => {
    const { wire, where } = setup();
    where.setPlace("Notes", "n1");
    await where.close();
    expect(decodeWhere(wire.sent.at(-1)!.payload).tool).toBe("");
  });
});
