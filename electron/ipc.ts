/**
 * Main's IPC surface. Every `ipcMain.handle` goes through `guardedHandle`,
 * which answers only the main frame of Grove's own window while it shows
 * the app (same origin, under the app's path); any other sender (an iframe,
 * another window, a page the window was navigated to) gets an `IpcError`
 * with code "foreign-sender" and the handler never runs. Arguments are
 * checked before use ("bad-argument"). The channels are those of
 * shell-api.ts; Electron's objects come in through `ShellIpcDeps`.
 */
import { basename } from "node:path";
import type { SafeStorage } from "electron";
import { isAppUrl } from "./app-url.js";
import type { DeepLinkInbox } from "./deep-link-inbox.js";
import { isExternalUrl } from "./navigation.js";
import {
  CHANNELS,
  type Channel,
  DEEP_LINK_EVENT,
  LIMITS,
  type ShellNotification,
  type TrayStatus,
  type UnwrapResult,
  type WrapResult,
} from "./shell-api.js";

export type IpcErrorCode = "foreign-sender" | "bad-argument";

export class IpcError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
  ) {
    // The code leads the message: Electron passes only the message to the renderer.
    super(`[${code}] ${message}`);
    this.name = "IpcError";
  }
}

/** What the guard reads of a frame (Electron's WebFrameMain satisfies it). */
export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
  readonly processId: number;
  readonly routingId: number;
}

/** What the guard reads from an invoke event (Electron's IpcMainInvokeEvent satisfies it). */
export interface SenderEvent {
  readonly sender: {
    readonly id: number;
    readonly mainFrame: FrameLike;
    send(channel: string, ...args: unknown[]): void;
  };
  readonly senderFrame: FrameLike | null;
}

export interface SenderPolicy {
  /** The webContents id of Grove's window, or undefined while there is none. */
  windowContentsId(): number | undefined;
  appUrl: URL;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: SenderEvent, ...args: unknown[]) => unknown): void;
}

/** Throws IpcError("foreign-sender") unless the event comes from our window's app page. */
export function assertTrustedSender(event: SenderEvent, policy: SenderPolicy): void {
  const frame = event.senderFrame;
  if (frame === null) throw new IpcError("foreign-sender", "the sending frame is gone");
  if (event.sender.id !== policy.windowContentsId()) {
    throw new IpcError("foreign-sender", "the sender is not Grove's window");
  }
  const main = event.sender.mainFrame;
  const isMain =
    frame.parent === null &&
    frame.processId === main.processId &&
    frame.routingId === main.routingId;
  if (!isMain) {
    throw new IpcError("foreign-sender", "the sender is a subframe");
  }
  if (!isAppUrl(frame.url, policy.appUrl)) {
    throw new IpcError("foreign-sender", `the sender is not on the app's origin: ${frame.url}`);
  }
}

export type Handler = (event: SenderEvent, ...args: unknown[]) => unknown;

export function guardedHandle(
  ipcMain: IpcMainLike,
  policy: SenderPolicy,
  channel: Channel,
  handler: Handler,
): void {
  ipcMain.handle(channel, (event, ...args) => {
    assertTrustedSender(event, policy);
    return handler(event, ...args);
  });
}

export interface ShellIpcDeps {
  ipcMain: IpcMainLike;
  policy: SenderPolicy;
  safeStorage: Pick<SafeStorage, "isEncryptionAvailable" | "encryptString" | "decryptString"> &
    Partial<Pick<SafeStorage, "getSelectedStorageBackend">>;
  notify(notification: ShellNotification): void;
  setBadgeCount(count: number): void;
  openExternal(url: string): Promise<void>;
  appVersion: string;
  deepLinks: DeepLinkInbox;
  setTrayStatus(status: TrayStatus): void;
  /** The OS dialogs (a path, or undefined when cancelled) and the file system behind them. */
  files: {
    askSavePath(suggestedName: string): Promise<string | undefined>;
    askOpenPath(): Promise<string | undefined>;
    write(path: string, bytes: Uint8Array): Promise<void>;
    size(path: string): Promise<number>;
    read(path: string): Promise<Uint8Array>;
  };
  /** The shell's own settings file (main keeps it, in the profile folder). */
  startMinimized: { get(): boolean; set(on: boolean): void };
}

