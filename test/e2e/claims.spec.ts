/**
 * What the app says in the browser is what it did (or could know): clicking
 * "Open in mail app" hands a mailto: link to the system, which may have no
 * mail app at all, so the app does not say the mail app opened; the email
 * asked for at onboarding is said to stay on this device, since nothing shows
 * it to anyone. A real relay process serving the built app.
 */
import { expect, test } from "@playwright/test";
import { appRelayPerSpec, createSpace, person, profiles, tab } from "./app-ui.js";

const app = appRelayPerSpec();

test("the invite dialog does not say a mail app opened, and onboarding does not say the email is shown", async ({
  browser,
}) => {
  const [ctx] = await profiles(browser, app.appUrl(), 1);
  if (!ctx) throw new Error("no browser context");
  try {
    const page = await ctx.newPage();
    await page.goto(app.appUrl());
    await expect(page.getByLabel(/^Email/)).toBeVisible();
    await expect(page.getByText("shown to people you invite")).toHaveCount(0);
    await page.close();

    const a = await person(ctx, app.appUrl(), "Ann");
    await createSpace(a, "Book club");
    await tab(a, "Members");
    await a.getByRole("button", { name: "Invite people" }).click();
    const dialog = a.getByRole("dialog");
    await dialog.getByRole("button", { name: "Create invitation" }).click();
    // The mailto: link goes to the system; this page stays, and cannot know what opened.
    await dialog.getByRole("link", { name: "Open in mail app" }).click();
    await expect(dialog.getByRole("status")).toHaveText(/If no mail app opened, copy the link/);
    await expect(dialog.getByText("Opened in your mail app.")).toHaveCount(0);
  } finally {
    await ctx.close();
  }
});
