/**
 * Two devices in two isolated Chromium contexts run the sync engine as the
 * app does (IndexedDB store, relay over WebSocket, y-webrtc direct mesh).
 * They join at the same moment (where both would offer without decision 118), sync over a
 * real WebRTC data channel, keep syncing both ways after the relay process
 * is killed, and refuse hostile envelopes that arrive over the direct path.
 */
import { expect, type Page, test } from "@playwright/test";
import { toHex } from "../../core/crypto/bytes.js";
import { ed25519 } from "../../core/crypto/ed25519.js";
import { HOSTILE_REJECTIONS, hostileEnvelopes } from "../hostile-envelopes.js";
import { type RelayProcess, removeDir, startRelayProcess } from "../relay-harness.js";
import { spaceFor } from "../sync-harness.js";
import { bundleForBrowser } from "./browser.js";
import { callPage, pageFiles } from "./page-api.js";
import type { DeviceSetup, SyncPageApi } from "./pages/sync-page.js";
import { type StaticServer, serveStatic } from "./static-server.js";

let relay: RelayProcess | undefined;
let pages: StaticServer;
test.beforeAll(async () => {
  const script = await bundleForBrowser(new URL("./pages/sync-page.ts", import.meta.url).pathname);
  pages = await serveStatic(pageFiles("sync", script));
});
test.afterAll(async () => {
  await pages?.close();
});
test.afterEach(async () => {
  await relay?.kill();
  if (relay) removeDir(relay.dataDir);
  relay = undefined;
});

const call = <M extends keyof SyncPageApi & string>(
  page: Page,
  method: M,
  ...args: Parameters<SyncPageApi[M]>
) => callPage<SyncPageApi, M>(page, method, ...args);

/** Waits until `method` returns something `accept` likes, checking in the page's own loop. */
async function until<M extends keyof SyncPageApi & string>(
  page: Page,
  method: M,
  accept: (value: Awaited<ReturnType<SyncPageApi[M]>>) => boolean,
  timeoutMs = 20_000,
) {
  await expect
    .poll(
      async () =>
        accept(await call(page, method, ...([] as unknown as Parameters<SyncPageApi[M]>))),
      {
        timeout: timeoutMs,
        intervals: [50],
      },
    )
    .toBe(true);
}

test("two browsers sync over WebRTC, keep syncing with the relay gone, and refuse hostile envelopes on the direct path", async ({
  browser,
}) => {
  relay = await startRelayProcess();
  const fixture = spaceFor(3);
  const viewer = fixture.members[2]!;
  fixture.roles.set(viewer, "viewer");
  const members = fixture.members.map(
    (m) => [toHex(m.publicKey), fixture.roles.get(m) ?? "member"] as DeviceSetup["members"][0],
  );
  const setup = (i: number): DeviceSetup => ({
    relayUrl: relay!.url,
    spaceId: toHex(fixture.spaceId),
    epochKey: toHex(fixture.epochKey),
    members,
    secretKey: toHex(fixture.members[i]!.secretKey),
  });
  const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
  const [a, b] = (await Promise.all(contexts.map((c) => c.newPage()))) as [Page, Page];
  try {
    for (const page of [a, b]) {
      await page.goto(`${pages.origin}/sync.html`);
      await page.waitForFunction(() => "grove" in globalThis);
    }
    // Both at once: only the lower peer id offers (decision 118), so the link comes up fast.
    await Promise.all([call(a, "open", setup(0)), call(b, "open", setup(1))]);
    for (const page of [a, b]) {
      await until(page, "directPeers", (n) => n === 1, 15_000).catch(async (err) => {
        const links = await Promise.all([a, b].map((p) => call(p, "links")));
        throw new Error(
          `${err.message}\nlinks a: ${JSON.stringify(links[0])}\nlinks b: ${JSON.stringify(links[1])}`,
        );
      });
    }

    await call(a, "say", "hello from a");
    await until(b, "chat", (c) => c.includes("hello from a"));
    // b directly; the third member (offline) through the relay. (A sync answer to b alone is "direct".)
    expect(["offline-via-relay", "direct"]).toContain(await call(a, "route"));
    await until(a, "queued", (n) => n === 0);

    // The relay process goes away: signaling and store-and-forward with it.
    await relay.kill();
    for (const page of [a, b]) await until(page, "relayStatus", (s) => s !== "online");
    await call(a, "say", "a, relay gone");
    await call(b, "say", "b, relay gone");
    for (const page of [a, b]) {
      await until(page, "chat", (c) => c.includes("a, relay gone") && c.includes("b, relay gone"));
    }

    // Hostile envelopes arrive at b over the data channel only (no relay any more).
    const hostile = await hostileEnvelopes({
      spaceId: fixture.spaceId,
      epochKey: fixture.epochKey,
      member: fixture.members[0]!,
      viewer,
      backend: await ed25519(),
    });
    const replay = await call(a, "ownFirstEnvelope");
    await call(a, "inject", [...Object.values(hostile).map(toHex), replay]);
    await until(
      b,
      "stats",
      (s) =>
        JSON.stringify(Object.entries(s.rejected).sort()) ===
          JSON.stringify(Object.entries(HOSTILE_REJECTIONS).sort()) && s.duplicates >= 1,
    );
    expect([...(await call(b, "chat"))].sort()).toEqual(
      ["a, relay gone", "b, relay gone", "hello from a"].sort(),
    );
  } finally {
    for (const page of [a, b]) await call(page, "close").catch(() => {});
    await Promise.all(contexts.map((c) => c.close()));
  }
});
