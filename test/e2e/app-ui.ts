/** Steps the app's browser tests take through the UI, shared by the specs that drive it. */
import { expect, type Page } from "@playwright/test";

export const messageTexts = (page: Page) =>
  page.getByRole("log", { name: "Messages" }).locator(".md");

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
