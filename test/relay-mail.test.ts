/**
 * Invitation mail through the relay: a real relay process sends through a
 * real SMTP server (smtp-server on loopback), and the test reads what that
 * server received. Covers the relay's own template (issue 16, finding 4:
 * no free-form subject or body, only this relay's join link), older apps'
 * MAIL_SEND, a relay without SMTP, refusals by and failures of the SMTP
 * server (the relay keeps serving), header injection (refused before
 * anything reaches SMTP), the per-device, per-address and relay budgets, a
 * link that drops before the answer, and logs that hold no address,
 * subject or text.
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { RelayError } from "../core/sync/relay-transport.js";
import type { WebSocketLike } from "../core/sync/websocket.js";
import { RELAY_FEATURE_MAIL } from "../core/wire/frame-types.js";
import { RelayErrorCode } from "../core/wire/relay-errors.js";
import { ConfigError, resolveConfig } from "../relay/config.js";
import { sanitizeName } from "../relay/invite-template.js";
import { WindowLimit } from "../relay/rate-limit.js";
import { seqBytes } from "./fixtures.js";
import { httpBase } from "./relay-attack.js";
import {
  connectWs,
  device,
  online,
  type RelayProcess,
  removeDir,
  startRelayProcess,
  type TestDevice,
  waitFor,
} from "./relay-harness.js";
import { RawClient } from "./relay-raw.js";
import { FROM, SMTP_PASS, SMTP_USER, TestSmtp } from "./smtp-harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const MAIL_PER_HOUR = 3;

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let smtp: TestSmtp;
let relay: RelayProcess;
const extraRelays: RelayProcess[] = [];
const devices: TestDevice[] = [];

beforeAll(async () => {
  smtp = await TestSmtp.start();
  relay = await startRelayProcess({
    args: [
      "--smtp-url",
      smtp.url,
      "--smtp-from",
      FROM,
      "--mail-per-hour",
      String(MAIL_PER_HOUR),
      "--log-level",
      "debug",
    ],
  });
});

afterAll(async () => {
  for (const d of devices) await d.client.stop();
  for (const r of [relay, ...extraRelays]) {
    if (!r) continue;
    await r.kill();
    removeDir(r.dataDir);
  }
  await smtp?.close();
});

/** An invitation to `to` with a join link on relay `r` (the only kind a relay mails). */
function invite(to: string, r: RelayProcess = relay, secret = "c2VjcmV0LWpvaW4ta2V5") {
  return {
    to,
    inviterName: "Ann",
    spaceName: "Garden plans",
    link: `${httpBase(r.url)}/join#${secret}`,
  };
}

async function onlineDevice(url = relay.url, connect = connectWs): Promise<TestDevice> {
  const d = await device(url, { connect });
  devices.push(d);
  d.client.start();
  await online(d.client);
  return d;
}

async function rejection(promise: Promise<unknown>): Promise<RelayError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(RelayError);
    return err as RelayError;
  }
  throw new Error("expected a rejection");
}

