/**
 * The relay's invitation template (issue 16, finding 4): whatever a device
 * sends as names, the mail's subject stays one line with no link, markup,
 * header or bidi trickery, and only this relay's join link is ever mailed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  composeInvite,
  factsFromLegacyMail,
  isOwnJoinLink,
  NAME_MAX_CHARS,
  sanitizeName,
} from "../relay/invite-template.js";

const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      ..."<>/:@.[](){}\"'`\\\r\n\t\u202e\u2066\u200b\u0000\u0085\u2028 aé😀".split(""),
    ),
    fc.string({ maxLength: 1 }),
    fc.constantFrom("https://evil.example", "evil.com", "Bcc: x@y.z", "javascript:"),
  ),
  maxLength: 120,
});

describe("sanitizeName", () => {
  it("leaves no control, bidi or link-building character, and no dot inside a word", () => {
    fc.assert(
      fc.property(hostile, (raw) => {
        const name = sanitizeName(raw);
        expect([...name].length).toBeLessThanOrEqual(NAME_MAX_CHARS);
        expect(name).not.toMatch(/[\p{Cc}<>/:@[\](){}"`\\\u202e\u2066\u200b\u2028]/u);
        expect(name).not.toMatch(/\.\S/);
        expect(name).toBe(name.trim());
      }),
      { numRuns: 5000 },
    );
  });

  it("keeps what names are made of", () => {
    expect(sanitizeName("  José  O'Brien-Núñez ")).toBe("José O'Brien-Núñez");
    expect(sanitizeName("J. Smith")).toBe("J. Smith");
    expect(sanitizeName("李小龙 🌱")).toBe("李小龙 🌱");
    expect(sanitizeName("evil.com")).toBe("evilcom");
  });
});

describe("composeInvite", () => {
  it("writes a one-line subject and mails exactly the given link", () => {
    const link = "https://relay.example/join#abc_DEF-1";
    fc.assert(
      fc.property(hostile, hostile, (inviterName, spaceName) => {
        const mail = composeInvite({ inviterName, spaceName, link }, "relay.example");
        expect(mail.subject).not.toMatch(/[\r\n]/);
        expect(mail.text.match(/https?:\/\/\S+/g)).toEqual([link]);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("legacy MAIL_SEND and links", () => {
  it("reads facts from any text without throwing", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (subject, text) => {
        const facts = factsFromLegacyMail(subject, text);
        if (facts) expect(facts.link).toMatch(/\/join#/);
      }),
      { numRuns: 3000 },
    );
  });

  it("accepts only this relay's own join page", () => {
    const own = "https://relay.example";
    expect(isOwnJoinLink("https://relay.example/join#abc", own)).toBe(true);
    expect(
      isOwnJoinLink("https://relay.example/grove/join#abc", "https://relay.example/grove"),
    ).toBe(true);
    for (const link of [
      "https://relay.example.evil/join#abc",
      "http://relay.example/join#abc",
      "https://relay.example/join?x#abc",
      "https://u@relay.example/join#abc",
      "https://relay.example/other/join#abc",
      "https://relay.example/join#a<b",
      "not a url",
    ]) {
      expect(isOwnJoinLink(link, own), link).toBe(false);
    }
  });
});
