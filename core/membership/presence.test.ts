/**
 * PresenceTracker on an injected clock: a device is as it last said until
 * 1.5 heartbeat intervals of silence (PRESENCE_TIMEOUT_FACTOR), then offline, last seen at its last
 * message; "offline" (leaving) counts at once; the most present device of a
 * user wins; a message older than one already heard from its device is
 * ignored (unless the device has gone silent since).
 */
import { describe, expect, it } from "vitest";
import {
  decodePresence,
  encodePresence,
  mostPresent,
  PRESENCE_TIMEOUT_FACTOR,
  type PresenceMessage,
  PresenceTracker,
} from "./presence.js";

const INTERVAL = 20_000;

function clocked(start = 1_000_000) {
  const clock = { now: start };
  const tracker = new PresenceTracker({ intervalMs: INTERVAL, now: () => clock.now });
  return { clock, tracker };
}

const say = (status: PresenceMessage["status"], sentAt: number): PresenceMessage => ({
  status,
  sentAt,
});

describe("PresenceTracker", () => {
  it("never heard: offline, no last-seen time", () => {
    const { tracker } = clocked();
    expect(tracker.presenceOf("ann")).toEqual({ status: "offline" });
    expect(tracker.nextChangeAt()).toBeUndefined();
  });

  it("online and away as announced, until 1.5 intervals of silence; then offline, last seen at the last heartbeat", () => {
    const { clock, tracker } = clocked();
    tracker.heard("bob", "b1", say("online", 1));
    expect(tracker.presenceOf("bob")).toEqual({ status: "online" });
    clock.now += INTERVAL;
    tracker.heard("bob", "b1", say("away", 2));
    const last = clock.now;
    expect(tracker.presenceOf("bob")).toEqual({ status: "away" });
    expect(tracker.nextChangeAt()).toBe(last + PRESENCE_TIMEOUT_FACTOR * INTERVAL);
    clock.now = last + PRESENCE_TIMEOUT_FACTOR * INTERVAL - 1;
    expect(tracker.presenceOf("bob")).toEqual({ status: "away" });
    clock.now = last + PRESENCE_TIMEOUT_FACTOR * INTERVAL;
    expect(tracker.presenceOf("bob")).toEqual({ status: "offline", lastSeen: last });
    expect(tracker.nextChangeAt()).toBeUndefined();
    // Back: online again at once.
    clock.now += 60_000;
    tracker.heard("bob", "b1", say("online", 3));
    expect(tracker.presenceOf("bob")).toEqual({ status: "online" });
  });

  it("an explicit offline (leaving) counts at once, last seen when it came", () => {
    const { clock, tracker } = clocked();
    tracker.heard("bob", "b1", say("online", 1));
    clock.now += 5_000;
    tracker.heard("bob", "b1", say("offline", 2));
    expect(tracker.presenceOf("bob")).toEqual({ status: "offline", lastSeen: clock.now });
    expect(tracker.nextChangeAt()).toBeUndefined();
  });

  it("several devices: the most present wins; offline only when all are, last seen at the latest", () => {
    const { clock, tracker } = clocked();
    tracker.heard("bob", "laptop", say("away", 1));
    tracker.heard("bob", "phone", say("online", 1));
    expect(tracker.presenceOf("bob")).toEqual({ status: "online" });
    clock.now += 1_000;
    tracker.heard("bob", "phone", say("offline", 2));
    expect(tracker.presenceOf("bob")).toEqual({ status: "away" });
    const phoneLeft = clock.now;
    clock.now += 10_000;
    const laptopLast = clock.now;
    tracker.heard("bob", "laptop", say("away", 3));
    clock.now += PRESENCE_TIMEOUT_FACTOR * INTERVAL;
    expect(tracker.presenceOf("bob")).toEqual({ status: "offline", lastSeen: laptopLast });
    expect(laptopLast).toBeGreaterThan(phoneLeft);
    expect(tracker.presenceOfDevice("bob", "phone")).toEqual({
      status: "offline",
      lastSeen: phoneLeft,
    });
    // Other users are apart.
    expect(tracker.presenceOf("ann")).toEqual({ status: "offline" });
  });

  it("a timed-out device does not hide another that is still there", () => {
    const { clock, tracker } = clocked();
    tracker.heard("bob", "laptop", say("online", 1));
    clock.now += 2 * INTERVAL;
    tracker.heard("bob", "phone", say("away", 2));
    clock.now += INTERVAL;
    // The laptop is silent past 2.5 intervals, the phone is not.
    expect(tracker.presenceOfDevice("bob", "laptop").status).toBe("offline");
    expect(tracker.presenceOf("bob")).toEqual({ status: "away" });
  });

  it("ignores a message older than one already heard from that device, unless the device went silent since", () => {
    const { clock, tracker } = clocked();
    tracker.heard("bob", "b1", say("away", 2_000));
    expect(tracker.heard("bob", "b1", say("online", 1_000))).toBe(false);
    expect(tracker.presenceOf("bob")).toEqual({ status: "away" });
    // Another device's clock is its own.
    expect(tracker.heard("bob", "b2", say("online", 5))).toBe(true);
    // Silent past the timeout: a device whose clock went back is heard again.
    clock.now += PRESENCE_TIMEOUT_FACTOR * INTERVAL;
    expect(tracker.heard("bob", "b1", say("online", 1_500))).toBe(true);
    expect(tracker.presenceOfDevice("bob", "b1")).toEqual({ status: "online" });
  });

  it("forgets a user on request", () => {
    const { tracker } = clocked();
    tracker.heard("bob", "b1", say("online", 1));
    expect(tracker.known()).toEqual(["bob"]);
    tracker.forget("bob");
    expect(tracker.known()).toEqual([]);
    expect(tracker.presenceOf("bob")).toEqual({ status: "offline" });
  });
});

describe("mostPresent", () => {
  it("ranks online over away over offline; among offline the latest last-seen", () => {
    expect(mostPresent([])).toEqual({ status: "offline" });
    expect(
      mostPresent([{ status: "offline", lastSeen: 5 }, { status: "away" }, { status: "online" }]),
    ).toEqual({ status: "online" });
    expect(
      mostPresent([
        { status: "offline", lastSeen: 5 },
        { status: "offline" },
        { status: "offline", lastSeen: 9 },
      ]),
    ).toEqual({ status: "offline", lastSeen: 9 });
  });
});

describe("presence payload", () => {
  it("is version, status code, sentAt", () => {
    expect([...encodePresence({ status: "online", sentAt: 0 })]).toEqual([1, 0, 0]);
    expect([...encodePresence({ status: "away", sentAt: 300 })]).toEqual([1, 1, 0xac, 0x02]);
    expect([...encodePresence({ status: "offline", sentAt: 1 })]).toEqual([1, 2, 1]);
    expect(decodePresence(Uint8Array.of(1, 1, 0xac, 0x02))).toEqual({
      status: "away",
      sentAt: 300,
    });
  });

  it("refuses other versions, unknown statuses, trailing bytes and short input", () => {
    for (const [bytes, code] of [
      [[2, 0, 0], "UNSUPPORTED_VERSION"],
      [[1, 3, 0], "INVALID_VALUE"],
      [[1, 0, 0, 0], "TRAILING_BYTES"],
      [[1, 0], "TRUNCATED"],
      [[1, 0, 0x80, 0x00], "NON_CANONICAL"],
      [[], "TRUNCATED"],
    ] as const) {
      expect(() => decodePresence(Uint8Array.from(bytes))).toThrow(
        expect.objectContaining({ code }),
      );
    }
  });
});
