/**
 * The mesh's own reading of y-webrtc's signaling: the sealed message codec
 * (core/sync/signal-seal.ts), which takes input from the network, and the
 * rule that one side alone offers on a link (core/sync/dom-one-initiator.ts).
 * That y-webrtc reads what the codec seals is shown in Chromium by
 * test/e2e/mesh-links.spec.ts (its rooms with one browser first link only
 * through an announce sealed here).
 */
import fc from "fast-check";
import * as buffer from "lib0/buffer";
import * as encoding from "lib0/encoding";
import { describe, expect, it, vi } from "vitest";
import {
  ANNOUNCE_BACK_BURST,
  ANNOUNCE_BACK_PER_SECOND,
  lowerIdOffers,
  offers,
  verdict,
} from "../core/sync/dom-one-initiator.js";
import { openSignal, SignalSealError, sealSignal, signalKey } from "../core/sync/signal-seal.js";

const key = await signalKey("a room password", "grove-room");
const otherKey = await signalKey("another password", "grove-room");

/** Keys of a message Grove seals: any string but `__proto__`, which sealing refuses (below). */
const message = fc.dictionary(
  fc.string({ maxLength: 12 }).filter((k) => k !== "__proto__"),
  fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
  { maxKeys: 6 },
);

/**
 * Seals any value as a hostile room member could, with lib0 and WebCrypto
 * directly: none of sealSignal's checks.
 */
async function sealRaw(value: unknown): Promise<string> {
  const plain = encoding.createEncoder();
  encoding.writeAny(plain, value as Parameters<typeof encoding.writeAny>[1]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cipher = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv },
      key,
      encoding.toUint8Array(plain) as BufferSource,
    ),
  );
  const frame = encoding.createEncoder();
  encoding.writeVarString(frame, "AES-GCM");
  encoding.writeVarUint8Array(frame, iv);
  encoding.writeVarUint8Array(frame, cipher);
  return buffer.toBase64(encoding.toUint8Array(frame));
}

/** An object with an own `__proto__` key, as JSON.parse makes one. */
function withProtoKey(value: unknown, rest: Record<string, unknown> = {}): object {
  const out: Record<string, unknown> = { ...rest };
  Object.defineProperty(out, "__proto__", { value, enumerable: true, writable: true });
  return out;
}

async function refusal(data: unknown, k = key): Promise<SignalSealError> {
  try {
    await openSignal(data, k);
  } catch (err) {
    if (err instanceof SignalSealError) return err;
    throw err;
  }
  throw new Error("opened");
}

describe("sealed signaling messages", () => {
  it("open to what was sealed, under the room key", async () => {
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        expect(await openSignal(await sealSignal(m, key), key)).toEqual(m);
      }),
      { numRuns: 60 },
    );
  });

  it("refuse any text that was not sealed, with a typed error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.base64String(), fc.anything()), async (data) => {
        expect(["MALFORMED", "UNKNOWN_ALGORITHM", "NOT_OPENED"]).toContain(
          (await refusal(data)).code,
        );
      }),
      { numRuns: 200 },
    );
  });

  it("refuse a sealed message with any byte changed, and one sealed under another key", async () => {
    const sealed = await sealSignal({ type: "announce", from: "a" }, key);
    expect((await refusal(sealed, otherKey)).code).toBe("NOT_OPENED");
    const bytes = Uint8Array.from(atob(sealed), (c) => c.charCodeAt(0));
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, flip) => {
          const changed = bytes.slice();
          changed[at] = (changed[at] ?? 0) ^ flip;
          await refusal(btoa(String.fromCharCode(...changed)));
        },
      ),
      { numRuns: 120 },
    );
  });

  it("refuse a sealed message that would set an object's prototype (a `__proto__` key, at any depth)", async () => {
    // lib0's readAny assigns keys, so `__proto__` would make a prototype of the sender's choosing:
    // the message would then answer `type` or `to` from it without holding them.
    const poisoned = [
      withProtoKey({ type: "announce", to: "me" }, { from: "mallory" }),
      withProtoKey(null),
      { type: "signal", from: "mallory", signal: withProtoKey({ sdp: "x" }) },
      { type: "signal", list: [withProtoKey([1, 2])] },
    ];
    for (const value of poisoned) {
      expect((await refusal(await sealRaw(value))).code).toBe("MALFORMED");
    }
    // One whose value sets no prototype (a string) only vanishes on opening: nothing to refuse.
    expect(Object.getPrototypeOf(await openSignal(await sealRaw(withProtoKey("text")), key))).toBe(
      Object.prototype,
    );
    // And Grove never seals one.
    await expect(sealSignal(withProtoKey(null, { type: "announce" }), key)).rejects.toThrow(
      SignalSealError,
    );
  });

  it("refuse text too long to be a signaling message before decoding it", async () => {
    expect((await refusal("A".repeat(70_000))).code).toBe("MALFORMED");
  });
});