async function metrics(r: RelayProcess): Promise<string> {
  return (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
}

/** The relay's log, once it holds `count` mail lines with this outcome. */
async function logsAfter(r: RelayProcess, outcome: string, count = 1): Promise<string> {
  const lines = () => r.logs.filter((l) => l.includes(`"outcome":"${outcome}"`)).length;
  await waitFor(() => lines() >= count, `${count} "${outcome}" mail log lines`);
  return r.logs.join("\n");
}

function expectNoneOf(logs: string, secrets: string[]): void {
  for (const secret of secrets) expect(logs, `log holds ${secret}`).not.toContain(secret);
}

/** One device SENDs to another through the relay: proof the relay still serves. */
async function relayStillServes(url: string): Promise<void> {
  const a = await onlineDevice(url);
  const b = await onlineDevice(url);
  await a.client.send([b.keys.publicKey], seqBytes(120, 5));
  await waitFor(() => b.received.length === 1, "delivery after a mail refusal");
}

describe("invitation mail through the relay", () => {
  it("composes the mail from its own template around the sender's facts; ACK after SMTP took it", async () => {
    const a = await onlineDevice();
    const secret = "Zm9vYmFyLXNlY3JldC1pbnZpdGUta2V5LTAxMjM0NTY3ODk";
    const link = `${httpBase(relay.url)}/join#${secret}`;
    const to = "bob.smith+grove@mail.example.org";
    // The relay says it has mail, so the app may offer "Send through relay".
    await expect.poll(() => a.client.info.mail).toBe(true);
    const inviterName = "Alice\u202e <b>evil.com</b>\r\nBcc: eve@evil.example";
    const before = smtp.received.length;
    await a.client.sendInvite({ to, inviterName, spaceName: "Garden club 🌱", link });
    // Acked only once the SMTP server had it.
    expect(smtp.received.length).toBe(before + 1);
    const got = smtp.received.at(-1)!;
    expect(got.mailFrom).toBe(FROM);
    expect(got.rcptTo).toEqual([to]);
    const parsed = await simpleParser(got.raw);
    expect(parsed.from?.value.map((v) => v.address)).toEqual([FROM]);
    const toHeader = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
    expect(toHeader.flatMap((t) => t?.value.map((v) => v.address))).toEqual([to]);
    const name = sanitizeName(inviterName);
    expect(name).toBe("Alice bevilcomb Bcc eveevilexample");
    expect(parsed.subject).toBe(`${name} invites you to "Garden club 🌱" on Grove`);
    const lines = parsed.text!.split("\n");
    expect(lines.filter((l) => l.includes("://"))).toEqual([link]);
    expect(parsed.text).toContain("Whoever holds the link can use it");
    expect(got.raw.toString()).not.toMatch(/evil\.com|<b>|\u202e/);
    expect(parsed.headers.get("bcc")).toBeUndefined();
    expect(parsed.headers.get("cc")).toBeUndefined();

    expect(await metrics(relay)).toContain('grove_relay_mail_total{outcome="sent"} 1');
    const logs = await logsAfter(relay, "sent");
    expect(logs).toMatch(/"smtpCode":250/);
    expect(logs).toContain(toHex(a.keys.publicKey).slice(0, 12));
    expectNoneOf(logs, [to, "bob.smith", "Garden", secret, link, "Alice", SMTP_PASS]);
  });

  it("an older app's MAIL_SEND in Grove's template still goes out, in the relay's words", async () => {
    const a = await onlineDevice();
    const { link } = invite("x@example.org");
    const subject = 'Ann invites you to "Garden plans" on Grove';
    const text = `Ann invites you.\n\nBuy cheap pills at https://spam.example/now\n\n${link}\n`;
    await a.client.sendMail({
      to: "bob@example.org",
      subject,
      text: text.replace("https://spam.example/now", "spam.example"),
    });
    const parsed = await simpleParser(smtp.received.at(-1)!.raw);
    expect(parsed.subject).toBe(subject);
    expect(parsed.text).toContain(`\n${link}\n`);
    expect(parsed.text).not.toContain("pills");
  });

  it("refuses free-form mail and foreign links with MAIL_TEMPLATE_REQUIRED; nothing reaches SMTP", async () => {
    const a = await onlineDevice();
    const connections = smtp.connections;
    const spam = {
      to: "victim@example.com",
      subject: "You won!",
      text: "Claim at https://spam.example",
    };
    const freeForm = await rejection(a.client.sendMail(spam));
    expect(freeForm.code).toBe("MAIL_TEMPLATE_REQUIRED");
    expect(freeForm.message).toContain("MAIL_INVITE");
    const foreign = await rejection(
      a.client.sendInvite({
        ...invite("victim@example.com"),
        link: "https://phish.example/join#abc",
      }),
    );
    expect(foreign.code).toBe("MAIL_TEMPLATE_REQUIRED");
    expect(foreign.message).toContain(`${httpBase(relay.url)}/join#`);
    const legacyForeign = await rejection(
      a.client.sendMail({
        to: "victim@example.com",
        subject: 'Ann invites you to "Prize" on Grove',
        text: "https://phish.example/join#abc",
      }),
    );
    expect(legacyForeign.code).toBe("MAIL_TEMPLATE_REQUIRED");
    expect(smtp.connections).toBe(connections);
    expect(await metrics(relay)).toContain('grove_relay_mail_total{outcome="not_invitation"} 3');
  });

  it("MAIL_REFUSED with the SMTP code when the server refuses the recipient; the relay keeps serving", async () => {
    const a = await onlineDevice();
    const to = "nobody@refuse.example";
    const err = await rejection(a.client.sendInvite(invite(to, relay, "secret-text-4471")));
    expect(err.code).toBe("MAIL_REFUSED");
    expect(err.message).toContain("550");
    expect(err.message).not.toContain(to);
    expect(a.client.status).toBe("online");
    // The same device goes on: another mail goes out, and other devices' sends still work.
    await a.client.sendInvite(invite("carol@example.com"));
    await relayStillServes(relay.url);

    expect(await metrics(relay)).toMatch(/grove_relay_mail_total\{outcome="refused"\} [1-9]/);
    const logs = await logsAfter(relay, "refused");
    expect(logs).toMatch(/"outcome":"refused","smtpCode":550,"reason":"EENVELOPE"/);
    expectNoneOf(logs, [to, "nobody", "Garden", "secret-text-4471", "carol@"]);
  });

  it("MAIL_REFUSED when the SMTP server cannot be reached; settings from GROVE_RELAY_* variables", async () => {
    const port = await closedPort();
    const r = await startRelayProcess({
      env: {
        GROVE_RELAY_SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${port}`,
        GROVE_RELAY_SMTP_FROM: FROM,
      },
    });
    extraRelays.push(r);
    expect(r.logs.join("\n")).toContain('"mail":true');
    const a = await onlineDevice(r.url);
    const err = await rejection(a.client.sendInvite(invite("dave@example.com", r, "unreachable")));
    expect(err.code).toBe("MAIL_REFUSED");
    expect(err.message).toMatch(/could not hand the mail to its SMTP server \(E[A-Z]+\)/);
    await relayStillServes(r.url);
    const logs = await logsAfter(r, "refused");
    expectNoneOf(logs, ["dave@example.com", "unreachable", SMTP_PASS, `:${port}`]);
  });

  it("MAIL_UNAVAILABLE from a relay with no SMTP configured", async () => {
    const r = await startRelayProcess();
    extraRelays.push(r);
    expect(r.logs.join("\n")).toContain('"mail":false');
    const a = await onlineDevice(r.url);
    // It says so after every AUTH_OK: the app does not offer what would fail.
    const raw = await RawClient.open(r.url);
    await raw.login(generateDeviceKeys().sign, r.url);
    expect((await raw.next("relayInfo")).features & RELAY_FEATURE_MAIL).toBe(0);
    raw.close();
    expect(a.client.info.mail).toBe(false);
    const err = await rejection(a.client.sendInvite(invite("erin@example.com", r, "nosmtphere")));
    expect(err.code).toBe("MAIL_UNAVAILABLE");
    expect(err.ref).toBeDefined();
    expect(await metrics(r)).toContain('grove_relay_mail_total{outcome="unavailable"} 1');
    expect(await metrics(r)).toContain('grove_relay_mail_total{outcome="sent"} 0');
    expectNoneOf(await logsAfter(r, "unavailable"), ["erin@example.com", "nosmtphere"]);
  });

  it("refuses header injection in to or subject before anything reaches SMTP", async () => {
    const attempts = [
      { to: "bob@example.com\r\nBcc: eve@evil.example", subject: "Invite" },
      { to: "bob@example.com\nBcc: eve@evil.example", subject: "Invite" },
      { to: "bob@example.com, eve@evil.example", subject: "Invite" },
      { to: "Bob <bob@example.com>", subject: "Invite" },
      { to: "<eve@evil.example>", subject: "Invite" },
      { to: "bob @example.com", subject: "Invite" },
      { to: "bob@example.com", subject: "Invite\r\nBcc: eve@evil.example" },
      { to: "bob@example.com", subject: "Invite\nBcc: eve@evil.example" },
      { to: "bob@example.com", subject: "Invite\r\n\r\nforged body" },
    ];
    const connections = smtp.connections;
    const received = smtp.received.length;

    // The app refuses them itself, without a byte on the wire.
    const a = await onlineDevice();
    const bytesBefore = a.client.bytesSent;
    for (const attempt of attempts) {
      const err = await rejection(a.client.sendMail({ ...attempt, text: "x" }));
      expect(err.code, JSON.stringify(attempt)).toBe("INVALID_MAIL");
    }
    expect(a.client.bytesSent).toBe(bytesBefore);

    // A device that sends them anyway gets BAD_FRAME naming each request.
    const raw = await RawClient.open(relay.url);
    await raw.login(generateDeviceKeys().sign, relay.url);
    for (const [i, attempt] of attempts.entries()) {
      const msgId = seqBytes(16, 0x40 + i);
      const from = raw.frames.length;
      raw.send({ type: "mailSend", msgId, ...attempt, text: "x" });
      const error = await raw.next("error", from);
      expect(error.code, JSON.stringify(attempt)).toBe(RelayErrorCode.BAD_FRAME);
      expect(error.ref).toEqual(msgId);
      expect(error.message).not.toContain("evil");
    }
    // And the connection still serves a valid one afterwards (the proof the relay read them all).
    const ok = seqBytes(16, 0x70);
    raw.send({ type: "mailInvite", msgId: ok, ...invite("frank@example.com") });
    expect((await raw.next("ack", 0)).msgId).toEqual(ok);
    raw.close();

    expect(smtp.connections).toBe(connections + 1);
    expect(smtp.received.length).toBe(received + 1);
    expect(smtp.received.at(-1)!.rcptTo).toEqual(["frank@example.com"]);
    expect(smtp.received.some((m) => m.raw.includes("evil.example"))).toBe(false);
    expectNoneOf(await logsAfter(relay, "invalid", attempts.length), ["evil.example", "forged"]);
  });

  it(`refuses the ${MAIL_PER_HOUR + 1}th mail in an hour from one device with RATE_LIMITED, not another device's`, async () => {
    const a = await onlineDevice();
    for (let i = 0; i < MAIL_PER_HOUR; i++) {
      await a.client.sendInvite(invite(`guest${i}@example.com`));
    }
    const err = await rejection(a.client.sendInvite(invite("one-too-many@example.com")));
    expect(err.code).toBe("RATE_LIMITED");
    expect(err.message).toContain(`${MAIL_PER_HOUR} mails per hour`);
    expect(smtp.received.some((m) => m.rcptTo.includes("one-too-many@example.com"))).toBe(false);
    const b = await onlineDevice();
    await b.client.sendInvite(invite("guest@example.com"));
    expect(await metrics(relay)).toContain('grove_relay_mail_total{outcome="rate_limited"} 1');
    expectNoneOf(await logsAfter(relay, "rate_limited"), ["one-too-many"]);
  });

  it("budgets mail per address and for the whole relay, whatever the device keys", async () => {
    const r = await startRelayProcess({
      args: [
        "--smtp-url",
        smtp.url,
        "--smtp-from",
        FROM,
        "--mail-per-source-per-hour",
        "2",
        "--mail-total-per-hour",
        "3",
      ],
    });
    extraRelays.push(r);
    // The attack: a fresh key per mail, all from one address.
    const mailFrom = async (address: string, n: number) => {
      const c = await RawClient.open(r.url, address);
      await c.login(generateDeviceKeys().sign, r.url);
      c.send({ type: "mailInvite", msgId: seqBytes(16, n), ...invite(`spam${n}@example.com`, r) });
      const answer = await Promise.race([c.next("ack"), c.next("error")]);
      c.close();
      return answer;
    };
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await mailFrom("127.0.0.51", i));
    expect(answers.map((a) => a.type)).toEqual(["ack", "ack", "error", "error"]);
    expect(answers[2]).toMatchObject({ code: RelayErrorCode.RATE_LIMITED });
    expect((answers[2] as { message: string }).message).toContain("from one address");
    expect((await mailFrom("127.0.0.52", 10)).type).toBe("ack");
    const relayWide = await mailFrom("127.0.0.53", 11);
    expect(relayWide).toMatchObject({ type: "error", code: RelayErrorCode.RATE_LIMITED });
    expect((relayWide as { message: string }).message).toContain("3 mails per hour");
  });

  it("rejects with CONNECTION_LOST when the link drops before the relay answered", async () => {
    const sockets: WebSocketLike[] = [];
    const a = await onlineDevice(relay.url, (url) => {
      const ws = connectWs(url);
      sockets.push(ws);
      return ws;
    });
    const pending = a.client.sendInvite(invite("slow@hold.example"));
    await waitFor(() => smtp.held.length === 1, "the SMTP server to hold the recipient");
    sockets.at(-1)!.close();
    const err = await rejection(pending);
    expect(err.code).toBe("CONNECTION_LOST");
    expect(err.message).toMatch(/may or may not have been sent/);
    smtp.held.shift()!();
    await waitFor(
      () => smtp.received.some((m) => m.rcptTo.includes("slow@hold.example")),
      "the held mail to finish",
    );
  });

  it("a device that is not online is told so at once", async () => {
    const d = await device(relay.url);
    const err = await rejection(d.client.sendInvite(invite("g@example.com")));
    expect(err.code).toBe("OFFLINE");
  });
});

describe("mail settings", () => {
  it("--help lists the mail flags with their environment variables", () => {
    const help = spawnSync(process.execPath, ["--import", "tsx", "relay/main.ts", "--help"], {
      cwd: ROOT,
    }).stdout.toString();
    for (const text of [
      "--smtp-url",
      "--smtp-from",
      "--mail-per-hour",
      "GROVE_RELAY_SMTP_URL",
      "GROVE_RELAY_SMTP_FROM",
      "GROVE_RELAY_MAIL_PER_HOUR",
    ]) {
      expect(help).toContain(text);
    }
  });

  it("refuses half or unsafe SMTP settings without echoing the password", () => {
    const url = `smtp://u:${SMTP_PASS}@127.0.0.1:2525`;
    const problems: [Partial<Parameters<typeof resolveConfig>[0]>, RegExp][] = [
      [{ smtpUrl: url }, /needs smtpFrom/],
      [{ smtpFrom: FROM }, /smtpUrl is not/],
      [{ smtpUrl: `http://u:${SMTP_PASS}@h`, smtpFrom: FROM }, /smtp:\/\/ or smtps:\/\//],
      [{ smtpUrl: `${url}?debug=true`, smtpFrom: FROM }, /must not set debug/],
      [{ smtpUrl: `${url}?logger=true`, smtpFrom: FROM }, /must not set logger/],
      [{ smtpUrl: url, smtpFrom: "Grove <invites@relay.example>" }, /smtpFrom is not a plain/],
      [{ smtpUrl: "not a url", smtpFrom: FROM }, /not a URL/],
      [{ mailPerHour: 0 }, /mailPerHour/],
    ];
    for (const [partial, message] of problems) {
      let thrown: unknown;
      try {
        resolveConfig(partial);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(partial)).toBeInstanceOf(ConfigError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain(SMTP_PASS);
    }
    expect(
      resolveConfig({ smtpUrl: `smtps://u:${SMTP_PASS}@smtp.example.com`, smtpFrom: FROM }),
    ).toMatchObject({ mailPerHour: 20 });
    const bad = spawnSync(
      process.execPath,
      ["--import", "tsx", "relay/main.ts", "--smtp-url", url],
      { cwd: ROOT },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr.toString()).toMatch(/needs smtpFrom/);
    expect(bad.stderr.toString() + bad.stdout.toString()).not.toContain(SMTP_PASS);
  });

  it("the hourly budget is a sliding window", () => {
    let now = 0;
    const limit = new WindowLimit(2, 3600_000, () => now);
    expect(limit.take("a")).toBe(true);
    now = 1000;
    expect(limit.take("a")).toBe(true);
    expect(limit.take("a")).toBe(false);
    expect(limit.take("b")).toBe(true);
    now = 3600_000; // the first left the window, the second has not
    expect(limit.take("a")).toBe(true);
    expect(limit.take("a")).toBe(false);
    now = 3 * 3600_000;
    limit.prune();
    expect(limit.size).toBe(0);
  });
});
