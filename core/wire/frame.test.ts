import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alice, bob, filled, seqBytes } from "../../test/fixtures.js";
import { DecodeError } from "./errors.js";
import { decodeFrame, encodeFrame, refOfUndecoded } from "./frame.js";
import { type Frame, FrameType } from "./frame-types.js";
import { withLimits } from "./limits.js";
import {
  MAIL_SUBJECT_MAX_BYTES,
  MAIL_TEXT_MAX_BYTES,
  MAIL_TO_MAX_BYTES,
  mailAddressProblem,
} from "./mail-frames.js";

const msgId = seqBytes(16);
const envelope = seqBytes(200);
const everyFrame: Frame[] = [
  { type: "hello", client: "grove/0.1.0 ✓", minVersion: 1, maxVersion: 3 },
  {
    type: "challenge",
    nonce: filled(32, 9),
    relayUrl: "wss://r.example/v1",
    maxEnvelopeBytes: 1 << 20,
    maxTargets: 64,
  },
  { type: "auth", device: alice.device.sign.publicKey, signature: filled(64, 1), accessToken: "" },
  { type: "authOk", queued: 0 },
  { type: "relayInfo", features: 1 },
  { type: "error", code: 11, message: "slow down", ref: new Uint8Array() },
  {
    type: "send",
    msgId,
    flags: 1,
    ttlSeconds: 3600,
    targets: [bob.device.sign.publicKey],
    envelope,
  },
  { type: "send", msgId, flags: 0, ttlSeconds: 60, targets: [], targetSet: 63, envelope },
  { type: "targetSet", setId: 0, targets: [bob.device.sign.publicKey, filled(32, 4)] },
  { type: "ack", msgId },
  { type: "deliver", seq: 2 ** 40, msgId, sender: alice.device.sign.publicKey, flags: 0, envelope },
  {
    type: "deliverBatch",
    deliveries: [
      { seq: 7, msgId, sender: alice.device.sign.publicKey, flags: 0, envelope },
      {
        seq: 2 ** 40,
        msgId: filled(16, 2),
        sender: filled(32, 3),
        flags: 0,
        envelope: seqBytes(3),
      },
    ],
  },
  { type: "acceptBatches" },
  { type: "deliverAck", seqs: [5, 6, 2 ** 33] },
  { type: "resend", fromSeq: 0 },
  { type: "blobPut", hash: filled(32, 3), data: seqBytes(1000) },
  { type: "blobPutOk", hash: filled(32, 3) },
  { type: "blobGet", hash: filled(32, 3) },
  { type: "blobData", hash: filled(32, 3), data: new Uint8Array() },
  {
    type: "mailSend",
    msgId,
    to: "bob+grove@mail.example.org",
    subject: "Alice invites you to “Garden club”",
    text: "Join us:\nhttps://relay.example/join#k=abc_DEF-123\n\t— Alice",
  },
  {
    type: "partialAck",
    msgId,
    full: [
      { target: filled(32, 5), reason: "bytes" },
      { target: filled(32, 6), reason: "source_share" },
    ],
  },
  {
    type: "mailInvite",
    msgId,
    to: "bob@mail.example.org",
    inviterName: "Alice “Al” Smith",
    spaceName: "",
    link: "https://relay.example/join#abc_DEF-123",
  },
];

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return (err as DecodeError).code;
  }
  throw new Error("expected a DecodeError");
}