/** Registers every channel of shell-api.ts. */
export function registerShellIpc(deps: ShellIpcDeps): void {
  const handle = (channel: Channel, handler: Handler) =>
    guardedHandle(deps.ipcMain, deps.policy, channel, handler);
  const { safeStorage } = deps;
  const keychain = () => keychainUsable(safeStorage);

  handle(CHANNELS.wrapStorageKey, (_event, key): WrapResult => {
    const bytes = bytesArg(key, LIMITS.storageKeyBytes, "key");
    if (!keychain()) return { ok: false, reason: "unavailable" };
    const sealed = safeStorage.encryptString(Buffer.from(bytes).toString("base64"));
    return { ok: true, wrapped: new Uint8Array(sealed) };
  });

  handle(CHANNELS.unwrapStorageKey, (_event, wrapped): UnwrapResult => {
    const bytes = bytesArg(wrapped, LIMITS.wrappedKeyBytes, "wrapped key");
    if (!keychain()) return { ok: false, reason: "unavailable" };
    try {
      const base64 = safeStorage.decryptString(Buffer.from(bytes));
      return { ok: true, key: new Uint8Array(Buffer.from(base64, "base64")) };
    } catch {
      return { ok: false, reason: "undecryptable" };
    }
  });

  handle(CHANNELS.notify, (_event, notification) => {
    deps.notify(notificationArg(notification));
  });

  handle(CHANNELS.setBadgeCount, (_event, count) => {
    if (
      !Number.isInteger(count) ||
      (count as number) < 0 ||
      (count as number) > LIMITS.badgeCount
    ) {
      throw new IpcError("bad-argument", `badge count must be an integer 0..${LIMITS.badgeCount}`);
    }
    deps.setBadgeCount(count as number);
  });

  handle(CHANNELS.openExternal, async (_event, url) => {
    if (typeof url !== "string" || url.length > LIMITS.urlLength || !isExternalUrl(url)) {
      throw new IpcError("bad-argument", "only https: and mailto: URLs open outside the app");
    }
    await deps.openExternal(url);
  });

  handle(CHANNELS.appVersion, () => deps.appVersion);

  handle(CHANNELS.setTrayStatus, (_event, status) => {
    deps.setTrayStatus(trayStatusArg(status));
  });

  handle(CHANNELS.getStartMinimized, () => deps.startMinimized.get());

  handle(CHANNELS.saveFile, async (_event, name, bytes) => {
    const suggested = safeFileName(name);
    const data = bytesArg(bytes, LIMITS.fileBytes, "file");
    const path = await deps.files.askSavePath(suggested);
    if (path === undefined) return false;
    await deps.files.write(path, data);
    return true;
  });

  handle(CHANNELS.openFile, async () => {
    const path = await deps.files.askOpenPath();
    if (path === undefined) return undefined;
    if ((await deps.files.size(path)) > LIMITS.fileBytes) {
      throw new IpcError("bad-argument", `files over ${LIMITS.fileBytes} bytes are not opened`);
    }
    return { name: basename(path), bytes: new Uint8Array(await deps.files.read(path)) };
  });

  handle(CHANNELS.setStartMinimized, (_event, on) => {
    if (typeof on !== "boolean")
      throw new IpcError("bad-argument", "start minimized is true or false");
    deps.startMinimized.set(on);
  });

  handle(CHANNELS.subscribeDeepLinks, (event) => {
    const { sender } = event;
    return deps.deepLinks.subscribe((url) => sender.send(DEEP_LINK_EVENT, url));
  });
}

/**
 * safeStorage is only worth using over a real OS keychain. On Linux without
 * a secret service Electron falls back to "basic_text" (a fixed password)
 * and still reports encryption as available: that counts as unavailable.
 */
export function keychainUsable(safeStorage: ShellIpcDeps["safeStorage"]): boolean {
  if (!safeStorage.isEncryptionAvailable()) return false;
  if (!safeStorage.getSelectedStorageBackend) return true;
  try {
    const backend = safeStorage.getSelectedStorageBackend();
    return backend !== "basic_text" && backend !== "unknown";
  } catch {
    // Not Linux: the call is Linux-only.
    return true;
  }
}

function bytesArg(value: unknown, max: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length === 0 || value.length > max) {
    throw new IpcError("bad-argument", `${what} must be 1..${max} bytes`);
  }
  return value;
}

function notificationArg(value: unknown): ShellNotification {
  const n = value as Partial<ShellNotification> | null;
  if (
    typeof n !== "object" ||
    n === null ||
    typeof n.title !== "string" ||
    typeof n.body !== "string" ||
    n.title.length === 0 ||
    n.title.length > LIMITS.notificationTitle ||
    n.body.length > LIMITS.notificationBody
  ) {
    throw new IpcError("bad-argument", "a notification is { title, body } within the limits");
  }
  return { title: n.title, body: n.body };
}

const PRESENCES = new Set(["online", "away", "offline"]);

function trayStatusArg(value: unknown): TrayStatus {
  const s = value as Partial<TrayStatus> | null;
  if (
    typeof s !== "object" ||
    s === null ||
    typeof s.presence !== "string" ||
    !PRESENCES.has(s.presence) ||
    !Number.isInteger(s.unread) ||
    (s.unread as number) < 0 ||
    (s.unread as number) > LIMITS.badgeCount
  ) {
    throw new IpcError("bad-argument", "tray status is a presence and an unread count");
  }
  return { presence: s.presence, unread: s.unread as number };
}

/**
 * A name the page suggests for a saved file, as the dialog's default: one
 * path segment (no separators, no "." or ".."), no control characters,
 * at most LIMITS.fileNameLength characters. The user still picks the place.
 */
export function safeFileName(value: unknown): string {
  if (typeof value !== "string") throw new IpcError("bad-argument", "a file name is a string");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const cleaned = value.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, "_").trim();
  const name = cleaned.slice(0, LIMITS.fileNameLength);
  if (name === "" || name === "." || name === "..") return "download";
  return name;
}
