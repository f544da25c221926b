/**
 * A sender on a slow uplink with 10 targets, all linked directly and all
 * at a real relay. Pinned to the direct path it uploads a copy per peer
 * (~10x the payload); with the default policy the engine measures its
 * uplink from those direct sends, switches to relay fan-out ("slow-link"),
 * and then uploads each envelope once plus the send frame. Both are
 * measured from the bytes that actually left the sender.
 */
import { afterAll, expect, it } from "vitest";
import { fromHex } from "../core/crypto/bytes.js";
import { DEFAULT_ROUTE_POLICY, type RoutePolicy } from "../core/sync/routing.js";
import { encodeFrame } from "../core/wire/frame.js";
import { LoopbackHub, LoopbackMesh, throttledConnect, Uplink } from "./loopback-mesh.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { openLinked, queued, sendAndCount, spaceFor, type TestDevice } from "./sync-harness.js";

const relay = relayPerFile();
const TARGETS = 10;
/** 64 KB/s: a copy of a 2 KB message to each of 10 peers takes over 300 ms (the policy allows 250). */
const UPLINK = 64 * 1024;
const MESSAGE = "m".repeat(2000);

const opened: TestDevice[] = [];
afterAll(async () => {
  for (const d of opened) {
    await d.stop().catch(() => {});
    d.remove();
  }
});

async function sender(policy: RoutePolicy) {
  const fixture = spaceFor(TARGETS + 1);
  const hub = new LoopbackHub();
  const uplink = new Uplink(UPLINK);
  const devices = await openLinked(
    fixture,
    TARGETS + 1,
    hub,
    () => relay.url,
    (i, hex) =>
      i === 0
        ? {
            direct: () => new LoopbackMesh(hub, hex, uplink),
            connect: throttledConnect(uplink),
            routePolicy: policy,
          }
        : {},
  );
  opened.push(...devices);
  const [a, ...targets] = devices as [TestDevice, ...TestDevice[]];
  await waitFor(() => devices.every((d) => d.engine.relay?.status === "online"), "all online");
  await waitFor(async () => (await queued(a)) === 0, "greetings settled").catch(async (err) => {
    throw new Error(
      `${err.message}: relay ${(await a.engine.outbox.list()).length} direct ${(await a.engine.directOutbox.list()).length} route ${a.engine.route?.reason} uplink ${a.engine.uplink.bytesPerSecond} backlog ${uplink.backlogMs} unacked ${a.engine.directTransport(fromHex(a.space.id))?.unacked} peers ${a.engine.directPeers(fromHex(a.space.id)).size}`,
    );
  });
  return { a, targets };
}

/** Sends `count` messages of ~2 KB; returns the bytes that left and the envelopes sent. */
function measure(a: TestDevice, targets: TestDevice[], count: number) {
  return sendAndCount(
    a,
    targets,
    Array.from({ length: count }, (_, i) => `${i}:${MESSAGE}`),
  );
}

it("a slow uplink with 10 targets switches to relay fan-out and uploads ~1x instead of ~10x", async () => {
  // Pinned to the direct path: a copy per peer.
  const pinned = await sender({ fanOutTargets: 1000, slowLinkMs: Number.POSITIVE_INFINITY });
  const direct = await measure(pinned.a, pinned.targets, 10);
  const directPayload = direct.envelopes.reduce((n, e) => n + e.length, 0);
  expect(direct.envelopes).toHaveLength(10);
  expect(pinned.a.engine.route?.reason).toBe("direct");

  // The default policy, with the target-count rule out of the way so the switch is the link's doing.
  const measured = await sender({ ...DEFAULT_ROUTE_POLICY, fanOutTargets: 1000 });
  for (let i = 0; i < 8 && measured.a.engine.route?.reason !== "slow-link"; i++) {
    await measure(measured.a, measured.targets, 1);
  }
  expect(measured.a.engine.route?.reason).toBe("slow-link");
  expect(measured.a.engine.uplink.bytesPerSecond).toBeLessThan(UPLINK * 1.5);
  // The direct sends that measured the link are acked and their log entries removed (the
  // removal is direct traffic too) before the fan-out is counted.
  const link = measured.a.engine.directTransport(fromHex(measured.a.space.id))!;
  await waitFor(() => link.unacked === 0 && link.logged === 0, "the direct path quiet");
  const fanOut = await measure(measured.a, measured.targets, 10);
  expect(fanOut.envelopes).toHaveLength(10);
  const fanOutPayload = fanOut.envelopes.reduce((n, e) => n + e.length, 0);
  // What a relay send of these envelopes to 10 targets costs on the wire: payload plus framing.
  const framed = fanOut.envelopes.reduce(
    (n, envelope) =>
      n +
      encodeFrame({
        type: "send",
        msgId: new Uint8Array(16),
        flags: 0,
        ttlSeconds: 0,
        targets: measured.targets.map((t) => t.keys.publicKey),
        envelope,
      }).length,
    0,
  );

  const directRatio = (direct.direct + direct.relay) / directPayload;
  const fanOutRatio = (fanOut.direct + fanOut.relay) / fanOutPayload;
  console.log(
    `uplink bytes per payload byte, 10 targets: direct ${directRatio.toFixed(2)}x ` +
      `(${direct.direct + direct.relay} B for ${directPayload} B), relay fan-out ` +
      `${fanOutRatio.toFixed(2)}x (${fanOut.direct + fanOut.relay} B for ${fanOutPayload} B, ` +
      `framed ${framed} B)`,
  );
  expect(directRatio).toBeGreaterThan(9);
  expect(fanOut.direct).toBe(0);
  expect(fanOut.direct + fanOut.relay).toBeLessThanOrEqual(1.2 * framed);
}, 120_000);
