/**
 * The desktop shell's API as the renderer sees it (`window.groveShell`), and
 * the IPC channel table that preload and main share. This file has no
 * runtime dependency on Electron or Node, so the renderer may import its
 * types and main/preload its constants.
 *
 * Every call is an ipcRenderer.invoke on one named channel; main answers
 * only when the sender is the main frame of Grove's own window on the app's
 * origin (see ipc.ts). Arguments and answers are plain data: strings,
 * numbers and Uint8Arrays, never Node or Electron objects.
 */

export const CHANNELS = {
  wrapStorageKey: "grove:storage-key:wrap",
  unwrapStorageKey: "grove:storage-key:unwrap",
  notify: "grove:notify",
  setBadgeCount: "grove:badge:set",
  openExternal: "grove:open-external",
  appVersion: "grove:app-version",
  subscribeDeepLinks: "grove:deep-link:subscribe",
  setTrayStatus: "grove:tray:status",
  getStartMinimized: "grove:settings:start-minimized:get",
  setStartMinimized: "grove:settings:start-minimized:set",
  saveFile: "grove:file:save",
  openFile: "grove:file:open",
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/** Main → renderer event carrying one `grove://join#…` or `grove://link#…` URL. */
export const DEEP_LINK_EVENT = "grove:deep-link";

/** Why the OS keychain could not serve a call. */
export type KeyStoreFailure = "unavailable" | "undecryptable";

export type WrapResult = { ok: true; wrapped: Uint8Array } | { ok: false; reason: KeyStoreFailure };
export type UnwrapResult = { ok: true; key: Uint8Array } | { ok: false; reason: KeyStoreFailure };

/** What the tray shows: this user's presence and the unread count of every space. */
export interface TrayStatus {
  presence: "online" | "away" | "offline";
  unread: number;
}

export interface ShellNotification {
  title: string;
  body: string;
}

export interface GroveShell {
  /**
   * Seals a storage key with the OS keychain (safeStorage). Answers
   * `{ ok: false, reason: "unavailable" }` where the OS offers no keychain
   * (e.g. Linux without a secret service), so the caller keeps its web path.
   */
  wrapStorageKey(key: Uint8Array): Promise<WrapResult>;
  unwrapStorageKey(wrapped: Uint8Array): Promise<UnwrapResult>;
  notify(notification: ShellNotification): Promise<void>;
  /** 0 clears the badge. */
  setBadgeCount(count: number): Promise<void>;
  /** Opens an https: or mailto: URL in the OS; anything else is refused. */
  openExternal(url: string): Promise<void>;
  appVersion(): Promise<string>;
  setTrayStatus(status: TrayStatus): Promise<void>;
  /** A setting of this device's shell: open hidden in the tray at launch. */
  getStartMinimized(): Promise<boolean>;
  setStartMinimized(on: boolean): Promise<void>;
  /**
   * Asks where to save `bytes` (the OS save dialog, `name` suggested) and
   * writes them there. False when the user cancelled.
   */
  saveFile(name: string, bytes: Uint8Array): Promise<boolean>;
  /** The OS open dialog: the chosen file's name and bytes, or undefined when cancelled. */
  openFile(): Promise<{ name: string; bytes: Uint8Array } | undefined>;
  /**
   * Calls `listener` with every deep link the OS hands the app, starting
   * with those that arrived before the page subscribed (first launch).
   * Returns the unsubscribe function.
   */
  onDeepLink(listener: (url: string) => void): () => void;
}

/** Limits main enforces on arguments; the renderer may use them to trim. */
export const LIMITS = {
  storageKeyBytes: 1024,
  wrappedKeyBytes: 4096,
  notificationTitle: 200,
  notificationBody: 1000,
  badgeCount: 99_999,
  urlLength: 8192,
  fileNameLength: 255,
  /** Largest file the open and save dialogs move through IPC. */
  fileBytes: 64 * 1024 * 1024,
} as const;
