/**
 * The web app inside the desktop shell, with the shell's `groveShell` API
 * stood in by a page script (the Electron binary is not available here; the
 * real bridge is unit-tested in test/electron/): the storage key wrapped by
 * the OS keychain, a passphrase where there is none, and a grove://join
 * deep link opening the join dialog, files through the OS dialogs. Real
 * relay, real app build.
 */
import { AxeBuilder } from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { type RelayProcess, removeDir, startRelayProcess } from "../relay-harness.js";
import { buildRenderer } from "./app-build.js";
import { type StandInOptions, type StandInRecord, standInShell } from "./stand-in-shell.js";

let relay: RelayProcess;
test.beforeAll(async () => {
  relay = await startRelayProcess({ args: ["--app-dir", await buildRenderer()] });
});
test.afterAll(async () => {
  await relay?.kill();
  if (relay) removeDir(relay.dataDir);
});
const appUrl = () => `http://127.0.0.1:${relay.port}/app/`;

/** Installs the stand-in shell before the app's script runs. */
const withShell = (page: Page, keychain: boolean, openFile?: StandInOptions["openFile"]) =>
  page.addInitScript(standInShell, { keychain, openFile });

const shellRecord = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as StandInRecord;
    return { calls: w.shellCalls, saved: w.savedFiles };
  });

async function onboard(page: Page, name: string) {
  await page.getByLabel("Your name").fill(name);
  await page.getByRole("button", { name: "Create my identity" }).click();
  await expect(page.getByRole("heading", { name: `Welcome, ${name}` })).toBeVisible();
}

test("with an OS keychain the storage key is wrapped by it and unwrapped at the next start", async ({
  page,
}) => {
  await withShell(page, true);
  await page.goto(appUrl());
  await onboard(page, "Ann");
  const stored = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open("grove-keyring");
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const get = (key: string) =>
      new Promise<unknown>((ok) => {
        const r = db.transaction("keys").objectStore("keys").get(key);
        r.onsuccess = () => ok(r.result);
      });
    return { shell: (await get("storage-shell")) as { kind: string }, web: await get("storage") };
  });
  expect(stored.shell.kind).toBe("keychain");
  expect(stored.web).toBeUndefined();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Welcome, Ann" })).toBeVisible();
  const calls = async () => (await shellRecord(page)).calls;
  expect(await calls()).toContain("unwrap");
  // The tray hears this user's presence and the unread count; the tray setting is the shell's.
  await expect.poll(calls).toContain("tray:online:0");
  await page.getByRole("checkbox", { name: "Start minimized to tray" }).check();
  await expect.poll(calls).toContain("minimized:true");
});

test("without a keychain a passphrase protects the profile; a wrong one opens nothing", async ({
  page,
}) => {
  await withShell(page, false);
  await page.goto(appUrl());
  await expect(
    page.getByRole("heading", { name: "Protect Grove with a passphrase" }),
  ).toBeVisible();
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);
  await page.screenshot({
    path: new URL("../artifacts/passphrase-light.png", import.meta.url).pathname,
  });
  await page.getByRole("textbox", { name: /^Passphrase/ }).fill("short");
  await page.getByLabel("The same passphrase again").fill("short");
  await page.getByRole("button", { name: "Protect and continue" }).click();
  await expect(page.getByRole("alert")).toContainText("at least 10 characters");
  await page.getByRole("textbox", { name: /^Passphrase/ }).fill("correct horse battery");
  await page.getByLabel("The same passphrase again").fill("correct horse battery");
  await page.getByRole("button", { name: "Protect and continue" }).click();
  await onboard(page, "Bob");

  await page.reload();
  await expect(page.getByRole("heading", { name: "Unlock Grove" })).toBeVisible();
  await page.getByRole("textbox", { name: /^Passphrase/ }).fill("wrong horse battery");
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("alert")).toContainText("does not open this profile");
  await page.getByRole("textbox", { name: /^Passphrase/ }).fill("correct horse battery");
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("heading", { name: "Welcome, Bob" })).toBeVisible();
});

test("a grove://join link from the shell opens the join dialog with the link", async ({ page }) => {
  await withShell(page, true);
  await page.goto(appUrl());
  await onboard(page, "Cho");
  const link = "grove://join#not-a-real-payload";
  await page.evaluate((url) => (window as unknown as StandInRecord).emitDeepLink(url), link);
  const dialog = page.getByRole("dialog", { name: "Join a space" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Invitation link")).toHaveValue(link);
  await dialog.getByRole("button", { name: "Join", exact: true }).click();
  // A payload that is not one says so in words, with what to do next.
  await expect(dialog.getByRole("alert")).toContainText("could not be read");
});

test("files are chosen and saved through the shell's own dialogs, byte for byte", async ({
  page,
}) => {
  const bytes = Array.from({ length: 70_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  await withShell(page, true, { name: "plan.pdf", bytes });
  await page.goto(appUrl());
  await onboard(page, "Dee");
  await page.getByRole("button", { name: "Create a space" }).first().click();
  await page.getByLabel("Space name").fill("Allotment");
  await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
  await page.getByRole("tab", { name: "Files" }).click();
  await page.getByRole("button", { name: "Share a file" }).click();
  await expect(page.getByRole("list", { name: "Shared files" })).toContainText("plan.pdf");
  await page.getByRole("button", { name: "Save plan.pdf" }).click();
  await expect.poll(async () => (await shellRecord(page)).saved.length).toBe(1);
  const { calls, saved } = await shellRecord(page);
  expect(calls).toContain("openFile");
  expect(saved[0]?.name).toBe("plan.pdf");
  expect(saved[0]?.bytes).toEqual(bytes);
});
