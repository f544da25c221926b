/**
 * Invitation mail through the relay: a real relay process sends through a
 * real SMTP server (smtp-server on loopback), and the test reads what that
 * server received. Covers delivery, a relay without SMTP, refusals by and
 * failures of the SMTP server (the relay keeps serving), header injection
 * (refused before anything reaches SMTP), the per-device budget, a link that
 * drops before the answer, and logs that hold no address, subject or text.
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { RelayError } from "../core/sync/relay-transport.js";
import type { WebSocketLike } from "../core/sync/websocket.js";
import { RelayErrorCode } from "../core/wire/relay-errors.js";
import { ConfigError, resolveConfig } from "../relay/config.js";
import { WindowLimit } from "../relay/rate-limit.js";
import { seqBytes } from "./fixtures.js";
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
  it("hands the mail to SMTP: From, To, Subject and the text arrive intact; ACK after", async () => {
    const a = await onlineDevice();
    const secret = "k=Zm9vYmFyLXNlY3JldC1pbnZpdGUta2V5LTAxMjM0NTY3ODk";
    const url = `https://relay.example/join#${secret}&space=${"a1b2c3d4".repeat(20)}&name=Garden%20club`;
    const to = "bob.smith+grove@mail.example.org";
    const subject = "Alice invites you to “Garden club” on Grove";
    const text = [
      "Hi Bob,",
      "",
      "Alice invites you to the space “Garden club”. Open this link to join:",
      url,
      ".",
      "From here on it is end-to-end encrypted. Ünïcödé and emoji 🌱 survive too.",
      "-- ",
      "Grove",
    ].join("\n");
    const before = smtp.received.length;
    await a.client.sendMail({ to, subject, text });
    // Acked only once the SMTP server had it.
    expect(smtp.received.length).toBe(before + 1);
    const got = smtp.received.at(-1)!;
    expect(got.mailFrom).toBe(FROM);
    expect(got.rcptTo).toEqual([to]);
    const parsed = await simpleParser(got.raw);
    expect(parsed.from?.value.map((v) => v.address)).toEqual([FROM]);
    const toHeader = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
    expect(toHeader.flatMap((t) => t?.value.map((v) => v.address))).toEqual([to]);
    expect(parsed.subject).toBe(subject);
    expect(parsed.text?.replace(/\n$/, "")).toBe(text);
    expect(parsed.text).toContain(url);
    expect(parsed.headers.get("bcc")).toBeUndefined();
    expect(parsed.headers.get("cc")).toBeUndefined();

    expect(await metrics(relay)).toContain('grove_relay_mail_total{outcome="sent"} 1');
    const logs = await logsAfter(relay, "sent");
    expect(logs).toMatch(/"smtpCode":250/);
    expect(logs).toContain(toHex(a.keys.publicKey).slice(0, 12));
    expectNoneOf(logs, [to, "bob.smith", subject, "Garden", secret, url, "Alice", SMTP_PASS]);
  });

  it("MAIL_REFUSED with the SMTP code when the server refuses the recipient; the relay keeps serving", async () => {
    const a = await onlineDevice();
    const to = "nobody@refuse.example";
    const err = await rejection(
      a.client.sendMail({ to, subject: "Invite for nobody", text: "secret-text-4471" }),
    );
    expect(err.code).toBe("MAIL_REFUSED");
    expect(err.message).toContain("550");
    expect(err.message).not.toContain(to);
    expect(a.client.status).toBe("online");
    // The same device goes on: another mail goes out, and other devices' sends still work.
    await a.client.sendMail({ to: "carol@example.com", subject: "Invite", text: "hi" });
    await relayStillServes(relay.url);

    expect(await metrics(relay)).toMatch(/grove_relay_mail_total\{outcome="refused"\} [1-9]/);
    const logs = await logsAfter(relay, "refused");
    expect(logs).toMatch(/"outcome":"refused","smtpCode":550,"reason":"EENVELOPE"/);
    expectNoneOf(logs, [to, "nobody", "Invite for nobody", "secret-text-4471", "carol@"]);
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
    const err = await rejection(
      a.client.sendMail({ to: "dave@example.com", subject: "Invite", text: "unreachable" }),
    );
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
    const err = await rejection(
      a.client.sendMail({ to: "erin@example.com", subject: "Invite", text: "no smtp here" }),
    );
    expect(err.code).toBe("MAIL_UNAVAILABLE");
    expect(err.ref).toBeDefined();
    expect(await metrics(r)).toContain('grove_relay_mail_total{outcome="unavailable"} 1');
    expect(await metrics(r)).toContain('grove_relay_mail_total{outcome="sent"} 0');
    expectNoneOf(await logsAfter(r, "unavailable"), ["erin@example.com", "no smtp here"]);
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
    raw.send({ type: "mailSend", msgId: ok, to: "frank@example.com", subject: "Ok", text: "y" });
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
      await a.client.sendMail({ to: `guest${i}@example.com`, subject: "Invite", text: `#${i}` });
    }
    const err = await rejection(
      a.client.sendMail({ to: "one-too-many@example.com", subject: "Invite", text: "over" }),
    );
    expect(err.code).toBe("RATE_LIMITED");
    expect(err.message).toContain(`${MAIL_PER_HOUR} mails per hour`);
    expect(smtp.received.some((m) => m.rcptTo.includes("one-too-many@example.com"))).toBe(false);
    const b = await onlineDevice();
    await b.client.sendMail({ to: "guest@example.com", subject: "Invite", text: "other device" });
    expect(await metrics(relay)).toContain('grove_relay_mail_total{outcome="rate_limited"} 1');
    expectNoneOf(await logsAfter(relay, "rate_limited"), ["one-too-many"]);
  });

  it("rejects with CONNECTION_LOST when the link drops before the relay answered", async () => {
    const sockets: WebSocketLike[] = [];
    const a = await onlineDevice(relay.url, (url) => {
      const ws = connectWs(url);
      sockets.push(ws);
      return ws;
    });
    const pending = a.client.sendMail({ to: "slow@hold.example", subject: "Invite", text: "z" });
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
    const err = await rejection(
      d.client.sendMail({ to: "g@example.com", subject: "s", text: "t" }),
    );
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
