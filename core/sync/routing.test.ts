import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_ROUTE_POLICY, describeRoute, planRoute, type RouteInput } from "./routing.js";
import { UplinkMeter } from "./uplink-meter.js";

const peers = (n: number) => Array.from({ length: n }, (_, i) => `d${i}`);
const base = (over: Partial<RouteInput>): RouteInput => ({
  targets: peers(3),
  connected: new Set(peers(3)),
  relayOnline: true,
  envelopeBytes: 1024,
  uplinkBytesPerSecond: undefined,
  ...over,
});

describe("planRoute", () => {
  it("sends directly to connected peers and through the relay to the others", () => {
    const plan = planRoute(base({ connected: new Set(["d0", "d2"]) }));
    expect(plan).toEqual({
      direct: ["d0", "d2"],
      viaRelay: ["d1"],
      waiting: [],
      reason: "offline-via-relay",
    });
  });

  it("uploads once for the relay to fan out when the targets are many", () => {
    const plan = planRoute(base({ targets: peers(10), connected: new Set(peers(10)) }));
    expect(plan.reason).toBe("many-targets");
    expect(plan.viaRelay).toHaveLength(10);
    expect(plan.direct).toEqual([]);
  });

  it("fans out through the relay on a slow measured uplink, not before it is measured", () => {
    const slow = { envelopeBytes: 64 * 1024, uplinkBytesPerSecond: 256 * 1024 };
    expect(planRoute(base(slow)).reason).toBe("slow-link");
    expect(planRoute(base({ ...slow, uplinkBytesPerSecond: undefined })).reason).toBe("direct");
    expect(planRoute(base({ ...slow, uplinkBytesPerSecond: 100 * 1024 * 1024 })).reason).toBe(
      "direct",
    );
  });

  it("without a relay, sends to whom it can and keeps the rest waiting", () => {
    expect(planRoute(base({ relayOnline: false, connected: new Set(["d1"]) }))).toEqual({
      direct: ["d1"],
      viaRelay: [],
      waiting: ["d0", "d2"],
      reason: "direct",
    });
    expect(planRoute(base({ relayOnline: false, connected: new Set() })).reason).toBe("waiting");
  });

  it("routes every target exactly once, never directly to an unconnected one", () => {
    const input = fc
      .record({
        n: fc.integer({ min: 0, max: 30 }),
        connectedMask: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        relayOnline: fc.boolean(),
        envelopeBytes: fc.integer({ min: 1, max: 1 << 20 }),
        uplink: fc.option(fc.integer({ min: 1, max: 1 << 30 }), { nil: undefined }),
      })
      .map(({ n, connectedMask, relayOnline, envelopeBytes, uplink }) => ({
        targets: peers(n),
        connected: new Set(peers(n).filter((_, i) => connectedMask[i])),
        relayOnline,
        envelopeBytes,
        uplinkBytesPerSecond: uplink,
      }));
    fc.assert(
      fc.property(input, (inp) => {
        const plan = planRoute(inp, DEFAULT_ROUTE_POLICY);
        const all = [...plan.direct, ...plan.viaRelay, ...plan.waiting].sort();
        expect(all).toEqual([...inp.targets].sort());
        for (const t of plan.direct) expect(inp.connected.has(t)).toBe(true);
        if (!inp.relayOnline) expect(plan.viaRelay).toEqual([]);
        expect(describeRoute(plan.reason).length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("UplinkMeter", () => {
  it("reports nothing until three real samples, then a moving average", () => {
    const meter = new UplinkMeter(0.5);
    meter.record({ bytes: 100, ms: 1 }); // too small to measure bandwidth
    meter.record({ bytes: 100_000, ms: 1000 });
    meter.record({ bytes: 100_000, ms: 1000 });
    expect(meter.bytesPerSecond).toBeUndefined();
    meter.record({ bytes: 300_000, ms: 1000 });
    expect(meter.bytesPerSecond).toBe(200_000);
  });
});
