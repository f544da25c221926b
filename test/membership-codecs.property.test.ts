/**
 * Inputs from outside: invite links (pasted by users, opened from mail),
 * welcomes (from the relay) and the invitation mail built from people's
 * names. Decoders round-trip what we write and throw only DecodeError on
 * anything else; the mail never lets a name break a header.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  channelEpoch,
  decodeInvitePayload,
  encodeInvitePayload,
  inviteKeys,
  inviteUrl,
  parseInviteUrl,
} from "../core/membership/invite-link.js";
import { composeInviteMail, mailtoUrl } from "../core/membership/invite-mail.js";
import { decodeWelcome, encodeWelcome, REFUSALS } from "../core/membership/welcome.js";
import { DecodeError } from "../core/wire/errors.js";
import { mailSendProblem } from "../core/wire/mail-frames.js";
import { expectOnlyDecodeErrors, hostileBytes } from "./mutate.js";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const link = fc.record({
  relayUrl: fc.constantFrom("ws://127.0.0.1:4000", "wss://relay.example.org/grove"),
  spaceId: bytes(16),
  mode: fc.constantFrom("open" as const, "confirmed" as const),
  seed: bytes(32),
  inviter: bytes(32),
});
const welcome = fc.record(
  {
    spaceName: fc.string({ maxLength: 30 }),
    inviterName: fc.string({ maxLength: 30 }),
    ops: fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 4 }),
    keys: fc.array(fc.record({ epoch: fc.nat({ max: 0xffffffff }), key: bytes(32) }), {
      maxLength: 3,
    }),
    snapshot: fc.uint8Array({ maxLength: 80 }),
    targets: fc.array(bytes(32), { maxLength: 3 }),
    inviter: fc.record({
      user: bytes(32),
      deviceSign: bytes(32),
      deviceBox: bytes(32),
      name: fc.string({ maxLength: 20 }),
      createdAt: fc.nat({ max: 2 ** 40 }),
      signature: bytes(64),
    }),
    refusal: fc.constantFrom(...REFUSALS),
  },
  { requiredKeys: ["spaceName", "inviterName", "ops", "keys", "snapshot", "targets"] },
);

describe("invite links", () => {
  it("round-trip through https and grove:// links", () => {
    fc.assert(
      fc.property(link, (l) => {
        const url = inviteUrl("https://relay.example.org/", l);
        expect(url.startsWith("https://relay.example.org/join#")).toBe(true);
        expect(parseInviteUrl(url)).toEqual(l);
        expect(parseInviteUrl(`grove://join#${encodeInvitePayload(l)}`)).toEqual(l);
        expect(parseInviteUrl(`  ${encodeInvitePayload(l)}\n`)).toEqual(l);
      }),
    );
  });

  it("arbitrary and mutated links throw only DecodeError", () => {
    const valid = encodeInvitePayload({
      relayUrl: "wss://relay.example.org",
      spaceId: new Uint8Array(16),
      mode: "open",
      seed: new Uint8Array(32),
      inviter: new Uint8Array(32),
    });
    const input = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .tuple(fc.nat(valid.length - 1), fc.string({ minLength: 1, maxLength: 2 }))
        .map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1)),
      fc.string().map((s) => `https://evil.example/${s}#${valid}`),
    );
    fc.assert(
      fc.property(input, (text) => {
        expectOnlyDecodeErrors(() => parseInviteUrl(text));
        expectOnlyDecodeErrors(() => decodeInvitePayload(text));
      }),
      { numRuns: 3000 },
    );
  });

  it("a link to another page or a non-websocket relay is refused", () => {
    const l = {
      relayUrl: "ws://127.0.0.1:1",
      spaceId: new Uint8Array(16),
      mode: "open" as const,
      seed: new Uint8Array(32),
      inviter: new Uint8Array(32),
    };
    expect(() => parseInviteUrl(`https://x.example/other#${encodeInvitePayload(l)}`)).toThrow(
      DecodeError,
    );
    expect(() => encodeAndParse({ ...l, relayUrl: "javascript:alert(1)" })).toThrow(DecodeError);
  });

  it("derives distinct keys per seed, and channel epochs with the high bit set", () => {
    fc.assert(
      fc.property(bytes(32), bytes(32), (a, b) => {
        fc.pre(a.some((x, i) => x !== b[i]));
        const [ka, kb] = [inviteKeys(a), inviteKeys(b)];
        expect(ka.sign.publicKey).not.toEqual(kb.sign.publicKey);
        expect(ka.channelKey).not.toEqual(kb.channelKey);
        const epoch = channelEpoch(ka.sign.publicKey);
        expect(epoch).toBeGreaterThanOrEqual(0x80000000);
        expect(epoch).toBeLessThanOrEqual(0xffffffff);
      }),
      { numRuns: 100 },
    );
  });
});

function encodeAndParse(l: Parameters<typeof encodeInvitePayload>[0]) {
  return parseInviteUrl(encodeInvitePayload(l));
}

describe("welcome", () => {
  it("round-trips, and arbitrary or mutated bytes throw only DecodeError", () => {
    fc.assert(
      fc.property(welcome, (w) => {
        expect(decodeWelcome(encodeWelcome(w))).toEqual(w);
      }),
    );
    const valid = encodeWelcome({
      spaceName: "Trip",
      inviterName: "Ann",
      ops: [new Uint8Array(10)],
      keys: [{ epoch: 7, key: new Uint8Array(32) }],
      snapshot: new Uint8Array(5),
      targets: [new Uint8Array(32)],
      refusal: "INVITE_USED",
    });
    const input = hostileBytes([valid]);
    fc.assert(
      fc.property(input, (b) => {
        expectOnlyDecodeErrors(() => decodeWelcome(b));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("invitation mail", () => {
  it("keeps hostile names out of the headers and the link intact in the body and mailto", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary" }),
        link,
        (inviterName, spaceName, l) => {
          const url = inviteUrl("https://relay.example.org", l);
          const mail = composeInviteMail({
            inviterName,
            spaceName,
            url,
            mode: l.mode,
            expiresAt: Date.UTC(2027, 0, 1),
          });
          expect(mail.subject).not.toMatch(/[\r\n]/);
          // What the relay's MAIL_SEND accepts, checked by the same rule it uses.
          expect(mailSendProblem({ to: "bob@example.org", ...mail })).toBeUndefined();
          expect(mail.text.split("\n")).toContain(url);
          const mailto = new URL(mailtoUrl(["bob@example.org", "cy@example.org"], mail));
          expect(decodeURIComponent(mailto.pathname)).toBe("bob@example.org,cy@example.org");
          expect(mailto.searchParams.get("subject")).toBe(mail.subject);
          expect(mailto.searchParams.get("body")).toBe(mail.text.replace(/\n/g, "\r\n"));
        },
      ),
    );
  });
});
