/**
 * The sync engine's decoders (sync request, sync answer, checkpoint, outbox
 * record, log record) take bytes from the network and the disk: they round-trip what
 * we write and throw only DecodeError on anything else. The seq ledger is
 * checked against a plain set model.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { SeqLedger } from "../core/space/seq-ledger.js";
import {
  decodeCheckpoint,
  decodeLogRecord,
  decodeSyncAnswer,
  decodeSyncRequest,
  encodeCheckpoint,
  encodeLogRecord,
  encodeSyncAnswer,
  encodeSyncRequest,
} from "../core/space/space-codecs.js";
import { decodeOutboxEntry, encodeOutboxEntry } from "../core/sync/store-outbox.js";
import { DecodeError } from "../core/wire/errors.js";

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const floors = fc
  .uniqueArray(fc.tuple(key.map(toHex), fc.nat()), { selector: ([a]) => a, maxLength: 5 })
  .map((entries) => new Map(entries));
const bytes = fc.uint8Array({ maxLength: 200 });
const writer = fc.record({ seq: fc.nat(), lastHash: key });
const checkpoint = fc.record({
  doc: bytes,
  writers: fc.record({ broadcast: writer, addressed: writer }),
  ledger: fc.array(
    fc.record({
      author: key.map(toHex),
      stream: fc.constantFrom("broadcast" as const, "addressed" as const),
      floor: fc.nat(),
      above: fc.array(fc.nat(), { maxLength: 5 }),
    }),
    { maxLength: 4 },
  ),
});
const outboxEntry = fc.record({
  msgId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  targets: fc.array(key, { maxLength: 5 }),
  envelope: bytes,
  ttlSeconds: fc.nat({ max: 0xffffffff }),
  queuedAt: fc.nat(),
});

const decoders: [string, (b: Uint8Array) => unknown][] = [
  ["sync request", decodeSyncRequest],
  ["sync answer", decodeSyncAnswer],
  ["checkpoint", decodeCheckpoint],
  ["outbox record", (b) => decodeOutboxEntry(b, "00".repeat(16))],
  ["log record", (b) => decodeLogRecord(b, 256)],
];

describe("sync payload and record codecs", () => {
  it("round-trip what they encode", () => {
    fc.assert(
      fc.property(bytes, floors, (sv, f) => {
        expect(decodeSyncRequest(encodeSyncRequest({ stateVector: sv, floors: f }))).toEqual({
          stateVector: sv,
          floors: f,
        });
        expect(decodeSyncAnswer(encodeSyncAnswer({ update: sv, floors: f }))).toEqual({
          update: sv,
          floors: f,
        });
      }),
    );
    fc.assert(
      fc.property(checkpoint, (cp) => {
        expect(decodeCheckpoint(encodeCheckpoint(cp))).toEqual(cp);
      }),
    );
    fc.assert(
      fc.property(outboxEntry, (e) => {
        expect(decodeOutboxEntry(encodeOutboxEntry(e), toHex(e.msgId))).toEqual(e);
      }),
    );
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 6 }), (envelopes) => {
        expect(decodeLogRecord(encodeLogRecord(envelopes), 200)).toEqual(envelopes);
      }),
    );
  });

  it("log record: an envelope over the limit is refused, not read", () => {
    const record = encodeLogRecord([new Uint8Array(10), new Uint8Array(300)]);
    expect(() => decodeLogRecord(record, 299)).toThrow(
      expect.objectContaining({ code: "TOO_LARGE" }),
    );
  });

  for (const [name, decode] of decoders) {
    it(`${name}: arbitrary and mutated bytes throw only DecodeError`, () => {
      const valid = encodeCheckpoint({
        doc: new Uint8Array(8),
        writers: {
          broadcast: { seq: 3, lastHash: new Uint8Array(32) },
          addressed: { seq: 1, lastHash: new Uint8Array(32) },
        },
        ledger: [{ author: "ab".repeat(32), stream: "broadcast", floor: 2, above: [4] }],
      });
      const input = fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
          const m = valid.slice();
          m[i]! ^= x;
          return m;
        }),
      );
      fc.assert(
        fc.property(input, (b) => {
          try {
            decode(b);
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError);
          }
        }),
        { numRuns: 2000 },
      );
    });
  }
});

describe("seq ledger", () => {
  it("agrees with a set of taken seqs: has, floors, gaps, restore", () => {
    const author = new Uint8Array(32).fill(1);
    const hex = toHex(author);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 80 }), (seqs) => {
        const ledger = new SeqLedger();
        for (const s of seqs) ledger.take(author, "broadcast", s);
        const taken = new Set(seqs);
        for (let s = 1; s <= 61; s++) expect(ledger.has(author, "broadcast", s)).toBe(taken.has(s));
        expect(ledger.has(author, "addressed", seqs[0] ?? 1)).toBe(false);
        let floor = 0;
        while (taken.has(floor + 1)) floor++;
        expect(ledger.floors().get(hex) ?? 0).toBe(floor);
        const max = Math.max(0, ...seqs);
        const missing = ledger
          .gaps()
          .flatMap((g) => Array.from({ length: g.to - g.from + 1 }, (_, i) => g.from + i));
        const expected = Array.from({ length: max }, (_, i) => i + 1).filter((s) => !taken.has(s));
        expect(missing).toEqual(expected);
        expect(SeqLedger.restore(ledger.entries()).entries()).toEqual(ledger.entries());
      }),
    );
  });
});
