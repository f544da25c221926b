/**
 * Every decoder of bytes from the network or disk either decodes or throws
 * its own typed error: nothing else escapes, and nothing hangs.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { equalBytes, fromHex } from "../core/crypto/bytes.js";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import { openEnvelope } from "../core/crypto/envelope.js";
import { CryptoError } from "../core/crypto/errors.js";
import { decodeCertificate } from "../core/crypto/identity-codec.js";
import { openKeyBox } from "../core/crypto/key-box.js";
import { decodeEnvelope, EnvelopeKind, namesSpace, peekSpaceId } from "../core/wire/envelope.js";
import { DecodeError } from "../core/wire/errors.js";
import { decodeFrame, encodeFrame } from "../core/wire/frame.js";
import { type Frame, MAX_TARGET_SET_ID } from "../core/wire/frame-types.js";
import { DEFAULT_LIMITS } from "../core/wire/limits.js";
import {
  MAIL_SUBJECT_MAX_BYTES,
  MAIL_TEXT_MAX_BYTES,
  MAIL_TO_MAX_BYTES,
  mailAddressProblem,
} from "../core/wire/mail-frames.js";
import { EPOCH_KEY } from "./fixtures.js";
import { hostileBytes } from "./mutate.js";
import type { Vectors } from "./vectors/generate.js";

const RUNS = 10_000;
const vectors: Vectors = JSON.parse(
  readFileSync(new URL("./vectors/vectors.json", import.meta.url), "utf8"),
);
const validFrames = vectors.frames.map((f) => fromHex(f.hex));
const validEnvelopes = vectors.envelopes.map((e) => fromHex(e.hex));

function onlyThrows(errorClass: new (...args: never[]) => Error, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof errorClass)) throw new Error(`escaped: ${String(err)}`);
  }
}

let backend: Ed25519Backend;
beforeAll(async () => {
  backend = await ed25519();
});

describe("decoders under hostile input", () => {
  it(`decodeFrame: ${RUNS} cases decode or throw DecodeError`, () => {
    fc.assert(
      fc.property(hostileBytes(validFrames), (bytes) =>
        onlyThrows(DecodeError, () => decodeFrame(bytes)),
      ),
      { numRuns: RUNS },
    );
  });

  it(`decodeEnvelope: ${RUNS} cases decode or throw DecodeError`, () => {
    fc.assert(
      fc.property(hostileBytes(validEnvelopes), (bytes) =>
        onlyThrows(DecodeError, () => decodeEnvelope(bytes)),
      ),
      { numRuns: RUNS },
    );
  });

  it(`namesSpace: ${RUNS} cases agree with peekSpaceId, on any bytes and any id`, () => {
    fc.assert(
      fc.property(
        hostileBytes(validEnvelopes),
        fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 20 })),
        fc.boolean(),
        (bytes, other, own) => {
          const peeked = peekSpaceId(bytes);
          // Half the time the envelope's own id (or a copy of it), else another.
          const id = own && peeked ? peeked.slice() : other;
          const same = peeked !== undefined && equalBytes(peeked, id);
          expect(namesSpace(bytes, id)).toBe(same);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`decodeCertificate: ${RUNS} cases decode or throw DecodeError`, () => {
    fc.assert(
      fc.property(hostileBytes([fromHex(vectors.certificate)]), (bytes) =>
        onlyThrows(DecodeError, () => decodeCertificate(bytes)),
      ),
      { numRuns: RUNS },
    );
  });

  it(`openKeyBox: ${RUNS} cases open or throw CryptoError`, () => {
    const secret = fromHex(vectors.keyBox.recipientSecret);
    fc.assert(
      fc.property(hostileBytes([fromHex(vectors.keyBox.hex)]), (bytes) =>
        onlyThrows(CryptoError, () => openKeyBox(bytes, secret)),
      ),
      { numRuns: RUNS },
    );
  });

  it(`openEnvelope: ${RUNS} damaged envelopes are all rejected with CryptoError`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileBytes(validEnvelopes), async (bytes) => {
        if (
          validEnvelopes.some((v) => v.length === bytes.length && v.every((b, i) => b === bytes[i]))
        )
          return;
        try {
          await openEnvelope(bytes, { backend, keyForEpoch: () => EPOCH_KEY });
        } catch (err) {
          if (err instanceof CryptoError) return;
          throw err;
        }
        throw new Error("a damaged envelope opened");
      }),
      { numRuns: RUNS },
    );
  });
});

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const id16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const text = fc.string({ maxLength: 40 });
const seq = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const body = fc.uint8Array({ maxLength: 300 });
const utf8Length = (s: string) => new TextEncoder().encode(s).length;
/** fast-check's RFC 5322 addresses within the 254-byte limit: every one must be accepted. */
const address = fc.emailAddress().filter((a) => utf8Length(a) <= MAIL_TO_MAX_BYTES);
/** Replaces every code point `bad` picks (tests spell these out rather than share the codec's rule). */
const scrub = (s: string, bad: (c: number) => boolean, by: string) =>
  Array.from(s, (ch) => (bad(ch.codePointAt(0)!) ? by : ch)).join("");
