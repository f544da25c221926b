/**
 * Browser plumbing for Playwright tests: Debian's Chromium (Playwright's own
 * browser download is not available here), and core bundled for a page.
 */
import { existsSync } from "node:fs";
import { build } from "esbuild";

export function chromiumPath(): string {
  const path = process.env.GROVE_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}: install Debian's chromium or set GROVE_CHROMIUM`,
    );
  }
  return path;
}

/** Launch flags for Debian's Chromium in tests and benches (no sandbox or GPU in CI). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // mDNS-obfuscated host candidates cannot resolve without multicast.
  "--disable-features=WebRtcHideLocalIpsWithMdns",
];

/**
 * Bundles a TypeScript entry for the browser and returns the script text.
 * `nodePaths`: where to find packages for an entry outside this checkout.
 */
export async function bundleForBrowser(entry: string, nodePaths: string[] = []): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    // tweetnacl probes for node:crypto only when no WebCrypto is present.
    external: ["crypto"],
    nodePaths,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}
