/**
 * Builds the `groveShell` object the preload exposes, from ipcRenderer's
 * invoke/on/removeListener. Only functions and plain data cross: listeners
 * get the URL string, never the IpcRendererEvent (whose `sender` would hand
 * the page ipcRenderer itself).
 */
import { CHANNELS, DEEP_LINK_EVENT, type GroveShell, type TrayStatus } from "./shell-api.js";

export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createShellApi(ipc: RendererIpc): GroveShell {
  const listeners = new Set<(url: string) => void>();
  let subscribed = false;
  const emit = (url: unknown) => {
    if (typeof url !== "string") return;
    for (const l of listeners) l(url);
  };
  const onEvent = (_event: unknown, url: unknown) => emit(url);

  return Object.freeze({
    wrapStorageKey: (key: Uint8Array) =>
      ipc.invoke(CHANNELS.wrapStorageKey, key) as ReturnType<GroveShell["wrapStorageKey"]>,
    unwrapStorageKey: (wrapped: Uint8Array) =>
      ipc.invoke(CHANNELS.unwrapStorageKey, wrapped) as ReturnType<GroveShell["unwrapStorageKey"]>,
    notify: async (n: { title: string; body: string }) => {
      await ipc.invoke(CHANNELS.notify, { title: n.title, body: n.body });
    },
    setBadgeCount: async (count: number) => {
      await ipc.invoke(CHANNELS.setBadgeCount, count);
    },
    openExternal: async (url: string) => {
      await ipc.invoke(CHANNELS.openExternal, url);
    },
    appVersion: () => ipc.invoke(CHANNELS.appVersion) as Promise<string>,
    setTrayStatus: async (status: TrayStatus) => {
      await ipc.invoke(CHANNELS.setTrayStatus, {
        presence: status.presence,
        unread: status.unread,
      });
    },
    getStartMinimized: async () => (await ipc.invoke(CHANNELS.getStartMinimized)) === true,
    setStartMinimized: async (on: boolean) => {
      await ipc.invoke(CHANNELS.setStartMinimized, on === true);
    },
    saveFile: async (name: string, bytes: Uint8Array) =>
      (await ipc.invoke(CHANNELS.saveFile, String(name), bytes)) === true,
    openFile: () => ipc.invoke(CHANNELS.openFile) as ReturnType<GroveShell["openFile"]>,
    onDeepLink(listener: (url: string) => void) {
      listeners.add(listener);
      if (!subscribed) {
        subscribed = true;
        ipc.on(DEEP_LINK_EVENT, onEvent);
        // Main answers with the links that arrived before anyone listened.
        ipc.invoke(CHANNELS.subscribeDeepLinks).then(
          (waiting) => {
            if (Array.isArray(waiting)) for (const url of waiting) emit(url);
          },
          (err: unknown) => {
            // Those links are lost; new ones still arrive as events.
            console.warn("Grove: could not fetch the links that came before start:", err);
          },
        );
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && subscribed) {
          subscribed = false;
          ipc.removeListener(DEEP_LINK_EVENT, onEvent);
        }
      };
    },
  });
}