const subjectArb = fc
  .string({ unit: "grapheme", maxLength: 60 })
  .map((s) =>
    scrub(s, (c) => c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029, " "),
  )
  .filter((s) => utf8Length(s) <= MAIL_SUBJECT_MAX_BYTES);
const mailTextArb = fc
  .string({ unit: "grapheme", maxLength: 400 })
  .map((s) => scrub(s, (c) => (c < 0x20 && c !== 0x09 && c !== 0x0d) || c === 0x7f, "\n"));
const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    type: fc.constant("hello" as const),
    client: text,
    minVersion: fc.constant(1),
    maxVersion: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    type: fc.constant("challenge" as const),
    nonce: key32,
    relayUrl: text,
    maxEnvelopeBytes: fc.nat(),
    maxTargets: fc.nat({ max: 0xffff }),
  }),
  fc.record({
    type: fc.constant("auth" as const),
    device: key32,
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
    accessToken: text,
  }),
  fc.record({ type: fc.constant("authOk" as const), queued: seq }),
  fc.record({ type: fc.constant("relayInfo" as const), features: seq }),
  fc.record({
    type: fc.constant("error" as const),
    code: fc.nat({ max: 0xffff }),
    message: text,
    ref: fc.oneof(fc.constant(new Uint8Array()), id16, key32),
  }),
  fc.record({
    type: fc.constant("send" as const),
    msgId: id16,
    flags: fc.constantFrom(0, 1),
    ttlSeconds: fc.nat(),
    targets: fc.array(key32, { minLength: 1, maxLength: 20 }),
    envelope: body,
  }),
  fc.record({
    type: fc.constant("send" as const),
    msgId: id16,
    flags: fc.constantFrom(0, 1),
    ttlSeconds: fc.nat(),
    targets: fc.constant([] as Uint8Array[]),
    targetSet: fc.nat({ max: MAX_TARGET_SET_ID }),
    envelope: body,
  }),
  fc.record({
    type: fc.constant("targetSet" as const),
    setId: fc.nat({ max: MAX_TARGET_SET_ID }),
    targets: fc.array(key32, { minLength: 1, maxLength: 20 }),
  }),
  fc.record({ type: fc.constant("ack" as const), msgId: id16 }),
  fc.record({
    type: fc.constant("deliver" as const),
    seq,
    msgId: id16,
    sender: key32,
    flags: fc.constantFrom(0, 1),
    envelope: body,
  }),
  fc.record({
    type: fc.constant("deliverBatch" as const),
    deliveries: fc.array(
      fc.record({
        seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        msgId: id16,
        sender: key32,
        flags: fc.constant(0),
        envelope: body,
      }),
      { minLength: 1, maxLength: 8 },
    ),
  }),
  fc.record({ type: fc.constant("acceptBatches" as const) }),
  fc.record({
    type: fc.constant("deliverAck" as const),
    seqs: fc.array(seq, { minLength: 1, maxLength: 50 }),
  }),
  fc.record({ type: fc.constant("resend" as const), fromSeq: seq }),
  fc.record({ type: fc.constant("blobPut" as const), hash: key32, data: body }),
  fc.record({ type: fc.constant("blobPutOk" as const), hash: key32 }),
  fc.record({ type: fc.constant("blobGet" as const), hash: key32 }),
  fc.record({ type: fc.constant("blobData" as const), hash: key32, data: body }),
  fc.record({
    type: fc.constant("mailSend" as const),
    msgId: id16,
    to: address,
    subject: subjectArb,
    text: mailTextArb,
  }),
);

