/** Steps the app's browser tests take through the UI, shared by the specs that drive it. */
import { mkdirSync } from "node:fs";
import { AxeBuilder } from "@axe-core/playwright";
import { type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";
import { type RelayProcess, removeDir, startRelayProcess } from "../relay-harness.js";
import { buildRenderer } from "./app-build.js";

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;

/**
 * A real relay process serving the built web app, for every test of a spec:
 * started before the first, killed and its data removed after the last.
 */
export function appRelayPerSpec(args: string[] | (() => Promise<string[]>) = []): {
  readonly relay: RelayProcess;
  appUrl(): string;
} {
  let relay: RelayProcess | undefined;
  test.beforeAll(async () => {
    const appDir = await buildRenderer();
    // Arguments may depend on servers the spec starts first (an SMTP server's port).
    const extra = typeof args === "function" ? await args() : args;
    relay = await startRelayProcess({ args: ["--app-dir", appDir, ...extra] });
  });
  test.afterAll(async () => {
    await relay?.kill();
    if (relay) removeDir(relay.dataDir);
  });
  return {
    get relay() {
      if (!relay) throw new Error("relay not started yet (use it inside a test)");
      return relay;
    },
    appUrl() {
      return `http://127.0.0.1:${this.relay.port}/app/`;
    },
  };
}

export const messageTexts = (page: Page) =>
  page.getByRole("log", { name: "Messages" }).locator(".md");

/** The open note's text, a line per paragraph (carets' name labels left out). */
export const noteText = (page: Page) =>
  page.getByRole("textbox", { name: "Note text" }).evaluate((el) =>
    Array.from(el.querySelectorAll("p"))
      .map((p) => {
        const copy = p.cloneNode(true) as HTMLElement;
        for (const c of Array.from(copy.querySelectorAll(".collaboration-carets__caret"))) {
          c.remove();
        }
        return copy.textContent;
      })
      .join("\n"),
  );

export async function openSpace(page: Page, name: string) {
  await page
    .getByRole("navigation")
    .getByRole("button", { name: new RegExp(`^${name}`) })
    .click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

/** Sends a chat message with Enter and waits until it shows. */
export async function say(page: Page, text: string) {
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Message", { exact: true }).press("Enter");
  await expect(messageTexts(page)).toContainText([text]);
}

/** A new page in `context` that onboards as `name` at the app served at `appUrl`. */
export async function person(context: BrowserContext, appUrl: string, name: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(appUrl);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("This device's name").fill(`${name}'s laptop`);
  await page.getByRole("button", { name: "Create my identity" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${name}` })).toBeVisible();
  return page;
}

export async function createSpace(page: Page, name: string) {
  await page.getByRole("button", { name: "Create a space" }).first().click();
  await page.getByLabel("Space name").fill(name);
  await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

export async function tab(
  page: Page,
  name: "Chat" | "Discussion" | "Notes" | "Tasks" | "Calendar" | "Sketch" | "Files" | "Members",
) {
  await page.getByRole("tab", { name: new RegExp(`^${name}`) }).click();
}

/** Makes an invitation on the Members tab and returns its link (from the clipboard). */
export async function invite(
  page: Page,
  mode: "Open" | "Confirmed",
  screen?: string,
): Promise<string> {
  await tab(page, "Members");
  await page.getByRole("button", { name: "Invite people" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("radio", { name: new RegExp(`^${mode}`) }).check();
  if (screen) await capture(page, `${screen}-form`);
  await dialog.getByRole("button", { name: "Create invitation" }).click();
  if (screen) await capture(page, `${screen}-link`);
  await dialog.getByRole("button", { name: "Copy link" }).first().click();
  await expect(dialog.getByRole("status")).toHaveText("Link copied.");
  const link = await page.evaluate(() => navigator.clipboard.readText());
  await dialog.getByRole("button", { name: "Done" }).click();
  return link;
}

export async function join(page: Page, link: string) {
  await page.getByRole("button", { name: "Join with a link" }).click();
  await page.getByLabel("Invitation link").fill(link);
  await page.getByRole("dialog").getByRole("button", { name: "Join", exact: true }).click();
  await expect(page.getByRole("dialog")).toBeHidden();
}

async function axe(page: Page, screen: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    `axe on ${screen}`,
  ).toEqual([]);
}

/** Light and dark screenshots (test/artifacts/), and an axe scan in each theme. */
export async function capture(page: Page, screen: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => {
      document.documentElement.dataset.theme = t;
    }, theme);
    await axe(page, `${screen} (${theme})`);
    await page.screenshot({ path: `${ARTIFACTS}${screen}-${theme}.png` });
  }
  // The same screen on a phone-sized window: nothing wider than it (the gallery's rule).
  const size = page.viewportSize();
  if (size) {
    await page.setViewportSize({ width: 360, height: size.height });
    // The space list slides away into its drawer: judge the screen once it has.
    await page.waitForFunction(() =>
      document.getAnimations().every((a) => a.playState !== "running"),
    );
    await page.screenshot({ path: `${ARTIFACTS}${screen}-360.png` });
    expect(await overflows(page), `${screen} at 360 px`).toEqual([]);
    await page.setViewportSize(size);
  }
  await page.evaluate(() => {
    document.documentElement.dataset.theme = localStorage.getItem("grove.theme") ?? "light";
  });
}

/**
 * Installs a recording stand-in for the web Notification API, granted
 * (headless Chromium shows none); `notifications(page)` reads what it was given.
 */
export function recordNotifications() {
  const shown: { title: string; body: string }[] = [];
  class Recorded {
    static permission = "granted";
    static requestPermission = async () => "granted";
    constructor(title: string, options?: { body?: string }) {
      shown.push({ title, body: options?.body ?? "" });
    }
    close() {}
  }
  Object.assign(window, { Notification: Recorded, shownNotifications: shown });
}

export const notifications = (page: Page) =>
  page.evaluate(
    () =>
      (window as unknown as { shownNotifications: { title: string; body: string }[] })
        .shownNotifications,
  );

/**
 * Isolated browser profiles with the clipboard allowed; notifications recorded, and with
 * `clock` a clock the test may move (installed before any page loads).
 */
export async function profiles(
  browser: Browser,
  appUrl: string,
  n: number,
  options: { clock?: boolean } = {},
): Promise<BrowserContext[]> {
  const contexts: BrowserContext[] = [];
  for (let i = 0; i < n; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: appUrl });
    await ctx.addInitScript(recordNotifications);
    if (options.clock) await ctx.clock.install();
    contexts.push(ctx);
  }
  return contexts;
}

/** Pastes a link into the join dialog and returns the dialog, whose alert says what went wrong. */
export async function tryJoin(page: Page, link: string) {
  await page.getByRole("button", { name: "Join with a link" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Invitation link").fill(link);
  await dialog.getByRole("button", { name: "Join", exact: true }).click();
  return dialog;
}

/** Answers the app's own confirmation (it replaced the browser's confirm()) with its action. */
export async function confirmWith(page: Page, action: string) {
  const dialog = page.getByRole("alertdialog");
  await dialog.getByRole("button", { name: action, exact: true }).click();
  await expect(dialog).toBeHidden();
}

/** Everything wider than the window, by a readable name; empty when all fits. */
export function overflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""}`;
    const containers = [
      document.documentElement,
      ...Array.from(
        document.querySelectorAll("#main, #main > *, .panel, .panel > *, dialog[open]"),
      ),
    ];
    for (const el of containers) {
      if (el.scrollWidth > el.clientWidth + 1) {
        found.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
      }
    }
    const right = document.documentElement.clientWidth;
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= right + 1) continue;
      const style = getComputedStyle(el);
      if (style.visibility === "hidden" || el.closest("[hidden], .sr-only")) continue;
      // Inside a sideways scroller by design, or inside the closed drawer.
      let scroller = el.parentElement;
      let clipped = false;
      while (scroller && scroller !== document.body) {
        const s = getComputedStyle(scroller);
        // A sideways scroller, or a box that cuts what sticks out (nothing shows past it).
        const cuts = ["auto", "scroll", "hidden", "clip"].includes(s.overflowX);
        if (cuts || s.visibility === "hidden") {
          clipped = true;
          break;
        }
        scroller = scroller.parentElement;
      }
      if (!clipped) found.push(`${name(el)} reaches ${Math.round(box.right)} px of ${right}`);
    }
    return found.slice(0, 10);
  });
}
