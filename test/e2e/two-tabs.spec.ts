/**
 * One profile in two tabs, through the UI only, with a real relay: one tab
 * runs the engine and the other says so; "Use here" moves it. Twenty
 * messages from each tab reach the other member, and after closing one tab
 * and reloading the other, all forty are there (issue 17: two engines on
 * one profile lost messages).
 */
import { expect, type Page, test } from "@playwright/test";
import { appRelayPerSpec, messageTexts, openSpace, say } from "./app-ui.js";

const app = appRelayPerSpec();

const appUrl = () => app.appUrl();
const elsewhere = (page: Page) =>
  page.getByRole("heading", { name: "Grove is open in another tab" });

async function onboard(page: Page, name: string) {
  await page.goto(appUrl());
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("This device's name").fill(`${name}'s laptop`);
  await page.getByRole("button", { name: "Create my identity" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${name}` })).toBeVisible();
}

test("one profile in two tabs runs one engine; Use here moves it, and no message is lost", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const ann = await browser.newContext();
  const bob = await browser.newContext();
  await ann.grantPermissions(["clipboard-read", "clipboard-write"], { origin: appUrl() });
  try {
    const a1 = await ann.newPage();
    await onboard(a1, "Ann");
    let b = await bob.newPage();
    await onboard(b, "Bob");

    await a1.getByRole("button", { name: "Create a space" }).first().click();
    await a1.getByLabel("Space name").fill("Two tabs");
    await a1.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    await expect(a1.getByRole("heading", { level: 1, name: "Two tabs" })).toBeVisible();
    await a1.getByRole("tab", { name: "Members" }).click();
    await a1.getByRole("button", { name: "Invite people" }).click();
    const dialog = a1.getByRole("dialog");
    await dialog.getByRole("radio", { name: /^Open/ }).check();
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    await dialog.getByRole("button", { name: "Copy link" }).click();
    const link = await a1.evaluate(() => navigator.clipboard.readText());
    await dialog.getByRole("button", { name: "Done" }).click();
    await b.getByRole("button", { name: "Join with a link" }).click();
    await b.getByLabel("Invitation link").fill(link);
    await b.getByRole("dialog").getByRole("button", { name: "Join", exact: true }).click();
    await expect(b.getByRole("heading", { level: 1, name: "Two tabs" })).toBeVisible({
      timeout: 20_000,
    });
    await b.getByRole("tab", { name: "Chat" }).click();

    // A second tab of Ann's profile runs nothing and says so.
    const a2 = await ann.newPage();
    await a2.goto(appUrl());
    await expect(elsewhere(a2)).toBeVisible();

    await a1.getByRole("tab", { name: "Chat" }).click();
    for (let i = 1; i <= 20; i++) await say(a1, `tab one ${i}`);

    // Moving Grove to the second tab stops the first one.
    await a2.getByRole("button", { name: "Use here" }).click();
    await expect(elsewhere(a1)).toBeVisible({ timeout: 20_000 });
    await openSpace(a2, "Two tabs");
    await a2.getByRole("tab", { name: "Chat" }).click();
    // Bob is away while tab two writes: nothing of Ann's own may make these "Delivered".
    await expect(messageTexts(b)).toHaveCount(20, { timeout: 20_000 });
    await b.close();
    for (let i = 1; i <= 20; i++) await say(a2, `tab two ${i}`);
    // The state is said once per group of messages, under its last one.
    const states = a2
      .locator(".message")
      .filter({ hasText: /tab two \d+/ })
      .getByTestId("delivery");
    await expect(states.last()).toHaveText("At relay", { timeout: 20_000 });
    await expect(states.filter({ hasText: "Delivered" })).toHaveCount(0);

    // Bob is back: his receipts, and only they, make them delivered.
    b = await bob.newPage();
    await b.goto(appUrl());
    await openSpace(b, "Two tabs");
    await b.getByRole("tab", { name: "Chat" }).click();
    await expect(messageTexts(b)).toHaveCount(40, { timeout: 20_000 });
    await expect(states.last()).toHaveText("Delivered", { timeout: 20_000 });
    await expect(states.filter({ hasText: "At relay" })).toHaveCount(0);
    // Closing the tab that runs the engine and reloading the other: everything is there.
    await a2.close();
    await a1.reload();
    await openSpace(a1, "Two tabs");
    await a1.getByRole("tab", { name: "Chat" }).click();
    await expect(messageTexts(a1)).toHaveCount(40, { timeout: 20_000 });
    for (const n of [1, 20]) {
      await expect(messageTexts(a1)).toContainText([`tab one ${n}`, `tab two ${n}`]);
    }
  } finally {
    await ann.close();
    await bob.close();
  }
});
