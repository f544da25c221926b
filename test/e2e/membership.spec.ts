/**
 * Membership as people meet it (issue 17), through the UI only, with a real
 * relay process serving the built web app: join requests reach managers at
 * once, invites are objects, removed and departed members are told, invite
 * errors are in words, and verification is asked once. Each new screen is
 * scanned by axe and captured in light and dark (test/artifacts/).
 */
import { type Browser, type BrowserContext, expect, type Page, test } from "@playwright/test";
import { decodeInvitePayload, encodeInvitePayload } from "../../core/membership/invite-link.js";
import {
  appRelayPerSpec,
  capture,
  confirmWith,
  createSpace,
  invite,
  join,
  messageTexts,
  notifications,
  person,
  profiles,
  say,
  tab,
  tryJoin,
} from "./app-ui.js";

const app = appRelayPerSpec();

const appUrl = () => app.appUrl();

const profilesOf = (browser: Browser, n: number) => profiles(browser, appUrl(), n);

const sidebarSpace = (page: Page, name: string) =>
  page.getByRole("navigation").getByRole("button", { name: new RegExp(`^${name}`) });

test("a manager on Chat sees a join request at once: badges, a notification, the request first on Members", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const contexts = await profilesOf(browser, 2);
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

test("invites are objects: addresses checked first, one link per address with its terms and QR, listed on Members, revoked", async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const contexts = await profilesOf(browser, 5);
  try {
    const [ctxA, ...others] = contexts as [BrowserContext, ...BrowserContext[]];
    const a = await person(ctxA, appUrl(), "Ann");
    await createSpace(a, "Book club");
    await tab(a, "Members");
    await a.getByRole("button", { name: "Invite people" }).click();
    const dialog = a.getByRole("dialog");
    const addresses = dialog.getByLabel(/^Email addresses/);

    // A bad address stops everything: no invitation is made.
    await addresses.fill("bob@example.com, not-an-email");
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    await expect(dialog.getByRole("alert")).toHaveText(
      '"not-an-email" is not an email address. Correct or remove it; no invitation was made.',
    );

    // Three addresses, open and single use: three links, each with its terms and a QR code.
    await addresses.fill("bob@example.com, cho@example.com; dan@example.com");
    await dialog.getByRole("radio", { name: /^Open/ }).check();
    await dialog.getByRole("radio", { name: /^Single use/ }).check();
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    await expect(dialog.getByText(/^Open · member · single use · expires /)).toBeVisible();
    const people = ["Bob", "Cho", "Dan"];
    const links: string[] = [];
    for (const who of people) {
      const address = `${who.toLowerCase()}@example.com`;
      await expect(
        dialog.getByRole("img", { name: `QR code of the invitation link for ${address}` }),
      ).toBeVisible();
      links.push(
        await dialog
          .getByRole("textbox", { name: `Invitation link for ${address}`, exact: true })
          .inputValue(),
      );
      await expect(
        dialog.getByRole("link", { name: `Open in mail app for ${address}` }),
      ).toHaveAttribute(
        "href",
        // The mail to each address carries that address's own link.
        new RegExp(
          `^mailto:${encodeURIComponent(address)}\\?.*${encodeURIComponent(links.at(-1)!)}`,
        ),
      );
    }
    expect(new Set(links).size).toBe(3);
    await expect(dialog.getByRole("button", { name: "Send through relay" })).toHaveCount(0);
    await capture(a, "invite-made");
    await dialog.getByRole("button", { name: "Done" }).click();

    // All three are listed, with who made them; each person gets in by their own link.
    const list = a.getByRole("region", { name: "Open invitations" });
    await expect(list.getByRole("listitem")).toHaveCount(3);
    await expect(list.getByRole("listitem").first()).toContainText("Made by Ann · not used yet");
    await capture(a, "invite-list");
    const joiners = await Promise.all(people.map((who, i) => person(others[i]!, appUrl(), who)));
    for (const [i, page] of joiners.entries()) {
      await join(page, links[i]!);
      await expect(page.getByRole("heading", { level: 1, name: "Book club" })).toBeVisible({
        timeout: 30_000,
      });
    }
    // Used single-use links are no longer outstanding.
    await expect(list).toBeHidden({ timeout: 20_000 });

    // A multi-use link, revoked: it leaves the list, and whoever opens it is told so in words.
    await a.getByRole("button", { name: "Invite people" }).click();
    await dialog.getByRole("radio", { name: /^Multi-use/ }).check();
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    await expect(dialog.getByText(/^Confirmed · member · multi-use · expires /)).toBeVisible();
    const multi = await dialog
      .getByRole("textbox", { name: "Invitation link", exact: true })
      .inputValue();
    await dialog.getByRole("button", { name: "Done" }).click();
    await list
      .getByRole("button", { name: /^Revoke the invitation: Confirmed · member · multi-use/ })
      .click();
    await confirmWith(a, "Revoke");
    await expect(list).toBeHidden({ timeout: 20_000 });
    const eve = await person(others[3]!, appUrl(), "Eve");
    const refused = await tryJoin(eve, multi);
    await expect(refused.getByRole("alert")).toHaveText(
      "This invite was withdrawn. Ask Ann for a new one.",
      { timeout: 30_000 },
    );
    await capture(eve, "join-revoked");
  } finally {
    for (const ctx of contexts) await ctx.close();
  }
});

