/**
 * Two stock y-webrtc clients, each signaling through a different relay node
 * of a cluster (PostgreSQL + Redis), find each other and sync a Y.Doc over a
 * real WebRTC data channel: /signal topics travel between nodes on the bus.
 */
import { expect, type Page, test } from "@playwright/test";
import { type Cluster, startCluster } from "../cluster-harness.js";
import { bundleForBrowser } from "./browser.js";
import { type StaticServer, serveStatic } from "./static-server.js";

type WebrtcWindow = {
  grove: {
    join(url: string, room: string, password: string): void;
    insert(text: string): void;
    text(): string;
    webrtcPeers(): number;
    signalingConnected(): boolean;
    leave(): void;
  };
};

let cluster: Cluster;
let pages: StaticServer;
test.beforeAll(async () => {
  test.setTimeout(90_000);
  cluster = await startCluster(2);
  const script = await bundleForBrowser(
    new URL("./pages/webrtc-page.ts", import.meta.url).pathname,
  );
  pages = await serveStatic({
    "/webrtc.html": {
      type: "text/html",
      body: '<!doctype html><script type="module" src="/webrtc.js"></script>',
    },
    "/webrtc.js": { type: "text/javascript", body: script },
  });
});
test.afterAll(async () => {
  await pages?.close();
  await cluster?.destroy();
});

async function openPage(page: Page): Promise<void> {
  await page.goto(`${pages.origin}/webrtc.html`);
  await page.waitForFunction(() => "grove" in globalThis);
}

test("two y-webrtc clients on different relay nodes find each other through /signal", async ({
  browser,
}) => {
  const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
  const [a, b] = await Promise.all(contexts.map((c) => c.newPage()));
  await Promise.all([openPage(a!), openPage(b!)]);
  const room = `grove-cluster-${Date.now()}`;
  // One after the other, as in signaling.spec.ts (stock y-webrtc can meet offer glare).
  for (const [i, page] of [a!, b!].entries()) {
    await page.evaluate(
      ([url, r]) => (globalThis as unknown as WebrtcWindow).grove.join(url!, r!, "secret"),
      [`${cluster.nodes[i]!.relay.url}/signal`, room],
    );
    await page.waitForFunction(() =>
      (globalThis as unknown as WebrtcWindow).grove.signalingConnected(),
    );
  }
  for (const page of [a!, b!]) {
    await page.waitForFunction(
      () => (globalThis as unknown as WebrtcWindow).grove.webrtcPeers() === 1,
      undefined,
      { timeout: 20_000 },
    );
  }
  await a!.evaluate(() => (globalThis as unknown as WebrtcWindow).grove.insert("across nodes"));
  await b!.waitForFunction(
    () => (globalThis as unknown as WebrtcWindow).grove.text() === "across nodes",
  );
  expect(await b!.evaluate(() => (globalThis as unknown as WebrtcWindow).grove.text())).toBe(
    "across nodes",
  );
  for (const page of [a!, b!]) {
    await page.evaluate(() => (globalThis as unknown as WebrtcWindow).grove.leave());
  }
  await Promise.all(contexts.map((c) => c.close()));
});
