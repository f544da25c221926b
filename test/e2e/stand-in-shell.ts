/**
 * A stand-in for the desktop shell's `window.groveShell`, typed against the
 * real `GroveShell` so that a method added to the shell and not here fails
 * the typecheck. It is installed with `page.addInitScript(standInShell, …)`,
 * so the function must not reach anything outside its own body.
 */
import type { GroveShell } from "../../electron/shell-api.js";

export interface StandInOptions {
  /** Whether the OS offers a keychain (safeStorage). */
  keychain: boolean;
  /** What the OS open dialog hands back (undefined: the user cancels). */
  openFile?: { name: string; bytes: number[] } | undefined;
}

/** What the stand-in records on `window`, for the test to read. */
export interface StandInRecord {
  shellCalls: string[];
  savedFiles: { name: string; bytes: number[] }[];
  emitDeepLink(url: string): void;
}

export function standInShell(options: StandInOptions): void {
  const calls: string[] = [];
  const savedFiles: { name: string; bytes: number[] }[] = [];
  const listeners: ((url: string) => void)[] = [];
  let startMinimized = false;
  // A reversible stand-in for safeStorage: what matters is that the raw key never lands on disk.
  const flip = (b: Uint8Array) => Uint8Array.from(b, (x) => x ^ 0x5a);
  const shell: GroveShell = {
    wrapStorageKey: async (key) => {
      calls.push("wrap");
      return options.keychain
        ? { ok: true, wrapped: flip(key) }
        : { ok: false, reason: "unavailable" };
    },
    unwrapStorageKey: async (wrapped) => {
      calls.push("unwrap");
      return { ok: true, key: flip(wrapped) };
    },
    notify: async () => {
      calls.push("notify");
    },
    setBadgeCount: async (n) => {
      calls.push(`badge:${n}`);
    },
    openExternal: async (url) => {
      calls.push(`open:${url}`);
    },
    appVersion: async () => "test",
    setTrayStatus: async (s) => {
      calls.push(`tray:${s.presence}:${s.unread}`);
    },
    getStartMinimized: async () => startMinimized,
    setStartMinimized: async (on) => {
      startMinimized = on;
      calls.push(`minimized:${on}`);
    },
    saveFile: async (name, bytes) => {
      calls.push(`save:${name}`);
      savedFiles.push({ name, bytes: Array.from(bytes) });
      return true;
    },
    openFile: async () => {
      calls.push("openFile");
      const chosen = options.openFile;
      return chosen && { name: chosen.name, bytes: Uint8Array.from(chosen.bytes) };
    },
    onDeepLink: (listener) => {
      listeners.push(listener);
      return () => {
        listeners.splice(listeners.indexOf(listener), 1);
      };
    },
  };
  const record: StandInRecord = {
    shellCalls: calls,
    savedFiles,
    emitDeepLink: (url) => {
      for (const l of listeners) l(url);
    },
  };
  Object.assign(window, record, { groveShell: Object.freeze(shell) });
}
