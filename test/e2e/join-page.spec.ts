/**
 * The relay's invite landing page in a real browser: the fragment (the
 * invite secret) never reaches the relay or anyone else, the page builds the
 * grove:// link and the web app link from it locally, and its CSP lets only
 * its own script run.
 */
import { expect, test } from "@playwright/test";
import { type RelayProcess, removeDir, startRelayProcess } from "../relay-harness.js";

const APP = "http://127.0.0.1:9/grove-app";
let relay: RelayProcess;
test.beforeAll(async () => {
  relay = await startRelayProcess({ args: ["--app-url", APP] });
});
test.afterAll(async () => {
  await relay?.kill();
  if (relay) removeDir(relay.dataDir);
});

test("the join page keeps the invite secret in the browser and links to the app and the web app", async ({
  page,
}) => {
  const secret = "AQ5zZWNyZXQtcGF5bG9hZC1mb3ItdGVzdHM";
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const http = relay.url.replace(/^ws/, "http");
  await page.goto(`${http}/join#${secret}`);

  const open = page.getByRole("link", { name: "Open in Grove" });
  await expect(open).toBeVisible();
  await expect(open).toHaveAttribute("href", `grove://join#${secret}`);
  await expect(page.getByRole("link", { name: "Open in the web app" })).toHaveAttribute(
    "href",
    `${APP}/join#${secret}`,
  );
  // One request in all, for the page itself, without its fragment.
  expect(requests).toEqual([`${http}/join`]);
  expect(violations).toEqual([]);
});

test("a link without its secret says so", async ({ page }) => {
  await page.goto(`${relay.url.replace(/^ws/, "http")}/join`);
  await expect(page.getByText("This link is incomplete")).toBeVisible();
  await expect(page.getByRole("link", { name: "Open in Grove" })).toBeHidden();
});
