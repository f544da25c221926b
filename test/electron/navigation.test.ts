import { describe, expect, it } from "vitest";
import { appUrlFromArgv, isAppUrl } from "../../electron/app-url.js";
import {
  decideNavigation,
  guardNavigation,
  type NavigableContents,
} from "../../electron/navigation.js";

const APP = new URL("http://127.0.0.1:7447/app/");

describe("navigation decisions", () => {
  it.each([
    "http://127.0.0.1:7447/app/",
    "http://127.0.0.1:7447/app/join#secret",
    "http://127.0.0.1:7447/app/assets/x.js",
  ])("keeps the app URL %s in the window", (url) => {
    expect(decideNavigation(url, APP)).toEqual({ action: "stay" });
  });

  it.each(["https://example.org/page", "mailto:ann@example.org"])("sends %s outside", (url) => {
    expect(decideNavigation(url, APP)).toEqual({ action: "external", url });
  });

  it.each([
    "http://example.org/",
    "http://127.0.0.1:7448/app/",
    "http://127.0.0.1:7447/metrics",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:text/html,<script>1</script>",
    "grove://join#x",
    "smb://host/share",
    "about:blank",
    "chrome://gpu",
    "not a url",
  ])("denies %s", (url) => {
    expect(decideNavigation(url, APP)).toEqual({ action: "deny" });
  });
});

function fakeContents() {
  let willNavigate: ((e: { url: string; preventDefault(): void }) => void) | undefined;
  let openHandler: ((d: { url: string }) => { action: "deny" }) | undefined;
  const loaded: string[] = [];
  const contents: NavigableContents = {
    on: (_event, l) => {
      willNavigate = l;
    },
    setWindowOpenHandler: (h) => {
      openHandler = h;
    },
    loadURL: async (url) => {
      loaded.push(url);
    },
  };
  return {
    contents,
    loaded,
    navigate(url: string) {
      let prevented = false;
      willNavigate!({ url, preventDefault: () => (prevented = true) });
      return prevented;
    },
    open: (url: string) => openHandler!({ url }),
  };
}

describe("navigation guard", () => {
  it("lets app navigations through and stops the rest, opening https/mailto outside", async () => {
    const f = fakeContents();
    const opened: string[] = [];
    guardNavigation(f.contents, APP, async (url) => {
      opened.push(url);
    });
    expect(f.navigate("http://127.0.0.1:7447/app/space")).toBe(false);
    expect(f.navigate("https://example.org/")).toBe(true);
    expect(f.navigate("file:///etc/passwd")).toBe(true);
    expect(opened).toEqual(["https://example.org/"]);
  });

  it("never opens a new window: app URLs load in place, https/mailto go outside", () => {
    const f = fakeContents();
    const opened: string[] = [];
    guardNavigation(f.contents, APP, async (url) => {
      opened.push(url);
    });
    expect(f.open("http://127.0.0.1:7447/app/x")).toEqual({ action: "deny" });
    expect(f.open("mailto:bob@example.org")).toEqual({ action: "deny" });
    expect(f.open("javascript:alert(1)")).toEqual({ action: "deny" });
    expect(f.loaded).toEqual(["http://127.0.0.1:7447/app/x"]);
    expect(opened).toEqual(["mailto:bob@example.org"]);
  });

  it("survives the OS failing to open a URL", () => {
    const f = fakeContents();
    guardNavigation(f.contents, APP, () => Promise.reject(new Error("no handler")));
    expect(f.navigate("https://example.org/")).toBe(true);
  });
});

describe("app URL", () => {
  it("reads --app-url and normalises it", () => {
    const url = appUrlFromArgv(["electron", "main.cjs", "--app-url=http://127.0.0.1:7447/app?x#y"]);
    expect(url.href).toBe("http://127.0.0.1:7447/app/");
    expect(appUrlFromArgv(["electron"]).href).toBe("http://127.0.0.1:7447/app/");
  });

  it("accepts https anywhere but http only on loopback", () => {
    expect(appUrlFromArgv(["--app-url=https://grove.example/app/"]).origin).toBe(
      "https://grove.example",
    );
    expect(() => appUrlFromArgv(["--app-url=http://grove.example/app/"])).toThrow(/loopback/);
    expect(() => appUrlFromArgv(["--app-url=file:///app/"])).toThrow();
    expect(() => appUrlFromArgv(["--app-url=nonsense"])).toThrow(/not a URL/);
  });

  it("counts only the app's origin and path as the app", () => {
    expect(isAppUrl("http://127.0.0.1:7447/app/x", APP)).toBe(true);
    expect(isAppUrl("http://127.0.0.1:7447/application", APP)).toBe(false);
    expect(isAppUrl("http://localhost:7447/app/", APP)).toBe(false);
  });
});
