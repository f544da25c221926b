/**
 * Membership as people meet it (issue 17), through the UI only, with a real
 * relay process serving the built web app: join requests reach managers at
 * once, invites are objects, removed and departed members are told, invite
 * errors are in words, and verification is asked once. Each new screen is
 * scanned by axe and captured in light and dark (test/artifacts/).
 */
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import { type RelayProcess, removeDir, startRelayProcess } from "../relay-harness.js";
import { buildRenderer } from "./app-build.js";
import {
  capture,
  createSpace,
  invite,
  join,
  notifications,
  person,
  recordNotifications,
  tab,
} from "./app-ui.js";

let relay: RelayProcess;
let appDir: string;

test.beforeAll(async () => {
  appDir = await buildRenderer();
  relay = await startRelayProcess({ args: ["--app-dir", appDir] });
});
test.afterAll(async () => {
  await relay?.kill();
  if (relay) removeDir(relay.dataDir);
});

const appUrl = () => `http://127.0.0.1:${relay.port}/app/`;

/** Isolated browser profiles with the clipboard allowed and notifications recorded. */
async function profiles(browser: import("@playwright/test").Browser, n: number) {
  const contexts: BrowserContext[] = [];
  for (let i = 0; i < n; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: appUrl() });
    await ctx.addInitScript(recordNotifications);
    contexts.push(ctx);
  }
  return contexts;
}

const sidebarSpace = (page: Page, name: string) =>
  page.getByRole("navigation").getByRole("button", { name: new RegExp(`^${name}`) });

test("a manager on Chat sees a join request at once: badges, a notification, the request first on Members", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const contexts = await profiles(browser, 2);
  try {
    const [ctxA, ctxC] = contexts as [BrowserContext, BrowserContext];
    const a = await person(ctxA, appUrl(), "Ann");
    const c = await person(ctxC, appUrl(), "Cho");
    await createSpace(a, "Garden club");
    const link = await invite(a, "Confirmed");
    await tab(a, "Chat");

    await join(c, link);
    await expect(c.getByRole("heading", { name: "Waiting to be let in" })).toBeVisible();

    // On Chat, Ann sees the count on the space and on the Members tab, and is notified.
    await expect(sidebarSpace(a, "Garden club")).toContainText("1 waiting to join", {
      timeout: 20_000,
    });
    await expect(a.getByRole("tab", { name: /^Members/ })).toHaveAccessibleName(
      "Members 1 waiting to join",
    );
    await expect
      .poll(() => notifications(a))
      .toContainEqual({
        title: "Cho asks to join Garden club",
        body: "Compare the safety number with them, then confirm or decline on Members.",
      });

    // The request is the first thing on Members, before the invite button and the list.
    await tab(a, "Members");
    const panel = a.getByRole("tabpanel");
    await expect(panel.getByRole("heading").first()).toHaveText("Waiting for your confirmation");
    await capture(a, "join-request");
    await a.getByRole("button", { name: "Confirm Cho" }).click();
    await expect(c.getByRole("heading", { level: 1, name: "Garden club" })).toBeVisible({
      timeout: 20_000,
    });
    await expect(sidebarSpace(a, "Garden club")).not.toContainText("waiting to join");
    await expect(a.getByRole("tab", { name: /^Members/ })).toHaveAccessibleName("Members");
  } finally {
    for (const ctx of contexts) await ctx.close();
  }
});
