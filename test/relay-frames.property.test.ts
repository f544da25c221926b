/**
 * The decoders added for issue 16 (PARTIAL_ACK, MAIL_INVITE): every valid
 * frame round-trips, and any bytes decode or throw DecodeError only.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../core/wire/errors.js";
import { decodeFrame, encodeFrame } from "../core/wire/frame.js";
import { mailInviteProblem } from "../core/wire/frame-mail-invite.js";
import { FrameType, type MailInviteFrame, type PartialAckFrame } from "../core/wire/frame-types.js";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const reason = fc.constantFrom("messages" as const, "bytes" as const, "source_share" as const);
const partialAck: fc.Arbitrary<PartialAckFrame> = fc.record({
  type: fc.constant("partialAck" as const),
  msgId: bytes(16),
  full: fc.array(fc.record({ target: bytes(32), reason }), { minLength: 1, maxLength: 20 }),
});
const b64url = fc.string({
  unit: fc.constantFrom(..."ABCabc019_-".split("")),
  minLength: 1,
  maxLength: 300,
});
const mailInvite: fc.Arbitrary<MailInviteFrame> = fc.record({
  type: fc.constant("mailInvite" as const),
  msgId: bytes(16),
  to: fc.constantFrom("a@example.org", "bob.smith+x@mail.example.co.uk"),
  inviterName: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0),
  spaceName: fc.string({ maxLength: 40 }),
  link: fc
    .tuple(
      fc.constantFrom("https://relay.example", "http://127.0.0.1:7447", "https://r.example/grove"),
      b64url,
    )
    .map(([origin, payload]) => `${origin}/join#${payload}`),
});

/** Lone surrogates do not survive UTF-8; the decoder's UTF-8 check is tested elsewhere. */
const wellFormed = (s: string) =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe("PARTIAL_ACK and MAIL_INVITE", () => {
  it("round-trip", () => {
    fc.assert(
      fc.property(partialAck, (f) => {
        expect(decodeFrame(encodeFrame(f))).toEqual(f);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        mailInvite.filter((f) => wellFormed(f.inviterName) && wellFormed(f.spaceName)),
        (f) => {
          expect(decodeFrame(encodeFrame(f))).toEqual(f);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("decode or throw DecodeError on any bytes after their type", () => {
    const type = fc.constantFrom(FrameType.partialAck, FrameType.mailInvite);
    fc.assert(
      fc.property(type, fc.uint8Array({ maxLength: 400 }), (t, body) => {
        try {
          decodeFrame(Uint8Array.of(1, t, ...body));
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it("survive mutation of valid frames: decode or DecodeError", () => {
    fc.assert(
      fc.property(
        fc.oneof(partialAck, mailInvite),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (f, at, value) => {
          const encoded = encodeFrame(f);
          encoded[at % encoded.length] = value;
          try {
            decodeFrame(encoded);
          } catch (err) {
            expect(err).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("refuse links that are not a …/join#<base64url> page", () => {
    const base = { to: "a@example.org", inviterName: "Ann", spaceName: "" };
    for (const link of [
      "https://evil.example/buy-now",
      "javascript:alert(1)//join#x",
      "https://relay.example/join#a b",
      "https://relay.example/join?x=1#abc",
      "https://user:pw@relay.example/join#abc",
    ]) {
      expect(mailInviteProblem({ ...base, link })).toBeDefined();
    }
    expect(mailInviteProblem({ ...base, link: "https://relay.example/join#abc" })).toBeUndefined();
  });
});
