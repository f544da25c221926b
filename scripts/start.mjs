#!/usr/bin/env node
/**
 * `npm start`: builds the renderer, starts an embedded relay on 127.0.0.1
 * (data under the user's data directory; it also serves the web app at
 * /app/), and opens Grove: the desktop app where an Electron binary and
 * shell exist, otherwise the web app in the default browser, with a
 * one-line reason. It says what it is doing while it builds, and once
 * serving, how to stop: Ctrl-C stops the relay.
 *
 * GROVE_PORT (default 7447) keeps the app's origin stable between runs:
 * the web app's IndexedDB belongs to its origin. GROVE_DATA moves the data.
 * GROVE_NO_OPEN=1 starts everything without opening a window.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir, platform } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const port = Number(process.env.GROVE_PORT ?? 7447);

function dataDir() {
  if (process.env.GROVE_DATA) return process.env.GROVE_DATA;
  if (platform() === "darwin") return join(homedir(), "Library", "Application Support", "Grove");
  if (platform() === "win32") return join(process.env.APPDATA ?? homedir(), "Grove");
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "grove");
}

/** The Electron binary's path, or why there is none. */
function electronBinary() {
  try {
    const path = createRequire(import.meta.url)("electron");
    if (typeof path === "string" && existsSync(path)) return { path };
    return { why: "the electron package has no binary (it could not be downloaded)" };
  } catch {
    return { why: "no Electron binary is installed (its download is not available here)" };
  }
}

function openInBrowser(url) {
  const cmd = platform() === "darwin" ? "open" : platform() === "win32" ? "cmd" : "xdg-open";
  const args = platform() === "win32" ? ["/c", "start", "", url] : [url];
  const child = spawn(cmd, args, { stdio: "ignore", detached: true });
  child.on("error", () => console.log(`Grove: could not open a browser; open ${url} yourself.`));
  child.unref();
}

/**
 * Builds the renderer, saying so: a line that counts the seconds on a terminal (one line
 * otherwise), and Vite's own output only if the build fails.
 */
async function buildRenderer() {
  const started = Date.now();
  const tty = process.stdout.isTTY;
  const line = () => `Grove: building the app… ${Math.round((Date.now() - started) / 1000)} s`;
  if (tty) process.stdout.write(line());
  else console.log("Grove: building the app…");
  const ticker = tty ? setInterval(() => process.stdout.write(`\r${line()}`), 500) : undefined;
  const child = spawn("npx", ["vite", "build", "--config", "renderer/vite.config.ts"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise((resolve) => {
    child.on("error", () => resolve(1));
    child.on("exit", (c) => resolve(c ?? 1));
  });
  clearInterval(ticker);
  const took = ((Date.now() - started) / 1000).toFixed(1);
  if (tty) process.stdout.write("\r\x1b[K");
  if (code !== 0) {
    process.stdout.write(output);
    console.error("Grove: building the renderer failed (see above).");
    process.exit(1);
  }
  console.log(`Grove: app built in ${took} s.`);
}

await buildRenderer();

const data = join(dataDir(), "relay");
mkdirSync(data, { recursive: true });
const relay = spawn(
  process.execPath,
  [
    join(root, "node_modules", "tsx", "dist", "cli.mjs"),
    join(root, "relay", "main.ts"),
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--data",
    data,
    "--app-dir",
    join(root, "renderer", "dist"),
    "--log-level",
    process.env.GROVE_LOG_LEVEL ?? "warn",
  ],
  { cwd: root, stdio: "inherit" },
);
relay.on("exit", (code) => {
  if (code !== 0 && code !== null) {
    console.error(
      `Grove: the embedded relay stopped (exit ${code}). Is port ${port} taken? Set GROVE_PORT to another port.`,
    );
  }
  process.exit(code ?? 0);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => relay.kill(signal));

const appUrl = `http://127.0.0.1:${port}/app/`;
const waitForRelay = async () => {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};

if (!(await waitForRelay())) {
  console.error(`Grove: the embedded relay did not answer on port ${port}.`);
  relay.kill();
  process.exit(1);
}
console.log(`Grove: embedded relay on ws://127.0.0.1:${port} (data in ${data}).`);
const stopHint = () => console.log("Grove: running. Press Ctrl-C to stop.");

const electron = electronBinary();
const shell = join(root, "electron", "main.ts");
if (electron.path && existsSync(shell)) {
  // Electron runs no TypeScript: electron/build.mjs bundles the shell to electron/dist/*.cjs.
  const { buildShell } = await import("../electron/build.mjs");
  const main = await buildShell(root);
  console.log("Grove: opening the desktop app.");
  const app = spawn(electron.path, [main, `--app-url=${appUrl}`], {
    cwd: root,
    stdio: "inherit",
  });
  app.on("exit", () => relay.kill("SIGTERM"));
  stopHint();
} else {
  const why = electron.path ? "the desktop shell is not built yet" : electron.why;
  console.log(`Grove: web mode, because ${why}: ${appUrl}`);
  if (process.env.GROVE_NO_OPEN !== "1" && process.env.CI !== "true") openInBrowser(appUrl);
  stopHint();
}
