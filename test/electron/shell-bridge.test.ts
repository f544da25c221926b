import { describe, expect, it } from "vitest";
import { CHANNELS, DEEP_LINK_EVENT } from "../../electron/shell-api.js";
import { createShellApi, type RendererIpc } from "../../electron/shell-bridge.js";

type Listener = (event: unknown, ...args: unknown[]) => void;

function fakeIpc(answers: Record<string, unknown> = {}) {
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<Listener>>();
  const ipc: RendererIpc = {
    invoke: async (channel, ...args) => {
      invoked.push([channel, ...args]);
      return answers[channel];
    },
    on: (channel, l) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
    },
    removeListener: (channel, l) => listeners.get(channel)?.delete(l),
  };
  // What Electron passes listeners: an event whose sender is ipcRenderer itself.
  const emit = (channel: string, ...args: unknown[]) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: ipc, ports: [] }, ...args);
  };
  return { ipc, invoked, listeners, emit };
}

describe("groveShell (preload API)", () => {
  it("exposes only functions, frozen", () => {
    const api = createShellApi(fakeIpc().ipc);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(
      [
        "appVersion",
        "getStartMinimized",
        "notify",
        "onDeepLink",
        "openFile",
        "openExternal",
        "saveFile",
        "setBadgeCount",
        "setStartMinimized",
        "setTrayStatus",
        "unwrapStorageKey",
        "wrapStorageKey",
      ].sort(),
    );
    for (const v of Object.values(api)) expect(typeof v).toBe("function");
  });

  it("invokes one named channel per call with plain arguments", async () => {
    const f = fakeIpc({ [CHANNELS.appVersion]: "0.1.0" });
    const api = createShellApi(f.ipc);
    await api.notify({ title: "t", body: "b", extra: 1 } as never);
    await api.setBadgeCount(2);
    await api.openExternal("https://example.org");
    await expect(api.appVersion()).resolves.toBe("0.1.0");
    expect(f.invoked).toEqual([
      [CHANNELS.notify, { title: "t", body: "b" }],
      [CHANNELS.setBadgeCount, 2],
      [CHANNELS.openExternal, "https://example.org"],
      [CHANNELS.appVersion],
    ]);
  });

  it("hands deep-link listeners the URL only, waiting ones first, and unsubscribes", async () => {
    const f = fakeIpc({ [CHANNELS.subscribeDeepLinks]: ["grove://join#early"] });
    const api = createShellApi(f.ipc);
    const got: unknown[][] = [];
    const off = api.onDeepLink((...args) => got.push(args));
    await new Promise((r) => setTimeout(r, 0));
    f.emit(DEEP_LINK_EVENT, "grove://link#later");
    expect(got).toEqual([["grove://join#early"], ["grove://link#later"]]);
    off();
    expect(f.listeners.get(DEEP_LINK_EVENT)?.size).toBe(0);
    f.emit(DEEP_LINK_EVENT, "grove://join#ignored");
    expect(got).toHaveLength(2);
  });
});