test("a removed member reads the archive and is told who removed them; a leaver is told; join errors are in words", async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const contexts = await profilesOf(browser, 4);
  try {
    const [ctxA, ctxB, ctxC, ctxD] = contexts as [
      BrowserContext,
      BrowserContext,
      BrowserContext,
      BrowserContext,
    ];
    const a = await person(ctxA, appUrl(), "Ann");
    const b = await person(ctxB, appUrl(), "Bob");
    const c = await person(ctxC, appUrl(), "Cho");
    await createSpace(a, "Choir");
    await say(a, "Rehearsal on Friday");
    const bobLink = await invite(a, "Open");
    await join(b, bobLink);
    await join(c, await invite(a, "Open"));
    for (const page of [b, c]) {
      await expect(page.getByRole("heading", { level: 1, name: "Choir" })).toBeVisible({
        timeout: 30_000,
      });
    }
    await expect(messageTexts(b)).toContainText(["Rehearsal on Friday"], { timeout: 20_000 });

    // Ann removes Bob: he is told by whom and when, and keeps what was written up to then.
    await a.getByRole("button", { name: "Remove Bob" }).click();
    await confirmWith(a, "Remove");
    const told = b.getByRole("heading", { level: 2, name: /^Ann removed you from Choir on / });
    await expect(told).toBeVisible({ timeout: 30_000 });
    const today = await b.evaluate(() =>
      new Date().toLocaleDateString(undefined, { dateStyle: "long" }),
    );
    await expect(told).toHaveText(`Ann removed you from Choir on ${today}`);
    await expect(messageTexts(b)).toContainText(["Rehearsal on Friday"]);
    await expect(b.getByLabel("Message", { exact: true })).toHaveCount(0);
    await expect(b.getByRole("heading", { name: "Waiting to be let in" })).toHaveCount(0);
    await capture(b, "removed");
    await b.getByRole("button", { name: "Delete from this device" }).click();
    await confirmWith(b, "Delete");
    await expect(sidebarSpace(b, "Choir")).toHaveCount(0);

    // Cho leaves: she is told so, and Ann no longer lists her.
    await c.getByRole("button", { name: "Leave" }).click();
    await confirmWith(c, "Leave");
    await expect(c.getByRole("heading", { level: 2, name: "You left Choir" })).toBeVisible({
      timeout: 20_000,
    });
    await capture(c, "left");
    await tab(a, "Members");
    await expect(a.locator(".member-list").getByText("Cho", { exact: true })).toHaveCount(0, {
      timeout: 20_000,
    });

    // Links that cannot be joined say why and what to do, in words.
    const d = await person(ctxD, appUrl(), "Dan");
    const [, payload] = bobLink.split("#") as [string, string];
    const dialog = await tryJoin(d, `${bobLink.split("#")[0]}#${payload.slice(0, 30)}`);
    await expect(dialog.getByRole("alert")).toHaveText(
      /^This link is incomplete or damaged: .* Copy the whole link again/,
    );
    await capture(d, "join-error");
    await dialog.getByLabel("Invitation link").fill("https://example.com/hello#abc");
    await dialog.getByRole("button", { name: "Join", exact: true }).click();
    await expect(dialog.getByRole("alert")).toHaveText(/^This is not a Grove invitation link\./);
    const elsewhere = encodeInvitePayload({
      ...decodeInvitePayload(payload),
      relayUrl: "wss://relay.example.org",
    });
    await dialog.getByLabel("Invitation link").fill(`https://relay.example.org/join#${elsewhere}`);
    await dialog.getByRole("button", { name: "Join", exact: true }).click();
    await expect(dialog.getByRole("alert")).toHaveText(
      /^This invitation is for another relay \(wss:\/\/relay\.example\.org\); .* Ask the person who invited you for a link made on your relay\.$/,
    );
    // Bob's single-use link was used: Ann's device left word of it at the relay.
    await dialog.getByLabel("Invitation link").fill(bobLink);
    await dialog.getByRole("button", { name: "Join", exact: true }).click();
    await expect(dialog.getByRole("alert")).toHaveText(
      "This invite was already used by someone else. Ask Ann for a new one.",
      { timeout: 30_000 },
    );
  } finally {
    for (const ctx of contexts) await ctx.close();
  }
});