describe("relay frames", () => {
  it("covers every frame type", () => {
    expect(new Set(everyFrame.map((f) => f.type))).toEqual(new Set(Object.keys(FrameType)));
  });

  it.each(everyFrame.map((f) => [f.type, f] as const))("round-trips %s", (_name, frame) => {
    const bytes = encodeFrame(frame);
    expect(bytes[0]).toBe(1);
    expect(decodeFrame(bytes)).toEqual(frame);
  });

  it("rejects every strict prefix of every frame as TRUNCATED", () => {
    for (const frame of everyFrame) {
      const bytes = encodeFrame(frame);
      for (let cut = 0; cut < bytes.length; cut++) {
        expect(codeOf(() => decodeFrame(bytes.subarray(0, cut)))).toBe("TRUNCATED");
      }
    }
  });

  it("rejects trailing bytes", () => {
    const bytes = encodeFrame({ type: "ack", msgId });
    expect(codeOf(() => decodeFrame(Uint8Array.of(...bytes, 0)))).toBe("TRAILING_BYTES");
  });

  it("rejects an unknown protocol version and an unknown type", () => {
    expect(codeOf(() => decodeFrame(Uint8Array.of(2, 0x11, ...msgId)))).toBe("UNSUPPORTED_VERSION");
    expect(codeOf(() => decodeFrame(Uint8Array.of(1, 0x7f)))).toBe("UNKNOWN_TYPE");
  });

  it("rejects a non-canonical varint", () => {
    // resend with fromSeq 5 written in two bytes (0x85 0x00)
    expect(codeOf(() => decodeFrame(Uint8Array.of(1, 0x14, 0x85, 0x00)))).toBe("NON_CANONICAL");
  });

  it("enforces configured maxima before reading", () => {
    const limits = withLimits({ maxTargets: 2, maxEnvelopeBytes: 100, maxFrameBytes: 10_000 });
    const send = (targets: number, envelopeBytes: number) =>
      encodeFrame({
        type: "send",
        msgId,
        flags: 0,
        ttlSeconds: 1,
        targets: Array.from({ length: targets }, () => filled(32, 1)),
        envelope: new Uint8Array(envelopeBytes),
      });
    expect(decodeFrame(send(2, 100), limits).type).toBe("send");
    expect(codeOf(() => decodeFrame(send(3, 10), limits))).toBe("TOO_LARGE");
    expect(codeOf(() => decodeFrame(send(1, 101), limits))).toBe("TOO_LARGE");
    expect(codeOf(() => decodeFrame(new Uint8Array(10_001), limits))).toBe("TOO_LARGE");
  });

  it("rejects a huge length prefix without allocating it", () => {
    // blobPut with a data length of 2^49
    const bytes = Uint8Array.of(
      1,
      0x20,
      ...filled(32, 0),
      0x80,
      0x80,
      0x80,
      0x80,
      0x80,
      0x80,
      0x80,
      0x01,
    );
    expect(codeOf(() => decodeFrame(bytes))).toBe("TOO_LARGE");
  });

  it("rejects invalid UTF-8 and unknown flag bits", () => {
    expect(codeOf(() => decodeFrame(Uint8Array.of(1, 0x01, 2, 0xc3, 0x28, 1, 1)))).toBe(
      "INVALID_VALUE",
    );
    const send = encodeFrame({
      type: "send",
      msgId,
      flags: 0,
      ttlSeconds: 1,
      targets: [filled(32, 1)],
      envelope,
    });
    send[2 + 16] = 0x80;
    expect(codeOf(() => decodeFrame(send))).toBe("INVALID_VALUE");
  });

  it("rejects a send with no targets and an ack with no seqs", () => {
    expect(codeOf(() => decodeFrame(Uint8Array.of(1, 0x10, ...msgId, 0, 1, 0, 0)))).toBe(
      "INVALID_VALUE",
    );
    expect(codeOf(() => decodeFrame(Uint8Array.of(1, 0x13, 0)))).toBe("INVALID_VALUE");
  });
});

