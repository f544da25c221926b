/**
 * Electron main: wires the shell's modules to the real Electron API. It
 * claims the single-instance lock (a later launch forwards its grove://
 * link here and quits), registers the grove: protocol, enforces the CSP,
 * the permission policy and the navigation policy, serves the IPC channels
 * of shell-api.ts to Grove's window only, and keeps one window (bounds
 * remembered), a tray and the standard menus.
 *
 * The window loads the renderer: packaged builds from the files packaged
 * with the app (app://grove/app/, packaged-files.ts); `--app-url=` overrides
 * that, and is what unpackaged runs use (scripts/start.mjs passes the
 * embedded relay's http://127.0.0.1:7447/app/).
 *
 * Environment: GROVE_USER_DATA moves the profile (tests use a temporary
 * one; the single-instance lock lives there too); GROVE_REGISTER_PROTOCOL=0
 * leaves the OS protocol registration alone.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { readFile, stat, writeFile as writeFileAsync } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  Notification,
  nativeImage,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
  Tray,
} from "electron";
import { appUrlFromArgv } from "./app-url.js";
import { enforceCsp, SHELL_CSP } from "./csp.js";
import { deepLinkFromArgv, watchOpenUrl } from "./deep-link.js";
import { DeepLinkInbox } from "./deep-link-inbox.js";
import { registerShellIpc } from "./ipc.js";
import { appMenuTemplate } from "./menu.js";
import { guardNavigation } from "./navigation.js";
import { PACKAGED_APP_URL, PACKAGED_SCHEME, packagedFile } from "./packaged-files.js";
import type { TrayStatus } from "./shell-api.js";
import { claimSingleInstance } from "./single-instance.js";
import { trayIconBitmap, trayMenuTemplate, trayStatusText } from "./tray.js";
import {
  clampBounds,
  installPermissionHandlers,
  parseSavedBounds,
  windowOptions,
} from "./window.js";

/** Set by electron/build.mjs from package.json. */
declare const GROVE_VERSION: string;

