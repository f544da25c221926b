/**
 * The attackers of the soak, each from addresses of its own and each doing
 * one of the things issue 16 found, in a loop until stopped. They count
 * what they tried; what the relay refused, and why, comes from its metrics.
 */
import { createHash } from "node:crypto";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { randomBytes } from "../core/crypto/random.js";
import { FLAG_EPHEMERAL, type Frame } from "../core/wire/frame-types.js";
import { deepJson, openFrom, signalPeer } from "../test/relay-attack.js";
import { RawClient } from "../test/relay-raw.js";

const MiB = 1024 * 1024;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HostileTraffic {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  readonly attempts: Record<string, number> = {};

  constructor(
    private readonly url: string,
    /** The absent member whose mailbox is flooded. */
    private readonly victim: Uint8Array,
    /** An honest device: the target of ephemeral floods. */
    private readonly honest: Uint8Array,
  ) {}

  /** Starts every attack, or only those whose names start with one of `only`. */
  start(only: string[] = []): void {
    const run = (name: string, loop: () => Promise<void>) => {
      if (only.length > 0 && !only.some((o) => name.startsWith(o))) return;
      this.attempts[name] = 0;
      this.loops.push(
        (async () => {
          while (!this.stopped) {
            try {
              await loop();
            } catch {
              // Refused, closed, timed out: all expected; go again.
              await pause(100);
            }
          }
        })(),
      );
    };
    run("deep_signal_json", () => this.deepSignalJson());
    run("non_reading_sockets", () => this.nonReaders());
    for (const [i, address] of ["127.0.2.3", "127.0.2.4", "127.0.2.5", "127.0.2.6"].entries()) {
      run(`mailbox_flood_${i + 1}`, () => this.mailboxFlood(address, `mailbox_flood_${i + 1}`));
    }
    run("key_minting", () => this.keyMinting());
    run("mail_abuse", () => this.mailAbuse());
    run("blob_abuse", () => this.blobAbuse());
    run("ephemeral_flood", () => this.ephemeralFlood());
    run("malformed_frames", () => this.malformed());
    run("socket_hoarding", () => this.socketHoarding());
  }

  async stop(): Promise<Record<string, number>> {
    this.stopped = true;
    await Promise.allSettled(this.loops);
    return this.attempts;
  }

  private count(name: string, n = 1): void {
    this.attempts[name] = (this.attempts[name] ?? 0) + n;
  }

  private async login(address: string, keys = generateDeviceKeys().sign): Promise<RawClient> {
    const c = await RawClient.open(this.url, address);
    try {
      await c.login(keys, this.url);
    } catch (err) {
      c.ws.terminate();
      throw err;
    }
    return c;
  }

  /** Sends and waits for the answer naming `msgId` (ack, partial ack or error), or a deadline. */
  private async answered(c: RawClient, frame: Frame & { msgId: Uint8Array }): Promise<void> {
    const from = c.frames.length;
    c.send(frame);
    const id = Buffer.from(frame.msgId).toString("hex");
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline && c.isOpen) {
      const hit = c.frames
        .slice(from)
        .some((f) =>
          f.type === "error"
            ? Buffer.from(f.ref).toString("hex") === id
            : (f.type === "ack" || f.type === "partialAck") &&
              Buffer.from(f.msgId).toString("hex") === id,
        );
      if (hit) return;
      await pause(5);
    }
  }

  private async deepSignalJson(): Promise<void> {
    const peer = await signalPeer(this.url, "127.0.2.1");
    peer.ws.send(`{"type":"publish","topic":"t","data":${deepJson(60_000)}}`);
    this.count("deep_signal_json");
    const deadline = performance.now() + 5000;
    while (!peer.closed && performance.now() < deadline) await pause(20);
    peer.ws.terminate();
    await pause(500);
  }

  /** Four devices that never read, and a sender of 1 MiB envelopes to them. */
  private async nonReaders(): Promise<void> {
    const keys = Array.from({ length: 4 }, () => generateDeviceKeys().sign);
    const readers = [];
    for (const k of keys) {
      const c = await this.login("127.0.2.2", k);
      c.stopReading();
      readers.push(c);
    }
    const sender = await this.login("127.0.2.2");
    const until = performance.now() + 40_000;
    while (!this.stopped && performance.now() < until && sender.isOpen) {
      await this.answered(sender, {
        type: "send",
        msgId: randomBytes(16),
        flags: 0,
        ttlSeconds: 600,
        targets: keys.map((k) => k.publicKey),
        envelope: randomBytes(MiB),
      });
      this.count("non_reading_sockets");
      sender.frames.length = 0;
    }
    for (const c of [...readers, sender]) c.ws.terminate();
  }

  /** Throwaway keys from one address fill the absent member's mailbox with 64 KiB envelopes. */
  private async mailboxFlood(address: string, name: string): Promise<void> {
    const c = await this.login(address);
    for (let i = 0; i < 50 && !this.stopped && c.isOpen; i++) {
      await this.answered(c, {
        type: "send",
        msgId: randomBytes(16),
        flags: 0,
        ttlSeconds: 3600,
        targets: [this.victim],
        envelope: randomBytes(64 * 1024),
      });
      c.frames.length = 0;
      this.count(name);
    }
    c.close();
  }

  private async keyMinting(): Promise<void> {
    this.count("key_minting");
    const c = await this.login("127.0.2.7");
    c.close();
    await pause(50);
  }

  private async mailAbuse(): Promise<void> {
    const c = await this.login("127.0.2.8");
    const link = `${this.url.replace(/^ws/, "http")}/join#c3BhbQ`;
    for (let i = 0; i < 30 && !this.stopped && c.isOpen; i++) {
      const to = `victim${i}@spam-target${i % 6}.example`;
      const kind = i % 3;
      await this.answered(
        c,
        kind === 0
          ? {
              type: "mailSend",
              msgId: randomBytes(16),
              to,
              subject: "You won a prize",
              text: "Claim it at https://phish.example/claim",
            }
          : {
              type: "mailInvite",
              msgId: randomBytes(16),
              to,
              inviterName: "Prize Office",
              spaceName: "",
              link: kind === 1 ? "https://phish.example/join#abc" : link,
            },
      );
      c.frames.length = 0;
      this.count("mail_abuse");
      await pause(50);
    }
    c.close();
  }

  private async blobAbuse(): Promise<void> {
    const c = await this.login("127.0.2.9");
    for (let i = 0; i < 20 && !this.stopped && c.isOpen; i++) {
      const data = randomBytes(MiB - 64);
      const hash = new Uint8Array(createHash("sha256").update(data).digest());
      const from = c.frames.length;
      c.send({ type: "blobPut", hash, data });
      this.count("blob_abuse");
      const deadline = performance.now() + 10_000;
      while (c.isOpen && performance.now() < deadline && c.frames.length === from) await pause(5);
      c.frames.length = 0;
    }
    c.close();
  }

  private async ephemeralFlood(): Promise<void> {
    const c = await this.login("127.0.2.10");
    for (let i = 0; i < 200 && !this.stopped && c.isOpen; i++) {
      for (let j = 0; j < 10; j++) {
        c.send({
          type: "send",
          msgId: randomBytes(16),
          flags: FLAG_EPHEMERAL,
          ttlSeconds: 0,
          targets: [this.honest],
          envelope: randomBytes(256),
        });
      }
      this.count("ephemeral_flood", 10);
      c.frames.length = 0;
      await pause(10);
    }
    c.close();
  }

  private async malformed(): Promise<void> {
    const c = await this.login("127.0.2.11");
    while (!this.stopped && c.isOpen) {
      const junk = randomBytes(2 + Math.floor(Math.random() * 200));
      junk[0] = 1;
      c.send(junk);
      this.count("malformed_frames");
      c.frames.length = 0;
      await pause(2);
    }
    c.ws.terminate();
  }

  private async socketHoarding(): Promise<void> {
    const tries = [
      ...Array.from({ length: 60 }, () => openFrom(`${this.url}/signal`, "127.0.2.12")),
      ...Array.from({ length: 30 }, () => openFrom(`${this.url}/v1`, "127.0.2.12")),
    ];
    const opened = await Promise.all(tries);
    this.count("socket_hoarding", opened.length);
    const until = performance.now() + 5000;
    while (!this.stopped && performance.now() < until) await pause(100);
    for (const o of opened) o.ws.terminate();
  }
}