describe("MAIL_SEND", () => {
  const mail = (fields: { to?: string; subject?: string; text?: string }) =>
    encodeFrame({
      type: "mailSend",
      msgId,
      to: "bob@example.com",
      subject: "Invitation",
      text: "Join us",
      ...fields,
    });

  it("accepts plain addresses, and nothing that is not exactly one", () => {
    for (const ok of [
      "bob@example.com",
      "b@e.co",
      "first.last+tag@sub.mail.example.org",
      "o'neil!#$%&*/=?^_`{|}~-@xn--bcher-kva.example",
      // 254 bytes: the longest allowed.
      `${"a".repeat(64)}@${"d".repeat(63)}.${"e".repeat(63)}.${"g".repeat(61)}`,
    ]) {
      expect(mailAddressProblem(ok), ok).toBeUndefined();
      expect(decodeFrame(mail({ to: ok })).type).toBe("mailSend");
    }
    for (const bad of [
      "",
      "bob",
      "@example.com",
      "bob@",
      "bob@example",
      "bob@@example.com",
      "bob@alice@example.com",
      "bob@example.com, eve@example.com",
      "bob@example.com,eve@example.com",
      "bob@example.com;eve@example.com",
      "Bob <bob@example.com>",
      "<bob@example.com>",
      "bob @example.com",
      " bob@example.com",
      "bob@example.com ",
      "bob@example.com\r\nBcc: eve@example.com",
      "bob@example.com\nBcc: eve@example.com",
      "bob@exa\rmple.com",
      '"bob"@example.com',
      "bob(comment)@example.com",
      "b\\ob@example.com",
      ".bob@example.com",
      "bob.@example.com",
      "bo..b@example.com",
      "bob@-example.com",
      "bob@example-.com",
      "bob@example..com",
      "bob@example.com.",
      "bob@[127.0.0.1]",
      "bob@127.0.0.1",
      "bob@exa_mple.com",
      "bøb@example.com",
      "bob@exämple.com",
      "bob:eve@example.com",
      `${"a".repeat(65)}@example.com`,
      `bob@${"d".repeat(64)}.com`,
    ]) {
      expect(mailAddressProblem(bad), JSON.stringify(bad)).toBeDefined();
      expect(
        codeOf(() => decodeFrame(mail({ to: bad }))),
        JSON.stringify(bad),
      ).toBe("INVALID_VALUE");
    }
  });

  it("refuses a subject that could start another header, and controls in the text", () => {
    for (const subject of [
      "Hi\r\nBcc: eve@example.com",
      "Hi\nX: y",
      "Hi\r",
      "a\u0000b",
      "a\tb",
      "a\u2028b",
      "a\u0085b",
    ]) {
      expect(
        codeOf(() => decodeFrame(mail({ subject }))),
        JSON.stringify(subject),
      ).toBe("INVALID_VALUE");
    }
    expect(decodeFrame(mail({ subject: "" })).type).toBe("mailSend");
    expect(decodeFrame(mail({ text: "a\r\nb\tc\n" })).type).toBe("mailSend");
    for (const text of ["a\u0000b", "a\u001bb", "a\u007fb"]) {
      expect(
        codeOf(() => decodeFrame(mail({ text }))),
        JSON.stringify(text),
      ).toBe("INVALID_VALUE");
    }
  });

  it("bounds each field in bytes before reading it", () => {
    const longTo = `${"a".repeat(64)}@${"d".repeat(63)}.${"e".repeat(63)}.${"g".repeat(62)}`;
    expect(new TextEncoder().encode(longTo).length).toBeGreaterThan(MAIL_TO_MAX_BYTES);
    expect(codeOf(() => decodeFrame(mail({ to: longTo })))).toBe("TOO_LARGE");
    // 100 two-byte characters fit, 101 do not.
    expect(decodeFrame(mail({ subject: "é".repeat(MAIL_SUBJECT_MAX_BYTES / 2) })).type).toBe(
      "mailSend",
    );
    expect(
      codeOf(() => decodeFrame(mail({ subject: "é".repeat(MAIL_SUBJECT_MAX_BYTES / 2 + 1) }))),
    ).toBe("TOO_LARGE");
    expect(decodeFrame(mail({ text: "x".repeat(MAIL_TEXT_MAX_BYTES) })).type).toBe("mailSend");
    expect(codeOf(() => decodeFrame(mail({ text: "x".repeat(MAIL_TEXT_MAX_BYTES + 1) })))).toBe(
      "TOO_LARGE",
    );
  });
});

describe("the ref of an undecoded frame", () => {
  it("names a blob frame's hash and a mail request's msgId, and nothing else", () => {
    const hash = new Uint8Array(32).fill(7);
    expect(refOfUndecoded(encodeFrame({ type: "blobGet", hash }))).toEqual(hash);
    expect(refOfUndecoded(encodeFrame({ type: "blobPut", hash, data: new Uint8Array(5) }))).toEqual(
      hash,
    );
    expect(refOfUndecoded(encodeFrame({ type: "blobPutOk", hash }))).toEqual(new Uint8Array());
    expect(refOfUndecoded(new Uint8Array([1, 0x22, 1, 2]))).toEqual(new Uint8Array());
  });

  it("never throws and never reads past the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const ref = refOfUndecoded(bytes);
        expect([0, 16, 32]).toContain(ref.length);
        if (ref.length > 0) expect(bytes.subarray(2, 2 + ref.length)).toEqual(ref);
      }),
    );
  });
});
