import { beforeEach, describe, expect, it } from "vitest";
import { parseDeepLink } from "../../electron/deep-link.js";
import { DeepLinkInbox } from "../../electron/deep-link-inbox.js";
import {
  type FrameLike,
  IpcError,
  keychainUsable,
  registerShellIpc,
  type SenderEvent,
  type ShellIpcDeps,
  safeFileName,
} from "../../electron/ipc.js";
import { CHANNELS, DEEP_LINK_EVENT } from "../../electron/shell-api.js";

const APP = new URL("http://127.0.0.1:7447/app/");
const WINDOW_ID = 7;

type Listener = (event: SenderEvent, ...args: unknown[]) => unknown;

function frame(url: string, routingId = 1, parent: unknown = null): FrameLike {
  return { url, parent, processId: 3, routingId };
}

/** An invoke event as Electron builds it, from our window's main frame unless told otherwise. */
function event(over: { url?: string; id?: number; subframe?: boolean; gone?: boolean } = {}) {
  const main = frame(over.url ?? "http://127.0.0.1:7447/app/");
  const sent: unknown[][] = [];
  const e: SenderEvent = {
    sender: { id: over.id ?? WINDOW_ID, mainFrame: main, send: (...a) => sent.push(a) },
    senderFrame: over.gone
      ? null
      : over.subframe
        ? frame("http://127.0.0.1:7447/app/", 2, main)
        : main,
  };
  return { e, sent };
}

/** A fake safeStorage that "encrypts" by reversing and tagging the bytes. */
function fakeSafeStorage(available = true) {
  return {
    available,
    isEncryptionAvailable() {
      return this.available;
    },
    encryptString: (plain: string) =>
      Buffer.concat([Buffer.from("K1"), Buffer.from(plain).reverse()]),
    decryptString: (sealed: Buffer) => {
      if (sealed.subarray(0, 2).toString() !== "K1") throw new Error("bad blob");
      return Buffer.from(sealed.subarray(2)).reverse().toString();
    },
  };
}

let handlers: Map<string, Listener>;
let calls: {
  notify: unknown[];
  badge: number[];
  opened: string[];
  tray: unknown[];
  startMinimized: boolean;
};
let deps: ShellIpcDeps;
let storage: ReturnType<typeof fakeSafeStorage>;
let inbox: DeepLinkInbox;
let disk: { cancel: boolean; files: Map<string, Uint8Array>; sizes: Map<string, number> };

beforeEach(() => {
  handlers = new Map();
  calls = { notify: [], badge: [], opened: [], tray: [], startMinimized: false };
  storage = fakeSafeStorage();
  inbox = new DeepLinkInbox();
  disk = { cancel: false, files: new Map(), sizes: new Map() };
  deps = {
    ipcMain: { handle: (channel, listener) => handlers.set(channel, listener) },
    policy: { appUrl: APP, windowContentsId: () => WINDOW_ID },
    safeStorage: storage,
    notify: (n) => calls.notify.push(n),
    setBadgeCount: (n) => calls.badge.push(n),
    openExternal: async (url) => {
      calls.opened.push(url);
    },
    appVersion: "0.1.0",
    deepLinks: inbox,
    setTrayStatus: (s) => calls.tray.push(s),
    files: {
      askSavePath: async (name) => (disk.cancel ? undefined : `/home/ann/Downloads/${name}`),
      askOpenPath: async () => (disk.cancel ? undefined : "/home/ann/notes.txt"),
      write: async (path, bytes) => {
        disk.files.set(path, bytes);
      },
      size: async (path) => disk.sizes.get(path) ?? disk.files.get(path)?.length ?? 0,
      read: async (path) => disk.files.get(path) ?? new Uint8Array(0),
    },
    startMinimized: {
      get: () => calls.startMinimized,
      set: (on) => {
        calls.startMinimized = on;
      },
    },
  };
  registerShellIpc(deps);
});

const invoke = (channel: string, e: SenderEvent, ...args: unknown[]) =>
  Promise.resolve().then(() => handlers.get(channel)!(e, ...args));

function expectIpcError(p: Promise<unknown>, code: string) {
  return expect(p).rejects.toSatisfy((err) => err instanceof IpcError && err.code === code);
}

