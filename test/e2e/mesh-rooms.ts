/**
 * Rounds of rooms linking at once, for the link-up test and the link bench:
 * `perRoom` browser contexts, each one page holding a WebrtcMesh for every
 * room of the round, all started in the same moment, so every room's
 * browsers announce to each other at once (the case where both ends of a
 * link used to offer). A room counts as linked when each of its browsers
 * lists all the others; its time is the later of theirs.
 */
import type { Browser, Page } from "@playwright/test";
import nacl from "tweetnacl";
import { toHex } from "../../core/crypto/bytes.js";
import { generateDeviceKeys } from "../../core/crypto/identity.js";
import { callPage } from "./page-api.js";
import type { MeshRoomsPageApi } from "./pages/mesh-rooms-page.js";

export interface RoundOptions {
  /** The page bundling mesh-rooms-page.ts (origin and path). */
  pageUrl: string;
  relayUrl: string;
  rooms: number;
  perRoom: number;
  /** How long to wait for every room before reading the times (ms). */
  deadlineMs: number;
  /**
   * Given: the first browser starts alone, and the others once this resolves
   * (say, once its announces have gone out), so a room's late browser is the
   * only one to hear an announce. Times then count from the late start.
   */
  firstAlone?: () => Promise<void>;
}

const call = <M extends keyof MeshRoomsPageApi & string>(
  page: Page,
  method: M,
  ...args: Parameters<MeshRoomsPageApi[M]>
) => callPage<MeshRoomsPageApi, M>(page, method, ...args);

/** Per room, ms from start until all its browsers listed each other; null if not by the deadline. */
export async function linkRound(browser: Browser, o: RoundOptions): Promise<(number | null)[]> {
  const rooms = Array.from({ length: o.rooms }, () => ({
    spaceId: toHex(nacl.randomBytes(16)),
    epochKey: toHex(nacl.randomBytes(32)),
    devices: Array.from({ length: o.perRoom }, () => generateDeviceKeys().sign),
  }));
  const contexts = await Promise.all(Array.from({ length: o.perRoom }, () => browser.newContext()));
  try {
    const pages = await Promise.all(
      contexts.map(async (context, i) => {
        const page = await context.newPage();
        await page.goto(o.pageUrl);
        await page.waitForFunction(() => "grove" in globalThis);
        await call(
          page,
          "open",
          rooms.map((r) => ({
            relayUrl: o.relayUrl,
            spaceId: r.spaceId,
            epochKey: r.epochKey,
            members: r.devices.map((d) => toHex(d.publicKey)),
            secretKey: toHex((r.devices[i] as nacl.SignKeyPair).secretKey),
          })),
        );
        return page;
      }),
    );
    const [first, ...rest] = pages;
    if (o.firstAlone && first) {
      await call(first, "startAll");
      await o.firstAlone();
      await Promise.all(rest.map((p) => call(p, "startAll")));
    } else {
      await Promise.all(pages.map((p) => call(p, "startAll")));
    }
    const deadline = Date.now() + o.deadlineMs;
    let times: (number | null)[] = [];
    for (;;) {
      const each = await Promise.all(pages.map((p) => call(p, "linkTimes")));
      times = rooms.map((_, r) => {
        const mine = each.map((t) => t[r] ?? null);
        if (mine.includes(null)) return null;
        // A first browser alone started earlier: the room's time counts from the others' start.
        return Math.max(...((o.firstAlone ? mine.slice(1) : mine) as number[]));
      });
      if (!times.includes(null) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await Promise.all(pages.map((p) => call(p, "destroyAll")));
    return times;
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
}
