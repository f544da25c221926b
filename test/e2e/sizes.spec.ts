/**
 * What issue 19 asked of the app, as a user does it, in the built app on a
 * real relay: dialogs take typed text and Enter; a reload (and back and
 * forward) keeps the space, the tool and unsent drafts; right-to-left text
 * reads right to left; bare web addresses are links and nothing else is;
 * Ctrl+K switches spaces; search goes back where it came from; the narrow
 * window's drawer opens and closes.
 */
import { expect, type Page, test } from "@playwright/test";
import type { GroveClient } from "../../renderer/src/model/client.js";
import { appRelayPerSpec, invite, join, messageTexts, person, say, tab } from "./app-ui.js";

const app = appRelayPerSpec();

const heading = (page: Page, name: string) => page.getByRole("heading", { level: 1, name });

/** Creates a space with the keyboard only: typed name, then Enter. */
async function createByKeyboard(page: Page, name: string) {
  await page.getByRole("button", { name: "Create a space" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Create a space" });
  await expect(dialog.getByLabel("Space name")).toBeFocused();
  await page.keyboard.type(name);
  await page.keyboard.press("Enter");
  await expect(heading(page, name)).toBeVisible();
  await expect(dialog).toHaveCount(0);
}

/** Waits until every draft typed so far is in the encrypted store. */
const draftsWritten = (page: Page) =>
  page.waitForFunction(
    () => (globalThis as unknown as { groveClient: GroveClient }).groveClient.drafts?.pending === 0,
  );

test("dialogs take typed text and Enter, and Escape cancels; Ctrl+K switches spaces", async ({
  browser,
}) => {
  const context = await browser.newContext();
  try {
    const page = await person(context, app.appUrl(), "Ann");
    await createByKeyboard(page, "Garden club");
    await createByKeyboard(page, "Choir");

    // Escape leaves the join dialog without doing anything.
    await page.getByRole("button", { name: "Join with a link" }).click();
    await expect(page.getByLabel("Invitation link")).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
    await expect(heading(page, "Choir")).toBeVisible();

    // Focus goes back to what opened the dialog.
    await expect(page.getByRole("button", { name: "Join with a link" })).toBeFocused();

    // Opening a space with Enter puts focus in it (its message box), not left in the sidebar.
    await page
      .getByRole("navigation")
      .getByRole("button", { name: /^Garden club/ })
      .focus();
    await page.keyboard.press("Enter");
    await expect(heading(page, "Garden club")).toBeVisible();
    await expect(page.getByLabel("Message", { exact: true })).toBeFocused();

    // Ctrl+K: a few letters and Enter open the space.
    await page.keyboard.press("Control+k");
    const switcher = page.getByRole("dialog", { name: "Switch to a space" });
    await expect(switcher.getByRole("combobox")).toBeFocused();
    await page.keyboard.type("cho");
    await expect(switcher.getByRole("option")).toHaveText(["Choir"]);
    await page.keyboard.press("Enter");
    await expect(heading(page, "Choir")).toBeVisible();
    await expect(switcher).toHaveCount(0);
    // Arrows move through the matches.
    await page.keyboard.press("Control+k");
    const options = switcher.getByRole("option");
    await expect(options).toHaveCount(2);
    const second = await options.nth(1).textContent();
    await page.keyboard.press("ArrowDown");
    await expect(options.nth(1)).toHaveAttribute("aria-selected", "true");
    await page.keyboard.press("Enter");
    await expect(heading(page, second ?? "")).toBeVisible();

    // The confirmation starts on Cancel: Enter there keeps the space.
    await page.getByRole("button", { name: "Leave" }).click();
    const confirm = page.getByRole("alertdialog");
    await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
    await expect(confirm).toContainText("read-only copy");
    await page.keyboard.press("Enter");
    await expect(confirm).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Leave" })).toBeVisible();

    // The shortcuts list opens with ? and closes with Escape.
    await page.getByRole("heading", { level: 1 }).click();
    await page.keyboard.press("?");
    await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog")).toHaveCount(0);
    // Alt+M goes to the open tool's writing field; Alt+4 opens the fourth tool.
    await page.keyboard.press("Alt+m");
    await expect(page.getByLabel("Message", { exact: true })).toBeFocused();
    await page.keyboard.press("Alt+4");
    await expect(page.getByRole("tab", { name: "Tasks" })).toHaveAttribute("aria-selected", "true");
    await page.keyboard.press("Alt+m");
    await expect(page.getByLabel("New task")).toBeFocused();
  } finally {
    await context.close();
  }
});

test("a reload keeps the space, the tool and the drafts; back and forward walk the tools", async ({
  browser,
}) => {
  const context = await browser.newContext();
  try {
    const page = await person(context, app.appUrl(), "Ann");
    await createByKeyboard(page, "Garden club");
    await page.getByLabel("Message", { exact: true }).fill("Half a thought about the");
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.getByLabel("New task").fill("Buy seed potatoes");
    await page.getByRole("tab", { name: "Discussion" }).click();
    await draftsWritten(page);

    await page.reload();
    await expect(heading(page, "Garden club")).toBeVisible();
    await expect(page.getByRole("tab", { name: "Discussion" })).toHaveAttribute(
      "aria-selected",
      "true",
    );
    await page.goBack();
    await expect(page.getByRole("tab", { name: "Tasks" })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByLabel("New task")).toHaveValue("Buy seed potatoes");
    await page.goBack();
    await expect(page.getByRole("tab", { name: "Chat" })).toHaveAttribute("aria-selected", "true");
    await expect(page.getByLabel("Message", { exact: true })).toHaveValue(
      "Half a thought about the",
    );
    await page.goForward();
    await expect(page.getByRole("tab", { name: "Tasks" })).toHaveAttribute("aria-selected", "true");

    // A sent message is no draft any more, after a reload too.
    await page.getByRole("tab", { name: "Chat" }).click();
    await page.getByLabel("Message", { exact: true }).press("End");
    await page.keyboard.type(" compost");
    await page.keyboard.press("Enter");
    await expect(messageTexts(page)).toHaveText(["Half a thought about the compost"]);
    await draftsWritten(page);
    await page.reload();
    await expect(page.getByLabel("Message", { exact: true })).toHaveValue("");

    // A start without a route (as the desktop app starts) opens the last place.
    await page.getByRole("tab", { name: "Notes" }).click();
    await page.goto(app.appUrl());
    await expect(heading(page, "Garden club")).toBeVisible();
    await expect(page.getByRole("tab", { name: "Notes" })).toHaveAttribute("aria-selected", "true");
  } finally {
    await context.close();
  }
});

test("right-to-left messages read right to left; bare web addresses are links, other schemes never", async ({
  browser,
}) => {
  const context = await browser.newContext();
  try {
    const page = await person(context, app.appUrl(), "Ann");
    await createByKeyboard(page, "Garden club");
    const hebrew = "שלום לכולם, נפגש בגינה ביום שישי!";
    const arabic = "مرحبا بالجميع، نلتقي في الحديقة يوم الجمعة.";
    await say(page, hebrew);
    await say(page, arabic);
    await say(page, "Plan: https://example.com/garden/plan?v=2. Not this: javascript:alert(1)");
    // Shift+Enter is a new line, not a send.
    await page.getByLabel("Message", { exact: true }).press("a");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("b");
    await expect(page.getByLabel("Message", { exact: true })).toHaveValue("a\nb");

    for (const text of [hebrew, arabic]) {
      const p = page.locator(".md p", { hasText: text });
      await expect(p).toHaveCSS("direction", "rtl");
      // The line ends at the right edge of the message, as right-to-left text does.
      const gap = await p.evaluate((el) => {
        const range = document.createRange();
        range.selectNodeContents(el);
        return el.getBoundingClientRect().right - range.getBoundingClientRect().right;
      });
      expect(gap).toBeLessThan(2);
    }
    const english = page.locator(".md p", { hasText: "Plan:" });
    await expect(english).toHaveCSS("direction", "ltr");
    const link = english.getByRole("link");
    await expect(link).toHaveCount(1);
    await expect(link).toHaveAttribute("href", "https://example.com/garden/plan?v=2");
    await expect(page.locator('a[href^="javascript"], a[href^="data"]')).toHaveCount(0);

    // Search marks what it found; Escape goes back to the space.
    await page.getByLabel(/^Search messages/).fill("garden");
    await expect(page.getByRole("heading", { name: "Results for “garden”" })).toBeVisible();
    await expect(page.locator(".hits mark").first()).toHaveText(/garden/i);
    await page.getByLabel(/^Search messages/).press("Escape");
    await expect(heading(page, "Garden club")).toBeVisible();
    await expect(page.getByLabel(/^Search messages/)).toHaveValue("");
    // A hit opens its place, and the box is empty again.
    await page.getByLabel(/^Search messages/).fill("plan");
    await page.locator(".hits").getByRole("button").first().click();
    await expect(heading(page, "Garden club")).toBeVisible();
    await expect(page.getByLabel(/^Search messages/)).toHaveValue("");
  } finally {
    await context.close();
  }
});

test("in a narrow window the space list is a drawer: it opens, takes a choice, and Escape closes it", async ({
  browser,
}) => {
  const context = await browser.newContext({
    viewport: { width: 400, height: 760 },
    hasTouch: true,
  });
  try {
    const page = await person(context, app.appUrl(), "Ann");
    await createByKeyboard(page, "Garden club");
    const nav = page.getByRole("navigation");
    const toggle = page.getByRole("button", { name: "Spaces and people" });
    await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeHidden();
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    await nav.getByRole("button", { name: "Buddies" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Buddies" })).toBeVisible();
    await expect(nav.getByRole("button", { name: "Buddies" })).toBeHidden();
    await toggle.click();
    await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeVisible();
    // The page behind an open drawer takes no focus or clicks, as behind a dialog.
    await expect(page.locator("#main")).toHaveAttribute("inert");
    await page.keyboard.press("Escape");
    await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeHidden();
    await expect(toggle).toBeFocused();
    // Every tool is on screen, none behind a scroll.
    await page.goBack();
    await expect(heading(page, "Garden club")).toBeVisible();
    // Search from the drawer: typing stays in the drawer, Enter shows the results.
    await toggle.click();
    await nav.getByLabel(/^Search messages/).fill("garden");
    await expect(nav.getByLabel(/^Search messages/)).toBeVisible();
    await nav.getByLabel(/^Search messages/).press("Enter");
    await expect(page.getByRole("heading", { name: "Results for “garden”" })).toBeVisible();
    await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeHidden();
    await page.goBack();
    await expect(heading(page, "Garden club")).toBeVisible();
    // On a touch screen: a swipe in from the left edge opens it, a swipe to the left closes it.
    const swipe = (from: number, to: number) =>
      page.evaluate(
        ([a, b]) => {
          const at = (x: number) =>
            new Touch({ identifier: 1, target: document.body, clientX: x, clientY: 400 });
          const init = (x: number, down: boolean) => ({
            touches: down ? [at(x)] : [],
            changedTouches: [at(x)],
            bubbles: true,
          });
          document.body.dispatchEvent(new TouchEvent("touchstart", init(a!, true)));
          document.body.dispatchEvent(new TouchEvent("touchend", init(b!, false)));
        },
        [from, to],
      );
    await swipe(4, 200);
    await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeVisible();
    await swipe(250, 40);
    await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeHidden();
    // Widened past the drawer's width with it open: the sidebar is back and the page usable.
    await toggle.click();
    await page.setViewportSize({ width: 1280, height: 760 });
    await expect(page.locator("#main")).not.toHaveAttribute("inert");
    await page.setViewportSize({ width: 400, height: 760 });
    await expect(nav.getByRole("button", { name: /^Garden club/ })).toBeHidden();
    for (const tool of [
      "Chat",
      "Discussion",
      "Notes",
      "Tasks",
      "Calendar",
      "Sketch",
      "Files",
      "Members",
    ]) {
      await expect(page.getByRole("tab", { name: new RegExp(`^${tool}`) })).toBeInViewport({
        ratio: 1,
      });
    }
  } finally {
    await context.close();
  }
});

test("a member back in a space sees a New messages line above what came meanwhile, one name per minute's run", async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const ann = await browser.newContext();
  const bob = await browser.newContext();
  await ann.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.appUrl() });
  try {
    const a = await person(ann, app.appUrl(), "Ann");
    const b = await person(bob, app.appUrl(), "Bob");
    await createByKeyboard(a, "Garden club");
    await join(b, await invite(a, "Open"));
    await expect(heading(b, "Garden club")).toBeVisible({ timeout: 30_000 });
    await tab(a, "Chat");
    await say(a, "Before Bob looked away");
    await expect(messageTexts(b)).toHaveText(["Before Bob looked away"], { timeout: 20_000 });
    // The read mark is written a moment after a message is seen; wait until it has been.
    await expect(b.getByRole("navigation").locator(".badge")).toHaveCount(0);

    // Bob is elsewhere while Ann writes three messages in one go.
    await b.getByRole("navigation").getByRole("button", { name: "Buddies" }).click();
    for (const text of ["First new one", "Second new one", "Third new one"]) await say(a, text);
    await expect(
      b.getByRole("navigation").getByRole("button", { name: /^Garden club/ }),
    ).toContainText("3", { timeout: 20_000 });
    await b.goBack();
    await expect(heading(b, "Garden club")).toBeVisible();
    await expect(messageTexts(b)).toHaveCount(4, { timeout: 20_000 });

    // The line sits right above the first message Bob had not seen.
    const line = b.locator(".new-divider");
    await expect(line).toHaveText("New messages");
    const next = b.locator(".new-divider + article");
    await expect(next.locator(".md")).toHaveText("First new one");
    // Ann's run shows her name once per minute: every message after the first in a minute
    // continues the group (at most one name more, if the minute turned meanwhile).
    // What arrives while Bob reads is being read: the line stays where it was.
    await say(a, "While Bob reads");
    await expect(messageTexts(b)).toHaveCount(5, { timeout: 20_000 });
    await expect(line).toHaveCount(1);
    await expect(next.locator(".md")).toHaveText("First new one");
    const names = await b.locator("article.message .author").count();
    expect(names).toBeLessThanOrEqual(3);
    await expect(b.locator("article.message.grouped")).not.toHaveCount(0);
  } finally {
    await ann.close();
    await bob.close();
  }
});
