/**
 * A member whose relay mailbox is full, through the UI only, with a real
 * relay whose mailboxes hold 32 KiB: the relay reports the full target
 * (PARTIAL_ACK), the sender stops retrying it, and the Connection panel
 * names who the relay holds no more for (issue 16, finding 3).
 */
import { expect, test } from "@playwright/test";
import {
  appRelayPerSpec,
  createSpace,
  invite,
  join,
  messageTexts,
  person,
  say,
  tab,
} from "./app-ui.js";

const app = appRelayPerSpec(["--mailbox-max-bytes", String(32 * 1024)]);

test("a member's full relay mailbox is named in the Connection panel, and sending goes on", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const [ctxA, ctxB] = [await browser.newContext(), await browser.newContext()];
  await ctxA.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.appUrl() });
  try {
    const a = await person(ctxA, app.appUrl(), "Ann");
    const b = await person(ctxB, app.appUrl(), "Bob");
    await createSpace(a, "Allotment");
    await join(b, await invite(a, "Open"));
    await expect(b.getByRole("heading", { level: 1, name: "Allotment" })).toBeVisible({
      timeout: 20_000,
    });
    // Bob goes away; what Ann writes waits in his mailbox until it is full.
    await ctxB.close();
    await tab(a, "Chat");
    const line = "Seed potatoes arrive on Friday; bring a crate. ".repeat(20);
    await a.getByRole("button", { name: /^Connection/ }).click();
    const full = a.getByTestId("full-targets");
    for (let i = 0; i < 60 && (await full.textContent())?.startsWith("nobody"); i++) {
      await a
        .getByRole("navigation")
        .getByRole("button", { name: /^Allotment/ })
        .click();
      await tab(a, "Chat");
      await say(a, `${i}: ${line}`);
      await a.getByRole("button", { name: /^Connection/ }).click();
    }
    await expect(full).toHaveText(/^Bob: the relay holds no more for them/, { timeout: 20_000 });
    // Ann still writes; nothing waits in her outbox for a target the relay refused.
    await a
      .getByRole("navigation")
      .getByRole("button", { name: /^Allotment/ })
      .click();
    await tab(a, "Chat");
    await say(a, "still writing");
    await expect(messageTexts(a).last()).toContainText("still writing");
  } finally {
    await ctxA.close();
    await ctxB.close().catch(() => {});
  }
});
