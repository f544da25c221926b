/**
 * The relay's counting pieces on their own: fair store turns keep each
 * source's order and the in-flight cap, slots and byte accounts give back
 * exactly what they took, new-device budgets count distinct keys, and
 * client addresses group IPv6 by /64.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { limitKey } from "../relay/client-address.js";
import { FairWrites } from "../relay/fair-writes.js";
import { Flow } from "../relay/flow.js";
import { SlotLimiter } from "../relay/slots.js";
import { NewDeviceLimit } from "../relay/source-limits.js";

describe("FairWrites", () => {
  it("runs each source's writes in order, never over the in-flight cap but one, and all of them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 50 })), {
          maxLength: 60,
        }),
        async (jobs) => {
          const writes = new FairWrites(100);
          let inFlight = 0;
          let inFlightBytes = 0;
          const started: [number, number][] = [];
          const results = jobs.map(([source, bytes], i) =>
            writes.run(String(source), bytes, async () => {
              inFlight++;
              inFlightBytes += bytes;
              expect(inFlight === 1 || inFlightBytes <= 100).toBe(true);
              started.push([source, i]);
              await new Promise((r) => setImmediate(r));
              inFlight--;
              inFlightBytes -= bytes;
              return i;
            }),
          );
          expect(await Promise.all(results)).toEqual(jobs.map((_, i) => i));
          for (const source of [0, 1, 2, 3]) {
            const order = started.filter(([s]) => s === source).map(([, i]) => i);
            expect(order).toEqual([...order].sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("gives a small writer a turn between a flooder's writes", async () => {
    const writes = new FairWrites(10);
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(name);
      await new Promise((r) => setImmediate(r));
    };
    const flood = Array.from({ length: 5 }, (_, i) => writes.run("flood", 10, job(`f${i}`)));
    const honest = writes.run("honest", 1, job("h"));
    await Promise.all([...flood, honest]);
    expect(order.indexOf("h")).toBeLessThanOrEqual(2);
  });

  it("passes a failing write's error to its caller and goes on", async () => {
    const writes = new FairWrites(10);
    const failed = writes.run("a", 1, () => Promise.reject(new Error("disk")));
    const next = writes.run("a", 1, async () => "ok");
    await expect(failed).rejects.toThrow("disk");
    expect(await next).toBe("ok");
  });
});

describe("SlotLimiter and Flow", () => {
  it("give back exactly what was taken, whatever the order of releases", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.nat(1000)), { maxLength: 40 }),
        fc.infiniteStream(fc.boolean()),
        (takes, coin) => {
          const slots = new SlotLimiter(5, 12);
          const flow = new Flow({
            outboundPerConnection: 100,
            outboundPerIp: 1000,
            outboundTotal: 2000,
            inboundPerConnection: 100,
            inboundPerIp: 1000,
            inboundTotal: 2000,
          });
          const held: (() => void)[] = [];
          const accounts = new Map<string, ReturnType<Flow["account"]>>();
          for (const [ip, bytes] of takes) {
            const slot = slots.acquire(ip);
            if (typeof slot !== "string") held.push(() => slot.release());
            expect(slots.held(ip)).toBeLessThanOrEqual(5);
            expect(slots.size).toBeLessThanOrEqual(12);
            const account = accounts.get(ip) ?? flow.account(ip);
            accounts.set(ip, account);
            held.push(account.sent(bytes), account.received(bytes));
            // A gathered frame's count, grown in pieces and given back in one release.
            const gathered = account.outboundHold();
            gathered.add(bytes);
            gathered.add(bytes >> 1);
            expect(account.outbound).toBeGreaterThanOrEqual(bytes + (bytes >> 1));
            held.push(gathered.release);
          }
          const it = coin[Symbol.iterator]();
          for (const release of held.sort(() => (it.next().value ? 1 : -1))) {
            release();
            release(); // twice: no effect
          }
          expect(slots.size).toBe(0);
          expect(flow.outboundBytes).toBe(0);
          expect(flow.inboundBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a closed account gives everything back at once", () => {
    const flow = new Flow({
      outboundPerConnection: 10,
      outboundPerIp: 20,
      outboundTotal: 30,
      inboundPerConnection: 10,
      inboundPerIp: 20,
      inboundTotal: 30,
    });
    const a = flow.account("ip");
    const release = a.sent(15);
    const gathered = a.outboundHold();
    gathered.add(4);
    a.received(5);
    expect(a.canDeliver).toBe(false);
    a.close();
    release();
    gathered.add(3); // counted after the close: nothing held, nothing to give back
    gathered.release();
    expect(flow.outboundBytes).toBe(0);
    expect(flow.inboundBytes).toBe(0);
  });
});

describe("NewDeviceLimit", () => {
  it("counts distinct keys per source in the window", () => {
    let now = 0;
    const limit = new NewDeviceLimit(2, 1000, () => now);
    expect(limit.allow("ip", "k1")).toBe(true);
    expect(limit.allow("ip", "k2")).toBe(true);
    expect(limit.allow("ip", "k1")).toBe(true);
    expect(limit.allow("ip", "k3")).toBe(false);
    expect(limit.allow("other", "k3")).toBe(true);
    now = 1500;
    expect(limit.allow("ip", "k3")).toBe(true);
  });
});

describe("limitKey", () => {
  it("groups IPv6 by /64 and keeps IPv4 as is", () => {
    expect(limitKey("203.0.113.9")).toBe("203.0.113.9");
    expect(limitKey("2001:db8:1:2:aaaa::1")).toBe(limitKey("2001:db8:1:2:bbbb:cccc:dddd:eeee"));
    expect(limitKey("2001:db8:1:2::1")).not.toBe(limitKey("2001:db8:1:3::1"));
    expect(limitKey("::1")).toBe("0:0:0:0::/64");
    expect(limitKey("2001:DB8:0001:0002::")).toBe("2001:db8:1:2::/64");
  });
});
