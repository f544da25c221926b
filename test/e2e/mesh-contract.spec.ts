/**
 * The PeerMesh contract (test/mesh-contract.ts) on WebrtcMesh: each device
 * in a Chromium context of its own (so no BroadcastChannel shortcut between
 * them), y-webrtc signaling through a real relay process, data over real
 * WebRTC data channels on loopback. LoopbackMesh runs the same cases in Node.
 */
import { type Browser, type BrowserContext, type Page, test } from "@playwright/test";
import nacl from "tweetnacl";
import { toHex } from "../../core/crypto/bytes.js";
import { generateDeviceKeys } from "../../core/crypto/identity.js";
import { type MeshHarness, type MeshPeer, meshContract } from "../mesh-contract.js";
import { type RelayProcess, removeDir, startRelayProcess } from "../relay-harness.js";
import { bundleForBrowser } from "./browser.js";
import { callPage, pageFiles } from "./page-api.js";
import type { MeshPageApi } from "./pages/mesh-page.js";
import { type StaticServer, serveStatic } from "./static-server.js";

let relay: RelayProcess | undefined;
let pages: StaticServer;
test.beforeAll(async () => {
  const script = await bundleForBrowser(new URL("./pages/mesh-page.ts", import.meta.url).pathname);
  pages = await serveStatic(pageFiles("mesh", script));
  relay = await startRelayProcess();
});
test.afterAll(async () => {
  await pages?.close();
  await relay?.kill();
  if (relay) removeDir(relay.dataDir);
});

const call = <M extends keyof MeshPageApi & string>(
  page: Page,
  method: M,
  ...args: Parameters<MeshPageApi[M]>
) => callPage<MeshPageApi, M>(page, method, ...args);

const PER_ROOM = 3;

/** Rooms "a" and "b": one space, two epoch keys, three member devices each. */
function harness(browser: Browser, contexts: BrowserContext[], relayUrl: string): MeshHarness {
  const spaceId = toHex(nacl.randomBytes(16));
  const rooms = Object.fromEntries(
    (["a", "b"] as const).map((room) => {
      const devices = Array.from({ length: PER_ROOM }, () => generateDeviceKeys().sign);
      return [room, { key: toHex(nacl.randomBytes(32)), devices, used: 0 }];
    }),
  ) as Record<"a" | "b", { key: string; devices: nacl.SignKeyPair[]; used: number }>;
  return {
    // One side alone offers on a link (core/sync/dom-one-initiator.ts): links come up in under a
    // second on loopback. The bound leaves room for one watchdog retry (4-8 s) on a loaded CI.
    linkMs: 15_000,
    async peer(room): Promise<MeshPeer> {
      const r = rooms[room];
      const keys = r.devices[r.used++];
      if (!keys) throw new Error(`more than ${PER_ROOM} devices in room ${room}`);
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${pages.origin}/mesh.html`);
      await page.waitForFunction(() => "grove" in globalThis);
      const device = await call(page, "open", {
        relayUrl,
        spaceId,
        epochKey: r.key,
        members: r.devices.map((d) => toHex(d.publicKey)),
        secretKey: toHex(keys.secretKey),
      });
      return {
        device,
        start: () => call(page, "start"),
        write: (key, value) => call(page, "write", key, value),
        read: async (key) => (await call(page, "read", key)) ?? undefined,
        connected: () => call(page, "connected"),
        bytesSent: () => call(page, "bytesSent"),
        drained: () => call(page, "drained"),
        peersAtLastEvent: async () => (await call(page, "peersAtLastEvent")) ?? undefined,
        destroy: () => call(page, "destroy"),
      };
    },
  };
}

for (const c of meshContract) {
  test(`PeerMesh contract, WebrtcMesh: ${c.name}`, async ({ browser }) => {
    const contexts: BrowserContext[] = [];
    try {
      if (!relay) throw new Error("no relay");
      await c.run(harness(browser, contexts, relay.url));
    } finally {
      await Promise.all(contexts.map((ctx) => ctx.close()));
    }
  });
}