// Packaged, the renderer comes from the files packaged with the app (app://grove/app/);
// `--app-url=` (npm start passes the embedded relay's /app/) overrides that.
const packagedUi = app.isPackaged && !process.argv.some((a) => a.startsWith("--app-url="));
const appUrl = packagedUi ? new URL(PACKAGED_APP_URL) : appUrlFromArgv(process.argv);
// A standard, secure scheme: its pages get an origin, 'self' in the CSP, and fetch.
protocol.registerSchemesAsPrivileged([
  { scheme: PACKAGED_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.setName("Grove");
app.setPath("userData", process.env.GROVE_USER_DATA ?? join(app.getPath("appData"), "Grove"));
app.setAppLogsPath();
app.enableSandbox();

const inbox = new DeepLinkInbox();
const boundsFile = () => join(app.getPath("userData"), "window-bounds.json");
const hideOnClose = process.platform === "darwin" || process.platform === "win32";
let win: BrowserWindow | undefined;
let tray: Tray | undefined;
let quitting = false;
let trayStatus: TrayStatus | undefined;
const settingsFile = () => join(app.getPath("userData"), "shell-settings.json");

/** The shell's settings: one small JSON file in the profile folder. */
const startMinimized = {
  get(): boolean {
    try {
      return JSON.parse(readFileSync(settingsFile(), "utf8")).startMinimized === true;
    } catch {
      return false;
    }
  },
  set(on: boolean): void {
    try {
      writeFileSync(settingsFile(), JSON.stringify({ startMinimized: on }));
    } catch (err) {
      console.error("Grove: could not save the shell's settings:", err);
    }
    refreshTray();
  },
};

function showWindow(): void {
  if (!win) {
    if (app.isReady()) createWindow();
    return;
  }
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
  refreshTray();
}

function readBounds() {
  try {
    return parseSavedBounds(readFileSync(boundsFile(), "utf8"));
  } catch {
    return undefined;
  }
}

function saveBounds(w: BrowserWindow): void {
  try {
    writeFileSync(boundsFile(), JSON.stringify(w.getNormalBounds()));
  } catch (err) {
    console.error("Grove: could not save the window's bounds:", err);
  }
}

function createWindow(): void {
  const areas = [screen.getPrimaryDisplay(), ...screen.getAllDisplays()].map((d) => d.workArea);
  const w = new BrowserWindow(
    windowOptions({
      preload: join(__dirname, "preload.cjs"),
      bounds: clampBounds(readBounds(), areas),
    }),
  );
  win = w;
  guardNavigation(w.webContents, appUrl, (url) => shell.openExternal(url));
  w.webContents.on("did-start-navigation", (details) => {
    if (details.isMainFrame && !details.isSameDocument) inbox.detach();
  });
  // Started minimized: the window waits in the tray (where there is one) until asked for.
  w.once("ready-to-show", () => {
    if (!(tray && startMinimized.get())) w.show();
  });
  w.on("show", refreshTray);
  w.on("hide", refreshTray);
  w.on("close", (event) => {
    saveBounds(w);
    if (!quitting && hideOnClose && tray) {
      event.preventDefault();
      w.hide();
    }
  });
  w.on("closed", () => {
    win = undefined;
    inbox.detach();
    refreshTray();
  });
  w.loadURL(appUrl.href).catch((err: unknown) => {
    console.error(`Grove: could not load ${appUrl.href}:`, err);
  });
}

function refreshTray(): void {
  if (!tray) return;
  tray.setToolTip(trayStatus ? `Grove: ${trayStatusText(trayStatus)}` : "Grove");
  const template = trayMenuTemplate({
    windowVisible: win?.isVisible() ?? false,
    status: trayStatus,
    startMinimized: startMinimized.get(),
    setStartMinimized: (on) => startMinimized.set(on),
    show: showWindow,
    hide: () => win?.hide(),
    quit: () => app.quit(),
  });
  tray.setContextMenu(Menu.buildFromTemplate(template));
}

function createTray(): void {
  const size = 16;
  const icon = nativeImage.createFromBitmap(trayIconBitmap(size), { width: size, height: size });
  tray = new Tray(icon);
  tray.setToolTip("Grove");
  tray.on("click", showWindow);
  refreshTray();
}

function registerProtocol(): void {
  if (process.env.GROVE_REGISTER_PROTOCOL === "0") return;
  // Unpackaged (electron electron/dist/main.cjs) the OS must start Electron with our script.
  const script = process.argv[1];
  const ok =
    process.defaultApp && script
      ? app.setAsDefaultProtocolClient("grove", process.execPath, [resolve(script)])
      : app.setAsDefaultProtocolClient("grove");
  if (!ok) console.warn("Grove: could not register as the grove:// handler.");
}

/** Answers app:// requests from the packaged renderer folder, with the shell's CSP. */
function servePackagedFiles(): void {
  const root = join(app.getAppPath(), "renderer", "dist");
  protocol.handle(PACKAGED_SCHEME, async (request) => {
    const file = packagedFile(root, request.url);
    if (file.kind !== "file") return new Response("not found", { status: 404 });
    try {
      return new Response(await readFile(file.path), {
        headers: {
          "content-type": file.type,
          "content-security-policy": SHELL_CSP,
          "x-content-type-options": "nosniff",
        },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

function start(): void {
  if (packagedUi) servePackagedFiles();
  enforceCsp(session.defaultSession.webRequest);
  installPermissionHandlers(session.defaultSession, appUrl);
  registerShellIpc({
    ipcMain,
    policy: { appUrl, windowContentsId: () => win?.webContents.id },
    safeStorage: {
      isEncryptionAvailable: () => safeStorage.isEncryptionAvailable(),
      encryptString: (text) => safeStorage.encryptString(text),
      decryptString: (sealed) => safeStorage.decryptString(sealed),
      ...(process.platform === "linux"
        ? { getSelectedStorageBackend: () => safeStorage.getSelectedStorageBackend() }
        : {}),
    },
    notify: ({ title, body }) => {
      if (!Notification.isSupported()) return;
      const n = new Notification({ title, body });
      n.on("click", showWindow);
      n.show();
    },
    setBadgeCount: (count) => {
      app.setBadgeCount(count);
    },
    openExternal: (url) => shell.openExternal(url),
    appVersion: GROVE_VERSION,
    deepLinks: inbox,
    setTrayStatus: (status) => {
      trayStatus = status;
      refreshTray();
    },
    startMinimized,
    files: {
      askSavePath: async (name) => {
        const options = { defaultPath: join(app.getPath("downloads"), name) };
        const r = win
          ? await dialog.showSaveDialog(win, options)
          : await dialog.showSaveDialog(options);
        return r.canceled ? undefined : r.filePath;
      },
      askOpenPath: async () => {
        const options = { properties: ["openFile" as const] };
        const r = win
          ? await dialog.showOpenDialog(win, options)
          : await dialog.showOpenDialog(options);
        return r.canceled ? undefined : r.filePaths[0];
      },
      write: (path, bytes) => writeFileAsync(path, bytes),
      size: async (path) => (await stat(path)).size,
      read: (path) => readFile(path),
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(process.platform, "Grove")));
  // The tray first: a window that starts minimized must have somewhere to wait.
  createTray();
  createWindow();
}

// Any other webContents (there should be none) gets no webviews and no popups.
app.on("web-contents-created", (_event, contents) => {
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: "deny" }));
});

const first = claimSingleInstance(app, process.argv, {
  focus: showWindow,
  onLink: (link) => inbox.deliver(link),
});
if (first) {
  registerProtocol();
  watchOpenUrl(app, (link) => {
    inbox.deliver(link);
    showWindow();
  });
  const initial = deepLinkFromArgv(process.argv);
  if (initial) inbox.deliver(initial);
  app.on("before-quit", () => {
    quitting = true;
  });
  app.on("activate", showWindow);
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  app.whenReady().then(start, (err: unknown) => {
    console.error("Grove: Electron failed to start:", err);
    app.quit();
  });
}