describe("IPC sender validation", () => {
  it("registers every channel of the shell API", () => {
    expect([...handlers.keys()].sort()).toEqual(Object.values(CHANNELS).sort());
  });

  it("answers the main frame of Grove's window on the app's origin", async () => {
    await expect(invoke(CHANNELS.appVersion, event().e)).resolves.toBe("0.1.0");
  });

  it.each(Object.values(CHANNELS))("refuses a subframe on %s without running it", async (ch) => {
    await expectIpcError(invoke(ch, event({ subframe: true }).e, "x"), "foreign-sender");
    expect(calls).toEqual({ notify: [], badge: [], opened: [], tray: [], startMinimized: false });
  });

  it("refuses another window, another origin, another path, and a vanished frame", async () => {
    for (const bad of [
      event({ id: 99 }),
      event({ url: "https://evil.example/app/" }),
      event({ url: "http://127.0.0.1:9999/app/" }),
      event({ url: "http://127.0.0.1:7447/join" }),
      event({ url: "file:///app/index.html" }),
      event({ gone: true }),
    ]) {
      await expectIpcError(
        invoke(CHANNELS.notify, bad.e, { title: "t", body: "b" }),
        "foreign-sender",
      );
    }
    expect(calls.notify).toEqual([]);
  });

  it("refuses everyone while there is no window", async () => {
    deps.policy.windowContentsId = () => undefined;
    await expectIpcError(invoke(CHANNELS.appVersion, event().e), "foreign-sender");
  });

  it("puts the error code in the message the renderer sees", () => {
    expect(new IpcError("foreign-sender", "x").message).toBe("[foreign-sender] x");
  });
});

describe("IPC channels", () => {
  it("wraps and unwraps a storage key with safeStorage", async () => {
    const key = new Uint8Array([1, 2, 3, 250]);
    const wrapped = (await invoke(CHANNELS.wrapStorageKey, event().e, key)) as {
      ok: true;
      wrapped: Uint8Array;
    };
    expect(wrapped.ok).toBe(true);
    expect(Buffer.from(wrapped.wrapped).includes(Buffer.from(key))).toBe(false);
    await expect(invoke(CHANNELS.unwrapStorageKey, event().e, wrapped.wrapped)).resolves.toEqual({
      ok: true,
      key,
    });
  });

  it("answers unavailable when the OS has no keychain", async () => {
    storage.available = false;
    const key = new Uint8Array([1]);
    await expect(invoke(CHANNELS.wrapStorageKey, event().e, key)).resolves.toEqual({
      ok: false,
      reason: "unavailable",
    });
    await expect(invoke(CHANNELS.unwrapStorageKey, event().e, key)).resolves.toEqual({
      ok: false,
      reason: "unavailable",
    });
  });

  it("treats Linux's basic_text fallback (a fixed password) as no keychain", async () => {
    const weak = { ...fakeSafeStorage(), getSelectedStorageBackend: () => "basic_text" as const };
    expect(keychainUsable(weak)).toBe(false);
    expect(
      keychainUsable({ ...weak, getSelectedStorageBackend: () => "gnome_libsecret" as const }),
    ).toBe(true);
    expect(keychainUsable(fakeSafeStorage())).toBe(true);
    expect(keychainUsable(fakeSafeStorage(false))).toBe(false);
  });

  it("answers undecryptable for a blob the keychain rejects", async () => {
    await expect(
      invoke(CHANNELS.unwrapStorageKey, event().e, new Uint8Array([9, 9, 9])),
    ).resolves.toEqual({ ok: false, reason: "undecryptable" });
  });

  it("rejects keys that are not bytes or too large", async () => {
    for (const bad of ["abc", new Uint8Array(0), new Uint8Array(5000), [1, 2]]) {
      await expectIpcError(invoke(CHANNELS.wrapStorageKey, event().e, bad), "bad-argument");
    }
  });

  it("shows notifications with only title and body", async () => {
    await invoke(CHANNELS.notify, event().e, { title: "Ann", body: "hi", icon: "file:///x" });
    expect(calls.notify).toEqual([{ title: "Ann", body: "hi" }]);
    await expectIpcError(invoke(CHANNELS.notify, event().e, { title: "" }), "bad-argument");
    await expectIpcError(invoke(CHANNELS.notify, event().e, null), "bad-argument");
  });

  it("sets the badge count to whole numbers in range", async () => {
    await invoke(CHANNELS.setBadgeCount, event().e, 3);
    await invoke(CHANNELS.setBadgeCount, event().e, 0);
    expect(calls.badge).toEqual([3, 0]);
    for (const bad of [-1, 1.5, "2", 1e9, Number.NaN]) {
      await expectIpcError(invoke(CHANNELS.setBadgeCount, event().e, bad), "bad-argument");
    }
  });

  it("opens only https: and mailto: URLs outside the app", async () => {
    await invoke(CHANNELS.openExternal, event().e, "https://example.org/a");
    await invoke(CHANNELS.openExternal, event().e, "mailto:ann@example.org");
    for (const bad of [
      "http://example.org",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "smb://host/share",
      "grove://join#x",
      "https://user:pw@example.org",
      42,
    ]) {
      await expectIpcError(invoke(CHANNELS.openExternal, event().e, bad), "bad-argument");
    }
    expect(calls.opened).toEqual(["https://example.org/a", "mailto:ann@example.org"]);
  });

  it("hands a subscriber the waiting deep links, then sends new ones to its window", async () => {
    inbox.deliver(parseDeepLink("grove://join#early")!);
    const { e, sent } = event();
    await expect(invoke(CHANNELS.subscribeDeepLinks, e)).resolves.toEqual(["grove://join#early"]);
    inbox.deliver(parseDeepLink("grove://link#later")!);
    expect(sent).toEqual([[DEEP_LINK_EVENT, "grove://link#later"]]);
  });
});

