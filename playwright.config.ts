import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "./test/e2e/browser.js";

export default defineConfig({
  testDir: "test/e2e",
  testMatch: "**/*.spec.ts",
  // Playwright empties its outputDir; keep it apart from the JSON reports it shares with vitest.
  outputDir: "test-results/playwright-output",
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
    },
  },
});
