import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The app is served by the relay under /app/ (npm start), so assets resolve from there.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/app/",
  plugins: [react()],
  define: { __GROVE_TEST_HOOKS__: JSON.stringify(process.env.GROVE_TEST_HOOKS === "1") },
  // The open worker (core/sync/dom-open-worker.ts) loads libsodium with a dynamic import: an
  // ES module worker, as the page creates it ({ type: "module" }).
  worker: { format: "es" },
  build: {
    // GROVE_NO_MINIFY=1 keeps names readable in CPU profiles of the built app.
    minify: process.env.GROVE_NO_MINIFY ? false : "oxc",
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  logLevel: "warn",
});