describe("one side alone offers on a link", () => {
  const id = fc.uuid();

  it("of two distinct peers exactly one offers", () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        fc.pre(a !== b);
        expect(offers(a, b) !== offers(b, a)).toBe(true);
      }),
    );
  });

  it("an announce goes on to y-webrtc at the offering side only; the other answers while unlinked", () => {
    fc.assert(
      fc.property(id, id, fc.boolean(), (me, from, linked) => {
        fc.pre(me !== from);
        const v = verdict(me, { type: "announce", from }, () => linked);
        if (offers(me, from)) expect(v).toBe("pass");
        else expect(v).toBe(linked ? "drop" : "announce-back");
      }),
    );
  });

  it("offers, answers, candidates and others' messages go on untouched", () => {
    fc.assert(
      fc.property(
        id,
        id,
        fc.constantFrom("signal", "other"),
        fc.option(fc.uuid(), { nil: undefined }),
        (me, from, type, to) => {
          expect(verdict(me, { type, from, to }, () => false)).toBe("pass");
        },
      ),
    );
  });

  it("an announce addressed to another peer, or from this peer, is left to y-webrtc", () => {
    expect(verdict("b", { type: "announce", from: "a", to: "c" }, () => false)).toBe("pass");
    expect(verdict("b", { type: "announce", from: "b" }, () => false)).toBe("pass");
    expect(verdict("b", { type: "announce", from: "a", to: "b" }, () => false)).toBe(
      "announce-back",
    );
  });

  it("what is not a message at all goes nowhere", () => {
    for (const m of [null, 3, "announce", undefined]) {
      expect(verdict("b", m, () => false)).toBe("drop");
    }
  });
});

describe("the rule in front of y-webrtc's signaling connection", () => {
  it("holds back a lower id's announce and answers it alone, passes the rest in order, and lets go", async () => {
    const emitted: unknown[] = [];
    const sent: { topic: string; data: string }[] = [];
    // Stands in for y-webrtc's connection: what it emits is what y-webrtc would read.
    const conn = {
      connected: true,
      send: (m: object) => sent.push(m as { topic: string; data: string }),
      emit: (_name: string, args: unknown[]) => emitted.push(args[0]),
    };
    const room = { name: "grove-r", peerId: "m", key, webrtcConns: new Map<string, unknown>() };
    const release = lowerIdOffers([conn], room);
    const publish = async (message: object) => ({
      type: "publish",
      topic: room.name,
      data: await sealSignal(message, key),
    });
    const fromLower = await publish({ type: "announce", from: "a" });
    const fromHigher = await publish({ type: "announce", from: "z" });
    const offer = await publish({ type: "signal", from: "a", to: "m", signal: { type: "offer" } });
    const forged = { type: "publish", topic: room.name, data: await sealSignal({}, otherKey) };
    const elsewhere = { type: "publish", topic: "another-room", data: "x" };
    for (const m of [fromLower, forged, fromHigher, offer, elsewhere]) conn.emit("message", [m]);
    expect(emitted).toEqual([elsewhere]);
    await vi.waitFor(() => expect(emitted).toEqual([elsewhere, fromHigher, offer]));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.topic).toBe(room.name);
    expect(await openSignal(sent[0]?.data, key)).toEqual({ type: "announce", from: "m", to: "a" });

    // Linked to the lower id already: its announce is held back and not answered.
    room.webrtcConns.set("a", {});
    conn.emit("message", [fromLower]);
    conn.emit("message", [fromHigher]);
    await vi.waitFor(() => expect(emitted).toHaveLength(4));
    expect(emitted[3]).toBe(fromHigher);
    expect(sent).toHaveLength(1);

    release();
    conn.emit("message", [fromLower]);
    expect(emitted[4]).toBe(fromLower);
  });

  it("a member publishing announces from ever-new lower ids gets a bounded number of announces back, and a non-member's flood goes nowhere", async () => {
    // The attacker holds the room key (a member's device) and publishes 300 announces from ids
    // below this peer's, none of which ever links: each would be answered to the whole room.
    const emitted: unknown[] = [];
    const sent: object[] = [];
    const conn = {
      connected: true,
      send: (m: object) => sent.push(m),
      emit: (_name: string, args: unknown[]) => emitted.push(args[0]),
    };
    const room = {
      name: "grove-flood",
      peerId: "zz",
      key,
      webrtcConns: new Map<string, unknown>(),
    };
    const release = lowerIdOffers([conn], room);
    const started = Date.now();
    const floods = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => ({
        type: "publish",
        topic: room.name,
        data: await sealSignal({ type: "announce", from: `a${i}` }, key),
      })),
    );
    // Someone who knows only the topic: 200 messages that do not open.
    const junk = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => ({
        type: "publish",
        topic: room.name,
        data: await sealSignal({ type: "announce", from: `b${i}` }, otherKey),
      })),
    );
    const last = {
      type: "publish",
      topic: room.name,
      data: await sealSignal({ type: "signal", from: "y", to: "zz" }, key),
    };
    for (const m of [...floods, ...junk, last]) conn.emit("message", [m]);
    await vi.waitFor(() => expect(emitted).toEqual([last]), { timeout: 10_000 });
    const elapsed = (Date.now() - started) / 1000;
    expect(sent.length).toBeLessThanOrEqual(
      ANNOUNCE_BACK_BURST + Math.ceil(elapsed * ANNOUNCE_BACK_PER_SECOND) + 1,
    );
    expect(sent.length).toBeGreaterThan(0);
    release();
  });
});