describe("DELIVER_BATCH under hostile input (revision 5)", () => {
  const batchArb = fc.array(
    fc.record({
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      msgId: id16,
      sender: key32,
      flags: fc.constant(0),
      envelope: fc.uint8Array({ maxLength: 40 }),
    }),
    { minLength: 1, maxLength: 6 },
  );
  it(`${RUNS} mutated batches decode to a valid batch or throw DecodeError`, () => {
    fc.assert(
      fc.property(
        batchArb,
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (deliveries, flips, cut) => {
          const bytes = encodeFrame({ type: "deliverBatch", deliveries });
          for (const [at, value] of flips) bytes[2 + (at % (bytes.length - 2))] = value;
          let frame: Frame;
          try {
            frame = decodeFrame(bytes.subarray(0, bytes.length - (cut % 3)));
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            return;
          }
          if (frame.type !== "deliverBatch") throw new Error(`decoded as ${frame.type}`);
          expect(frame.deliveries.length).toBeGreaterThan(0);
          expect(frame.deliveries.length).toBeLessThanOrEqual(256);
          for (const d of frame.deliveries) {
            expect(d.seq).toBeGreaterThan(0);
            expect(d.flags).toBe(0);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("refuses an empty batch, an ephemeral (seq 0) entry and more than 256 entries", () => {
    const one = { seq: 1, msgId: new Uint8Array(16), sender: new Uint8Array(32), flags: 0 };
    const entry = { ...one, envelope: new Uint8Array(1) };
    const code = (bytes: Uint8Array) => {
      try {
        decodeFrame(bytes);
      } catch (err) {
        return (err as DecodeError).code;
      }
      return "decoded";
    };
    expect(code(Uint8Array.of(1, 0x17, 0))).toBe("INVALID_VALUE");
    expect(code(encodeFrame({ type: "deliverBatch", deliveries: [{ ...entry, seq: 0 }] }))).toBe(
      "INVALID_VALUE",
    );
    const many = Array.from({ length: 257 }, (_, i) => ({ ...entry, seq: i + 1 }));
    expect(code(encodeFrame({ type: "deliverBatch", deliveries: many }))).toBe("TOO_LARGE");
    expect(code(encodeFrame({ type: "deliverBatch", deliveries: many.slice(1) }))).toBe("decoded");
  });
});

describe("round trips of generated values", () => {
  it("every generated frame decodes to itself", () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        expect(decodeFrame(encodeFrame(frame), DEFAULT_LIMITS)).toEqual(frame);
      }),
      { numRuns: 5_000 },
    );
  });

  it("every generated envelope header decodes to itself", async () => {
    const { encodeSignedPart, appendSignature } = await import("../core/wire/envelope.js");
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.constantFrom(...Object.values(EnvelopeKind)),
          spaceId: id16,
          epoch: fc.nat({ max: 0xffffffff }),
          author: key32,
          seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          prevHash: key32,
        }),
        fc.uint8Array({ minLength: 40, maxLength: 200 }),
        (header, bodyBytes) => {
          const bytes = appendSignature(encodeSignedPart(header, bodyBytes), new Uint8Array(64));
          const decoded = decodeEnvelope(bytes);
          expect(decoded.header).toEqual(header);
          expect(decoded.body).toEqual(bodyBytes);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe("MAIL_SEND fields under hostile input", () => {
  /** Characters that could end a header, start another address, or quote one. */
  const headerish = fc.constantFrom(...'\r\n,;:<>"()[]\\ @.\t\u0000\u2028é');
  const sneaky = fc
    .array(fc.oneof(headerish, fc.string({ maxLength: 6 })), { maxLength: 30 })
    .map((parts) => parts.join(""));
  const base = { type: "mailSend" as const, msgId: new Uint8Array(16), text: "t" };

  it(`${RUNS} crafted recipients: decoded only when exactly one plain address`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          sneaky,
          fc.tuple(address, sneaky).map(([a, tail]) => a + tail),
          fc.tuple(sneaky, address).map(([head, a]) => head + a),
        ),
        (to) => {
          let decoded: Frame;
          try {
            decoded = decodeFrame(encodeFrame({ ...base, to, subject: "s" }));
          } catch (err) {
            if (!(err instanceof DecodeError)) throw err;
            return;
          }
          if (decoded.type !== "mailSend") throw new Error("decoded as another frame");
          expect(mailAddressProblem(decoded.to)).toBeUndefined();
          expect(decoded.to).toMatch(/^[^\s,;:<>"()[\]\\@]+@[A-Za-z0-9.-]+$/);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} crafted subjects: decoded only when one line`, () => {
    fc.assert(
      fc.property(sneaky, (subject) => {
        try {
          const decoded = decodeFrame(encodeFrame({ ...base, to: "bob@example.com", subject }));
          if (decoded.type !== "mailSend") throw new Error("decoded as another frame");
          for (const bad of ["\r", "\n", "\u0000", "\u2028"])
            expect(decoded.subject).not.toContain(bad);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("every field at its byte limit decodes, one byte more does not", () => {
    const to = `${"a".repeat(64)}@${"d".repeat(63)}.${"e".repeat(63)}.${"g".repeat(61)}`;
    const frame = {
      ...base,
      to,
      subject: "s".repeat(MAIL_SUBJECT_MAX_BYTES),
      text: "x".repeat(MAIL_TEXT_MAX_BYTES),
    };
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
    for (const over of [
      { to: `a${to}` },
      { subject: `${frame.subject}s` },
      { text: `${frame.text}x` },
    ]) {
      expect(() => decodeFrame(encodeFrame({ ...frame, ...over }))).toThrow(DecodeError);
    }
  });
});
