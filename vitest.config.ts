import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "core/**/*.test.ts",
      "relay/**/*.test.ts",
      "renderer/**/*.test.{ts,tsx}",
      "test/**/*.test.ts",
    ],
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