/** How many groups of the safety number stand on each line, top to bottom. */
const linesOf = (number: import("@playwright/test").Locator) =>
  number.evaluate((el) => {
    const lines = new Map<number, number>();
    for (const group of Array.from(el.children)) {
      const top = Math.round(group.getBoundingClientRect().top);
      lines.set(top, (lines.get(top) ?? 0) + 1);
    }
    return [...lines.values()];
  });

test("confirming after comparing verifies once on both sides, with the digits grouped alike on every screen", async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const contexts = await profilesOf(browser, 3);
  try {
    const [ctxA, ctxB, ctxC] = contexts as [BrowserContext, BrowserContext, BrowserContext];
    const a = await person(ctxA, appUrl(), "Ann");
    const b = await person(ctxB, appUrl(), "Bob");
    const c = await person(ctxC, appUrl(), "Cho");
    await createSpace(a, "Quartet");
    await join(b, await invite(a, "Open"));
    await expect(b.getByRole("heading", { level: 1, name: "Quartet" })).toBeVisible({
      timeout: 30_000,
    });
    await join(c, await invite(a, "Confirmed"));

    // Both screens show the same digits in the same lines: four groups of five, three lines.
    const choSees = c.getByLabel("Safety number with Ann");
    await tab(a, "Members");
    const annSees = a.getByLabel("Safety number with Cho");
    await expect(annSees).toBeVisible({ timeout: 20_000 });
    await expect(annSees).toHaveText((await choSees.textContent()) ?? "");
    expect(await linesOf(choSees)).toEqual([4, 4, 4]);
    expect(await linesOf(annSees)).toEqual([4, 4, 4]);

    // Cho says the numbers match; Ann confirms: each is verified for the other, once.
    await c.getByRole("button", { name: "The numbers match: mark Ann verified" }).click();
    await expect(c.getByText("You marked Ann verified.")).toBeVisible();
    await capture(c, "waiting-verified");
    await a.getByRole("button", { name: "Confirm Cho" }).click();
    await expect(c.getByRole("heading", { level: 1, name: "Quartet" })).toBeVisible({
      timeout: 20_000,
    });
    await expect(
      a.locator(".member-list .member").filter({ hasText: "Cho" }).getByText("· Verified"),
    ).toBeVisible();
    for (const [page, other] of [
      [a, "Cho"],
      [c, "Ann"],
    ] as const) {
      await page.getByRole("button", { name: "Buddies" }).click();
      const row = page.locator(".member-list .member").filter({ hasText: other });
      await expect(row.getByText("Verified", { exact: true })).toBeVisible({ timeout: 20_000 });
      await expect(page.getByRole("button", { name: `Verify ${other}` })).toHaveCount(0);
    }

    // Bob, let in by an open link, is still to verify, and the dialog groups the digits alike.
    await a.getByRole("button", { name: "Verify Bob" }).click();
    const inDialog = a.getByRole("dialog").getByRole("group", { name: "Safety number" });
    await expect(inDialog).toBeVisible();
    expect(await linesOf(inDialog)).toEqual([4, 4, 4]);
  } finally {
    for (const ctx of contexts) await ctx.close();
  }
});
