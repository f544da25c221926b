/**
 * The desktop shell, driven through Playwright's Electron support against a
 * real relay process that serves the built web app: it launches into
 * onboarding, creates an identity and a space, exposes `groveShell` and no
 * Node, and a second launch with a grove://join link hands the link to the
 * running instance (one window) and exits.
 *
 * Skipped, with a one-line notice, where no Electron binary is installed
 * (npm cannot run electron's download here: see package.json allowScripts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { _electron, expect, test } from "@playwright/test";
import { buildShell } from "../../electron/build.mjs";
import { type RelayProcess, removeDir, startRelayProcess } from "../relay-harness.js";
import { buildRenderer } from "./app-build.js";

function electronBinary(): { path: string } | { why: string } {
  try {
    const path: unknown = createRequire(import.meta.url)("electron");
    if (typeof path === "string" && existsSync(path)) return { path };
    return { why: "the electron package has no binary (its download could not run)" };
  } catch (err) {
    const first = String((err as Error).message ?? err).split("\n")[0];
    return { why: `no Electron binary is installed (require("electron") threw: ${first})` };
  }
}

const binary = electronBinary();
const skipReason = "why" in binary ? `Electron e2e skipped: ${binary.why}` : "";
if (skipReason) console.log(skipReason);
test.skip(skipReason !== "", skipReason);

let relay: RelayProcess | undefined;
let main = "";
const profiles: string[] = [];

test.beforeAll(async () => {
  if (!("path" in binary)) return;
  const appDir = await buildRenderer();
  relay = await startRelayProcess({ args: ["--app-dir", appDir] });
  main = await buildShell();
});
test.afterAll(async () => {
  await relay?.kill();
  if (relay) removeDir(relay.dataDir);
  for (const dir of profiles) removeDir(dir);
});

test("launches, onboards, creates a space and takes a grove://join link from a second launch", async () => {
  if (!("path" in binary) || !relay) throw new Error("unreachable: skipped without Electron");
  const appUrl = `http://127.0.0.1:${relay.port}/app/`;
  const profile = mkdtempSync(join(tmpdir(), "grove-electron-"));
  profiles.push(profile);
  const env = { ...process.env, GROVE_USER_DATA: profile, GROVE_REGISTER_PROTOCOL: "0" };
  // Chromium refuses its sandbox as root (CI containers); elsewhere it stays on.
  const rootArgs = process.getuid?.() === 0 ? ["--no-sandbox"] : [];
  const args = [...rootArgs, main, `--app-url=${appUrl}`];

  const app = await _electron.launch({ executablePath: binary.path, args, env });
  try {
    const page = await app.firstWindow();
    await expect(page).toHaveURL(appUrl);

    // The page gets the shell's API and nothing of Node.
    expect(
      await page.evaluate(() => ({
        shell: typeof (window as { groveShell?: unknown }).groveShell,
        require: typeof (window as { require?: unknown }).require,
        process: typeof (window as { process?: unknown }).process,
      })),
    ).toEqual({ shell: "object", require: "undefined", process: "undefined" });

    await page.getByLabel("Your name").fill("Ann");
    await page.getByLabel("This device's name").fill("Ann's desktop");
    await page.getByRole("button", { name: "Create my identity" }).click();
    await expect(page.getByRole("heading", { name: "Welcome, Ann" })).toBeVisible();

    await page.getByRole("button", { name: "Create a space" }).first().click();
    await page.getByLabel("Space name").fill("Garden club");
    await page.getByRole("dialog").getByRole("button", { name: "Create" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Garden club" })).toBeVisible();

    await page.evaluate(() => {
      const w = window as unknown as {
        groveShell: { onDeepLink(l: (url: string) => void): () => void };
        links: string[];
      };
      w.links = [];
      w.groveShell.onDeepLink((url) => w.links.push(url));
    });

    // A second launch (what the OS does for a clicked link) forwards the link and exits.
    const second = spawnSync(binary.path, [...args, "grove://join#e2e-invite"], {
      env,
      timeout: 30_000,
    });
    expect(second.status).toBe(0);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { links: string[] }).links))
      .toEqual(["grove://join#e2e-invite"]);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  } finally {
    await app.close();
  }
});
