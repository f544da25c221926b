/**
 * The membership states issue 17 left for last, through the UI only, with a
 * real relay process that has mail (a real SMTP server on loopback): a
 * declined joiner is told and can remove the space; an expired link says so
 * (the joiner's clock moved past its expiry); a member silent for 22 days
 * (the manager's clock moved) is flagged with what waits for them; "Send
 * through relay" is offered because this relay has mail, and sends. Each new
 * screen is scanned by axe and captured in light and dark.
 */
import { type Browser, type BrowserContext, expect, test } from "@playwright/test";
import { simpleParser } from "mailparser";
import { FROM, TestSmtp } from "../smtp-harness.js";
import {
  appRelayPerSpec,
  capture,
  createSpace,
  invite,
  join,
  messageTexts,
  person,
  profiles,
  say,
  tab,
  tryJoin,
} from "./app-ui.js";

const DAY_MS = 24 * 3600_000;
let smtp: TestSmtp;
const app = appRelayPerSpec(async () => {
  smtp = await TestSmtp.start();
  return ["--smtp-url", smtp.url, "--smtp-from", FROM];
});
test.afterAll(async () => {
  await smtp?.close();
});
const appUrl = () => app.appUrl();

const profilesOf = (browser: Browser, n: number) => profiles(browser, appUrl(), n, { clock: true });

test("declined: the joiner is told and removes the space; an expired link says so", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const contexts = await profilesOf(browser, 3);
  try {
    const [ctxA, ctxC, ctxD] = contexts as [BrowserContext, BrowserContext, BrowserContext];
    const a = await person(ctxA, appUrl(), "Ann");
    const c = await person(ctxC, appUrl(), "Cho");
    await createSpace(a, "Garden club");
    await join(c, await invite(a, "Confirmed"));
    await expect(c.getByRole("heading", { name: "Waiting to be let in" })).toBeVisible();

    await tab(a, "Members");
    await a.getByRole("button", { name: "Decline" }).click();
    await expect(c.getByRole("heading", { name: "You were not let in" })).toBeVisible({
      timeout: 30_000,
    });
    await expect(
      c.getByText("A manager of this space declined your request to join."),
    ).toBeVisible();
    await capture(c, "declined");
    await c.getByRole("button", { name: "Remove from my spaces" }).click();
    await expect(
      c.getByRole("navigation").getByRole("button", { name: /^Garden club/ }),
    ).toHaveCount(0);

    // A link made to last a week (the dialog's default), opened eight days later by the
    // joiner's clock.
    const link = await invite(a, "Confirmed");
    const d = await person(ctxD, appUrl(), "Dan");
    await ctxD.clock.setSystemTime(Date.now() + 8 * DAY_MS);
    const dialog = await tryJoin(d, link);
    await expect(dialog.getByRole("alert")).toHaveText(
      "This invite has expired. Ask Ann for a new one.",
      { timeout: 30_000 },
    );
    await capture(d, "join-expired");
  } finally {
    for (const ctx of contexts) await ctx.close();
  }
});

test("a member silent for 22 days is flagged to the manager with what waits, a reminder and Remove", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const contexts = await profilesOf(browser, 2);
  try {
    const [ctxA, ctxB] = contexts as [BrowserContext, BrowserContext];
    const a = await person(ctxA, appUrl(), "Ann");
    const b = await person(ctxB, appUrl(), "Bob");
    await createSpace(a, "Allotment");
    await join(b, await invite(a, "Open"));
    await expect(b.getByRole("heading", { level: 1, name: "Allotment" })).toBeVisible({
      timeout: 30_000,
    });
    await tab(a, "Chat");
    await say(a, "Seeds are in");
    await tab(b, "Chat");
    await expect(messageTexts(b)).toContainText(["Seeds are in"], { timeout: 20_000 });
    // Bob's receipt reaches Ann ("Delivered"): nothing waits for him yet.
    await expect(a.getByText("Delivered", { exact: false }).first()).toBeVisible({
      timeout: 20_000,
    });
    await tab(a, "Members");
    await expect(a.getByRole("heading", { name: "Not heard from" })).toHaveCount(0);

    // Bob's device goes quiet; Ann writes, and three weeks pass on her clock.
    await ctxB.close();
    await tab(a, "Chat");
    await say(a, "Watering rota?");
    await ctxA.clock.setSystemTime(Date.now() + 22 * DAY_MS);
    await tab(a, "Members");
    const card = a.getByRole("region", { name: "Not heard from" });
    await expect(card).toBeVisible();
    await expect(card.locator(".member")).toContainText(
      "Nothing acknowledged for 22 days · 1 message waits for them",
    );
    await expect(card.getByRole("button", { name: "Remove Bob (not heard from)" })).toBeVisible();
    await card.getByRole("button", { name: "Copy a reminder for Bob" }).click();
    await expect(card.getByRole("status")).toHaveText("Reminder for Bob copied.");
    expect(await a.evaluate(() => navigator.clipboard.readText())).toMatch(
      /^Hi Bob, a message waits for you in "Allotment" on Grove since /,
    );
    await capture(a, "stale-member");
    // The threshold is the space's setting on this device: at 30 days Bob is not flagged yet.
    await card
      .getByLabel(/^Flag members whose devices acknowledged nothing for/)
      .selectOption("30");
    await expect(card).toBeHidden();
  } finally {
    for (const ctx of contexts) await ctx.close().catch(() => {});
  }
});

test("Send through relay is offered where the relay has mail: one mail per address, in the relay's words", async ({
  browser,
}) => {
  test.setTimeout(90_000);
  const [ctxA] = (await profilesOf(browser, 1)) as [BrowserContext];
  try {
    const a = await person(ctxA, appUrl(), "Ann");
    await createSpace(a, "Book club");
    await tab(a, "Members");
    await a.getByRole("button", { name: "Invite people" }).click();
    const dialog = a.getByRole("dialog");
    await dialog.getByLabel(/^Email addresses/).fill("bob@example.com, cho@example.com");
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    const before = smtp.received.length;
    await dialog.getByRole("button", { name: "Send through relay" }).click();
    for (const to of ["bob@example.com", "cho@example.com"]) {
      await expect(dialog.getByText(`Sent to ${to} by the relay.`)).toBeVisible({
        timeout: 20_000,
      });
    }
    expect(smtp.received.slice(before).map((m) => m.rcptTo)).toEqual([
      ["bob@example.com"],
      ["cho@example.com"],
    ]);
    // Each address got its own link.
    const texts = await Promise.all(
      smtp.received.slice(before).map(async (m) => (await simpleParser(m.raw)).text ?? ""),
    );
    const links = texts.map((t) => /\/join#[\w-]+/.exec(t)?.[0]);
    expect(links.every(Boolean)).toBe(true);
    expect(new Set(links).size).toBe(2);
    await expect(dialog.getByRole("button", { name: "Send through relay" })).toHaveCount(0);
    await capture(a, "invite-sent-by-relay");
    await dialog.getByRole("button", { name: "Done" }).click();

    // An open invitation is never mailed by the relay: its operator could use the link.
    await a.getByRole("button", { name: "Invite people" }).click();
    await dialog.getByLabel(/^Email addresses/).fill("dan@example.com");
    await dialog.getByRole("radio", { name: /^Open/ }).check();
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    await expect(dialog.getByText(/^Open invitations go from your own mail app/)).toBeVisible();
    await expect(dialog.getByRole("button", { name: "Send through relay" })).toHaveCount(0);
  } finally {
    await ctxA.close();
  }
});