describe("tray status and the start-minimized setting", () => {
  it("takes a presence and an unread count, nothing else", async () => {
    const { e } = event();
    await invoke(CHANNELS.setTrayStatus, e, { presence: "away", unread: 3, extra: "dropped" });
    expect(calls.tray).toEqual([{ presence: "away", unread: 3 }]);
    for (const bad of [
      null,
      { presence: "busy", unread: 1 },
      { presence: "online", unread: -1 },
      { presence: "online", unread: 1.5 },
      { presence: "online", unread: 1e9 },
    ]) {
      await expectIpcError(invoke(CHANNELS.setTrayStatus, e, bad), "bad-argument");
    }
    expect(calls.tray).toHaveLength(1);
  });

  it("keeps the setting, refuses non-booleans and foreign senders", async () => {
    const { e } = event();
    expect(await invoke(CHANNELS.getStartMinimized, e)).toBe(false);
    await invoke(CHANNELS.setStartMinimized, e, true);
    expect(await invoke(CHANNELS.getStartMinimized, e)).toBe(true);
    await expectIpcError(invoke(CHANNELS.setStartMinimized, e, "yes"), "bad-argument");
    await expectIpcError(
      invoke(CHANNELS.setStartMinimized, event({ url: "https://evil.example/" }).e, false),
      "foreign-sender",
    );
    await expectIpcError(
      invoke(CHANNELS.setTrayStatus, event({ subframe: true }).e, {
        presence: "online",
        unread: 0,
      }),
      "foreign-sender",
    );
    expect(calls.startMinimized).toBe(true);
  });
});

describe("file dialogs", () => {
  it("saves under a safe suggested name where the user chose, and says when cancelled", async () => {
    const { e } = event();
    const bytes = new Uint8Array([1, 2, 3]);
    expect(await invoke(CHANNELS.saveFile, e, "../../etc/pass\u0000wd", bytes)).toBe(true);
    expect([...disk.files.keys()]).toEqual(["/home/ann/Downloads/.._.._etc_pass_wd"]);
    disk.cancel = true;
    expect(await invoke(CHANNELS.saveFile, e, "notes.txt", bytes)).toBe(false);
    await expectIpcError(invoke(CHANNELS.saveFile, e, 42, bytes), "bad-argument");
    await expectIpcError(invoke(CHANNELS.saveFile, e, "a.txt", "not bytes"), "bad-argument");
    expect(safeFileName("..")).toBe("download");
    expect(safeFileName("x".repeat(400))).toHaveLength(255);
  });

  it("opens the chosen file's name and bytes, refuses huge ones and foreign senders", async () => {
    const { e } = event();
    disk.files.set("/home/ann/notes.txt", new Uint8Array([7, 8]));
    expect(await invoke(CHANNELS.openFile, e)).toEqual({
      name: "notes.txt",
      bytes: new Uint8Array([7, 8]),
    });
    disk.sizes.set("/home/ann/notes.txt", 65 * 1024 * 1024);
    await expectIpcError(invoke(CHANNELS.openFile, e), "bad-argument");
    await expectIpcError(invoke(CHANNELS.openFile, event({ subframe: true }).e), "foreign-sender");
    disk.cancel = true;
    expect(await invoke(CHANNELS.openFile, e)).toBeUndefined();
  });
});
