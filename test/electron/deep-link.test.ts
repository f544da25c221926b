import { describe, expect, it } from "vitest";
import { deepLinkFromArgv, parseDeepLink, watchOpenUrl } from "../../electron/deep-link.js";
import { DeepLinkInbox, MAX_PENDING_LINKS } from "../../electron/deep-link-inbox.js";

describe("deep links", () => {
  it("accepts grove://join#… and grove://link#… and keeps the fragment verbatim", () => {
    expect(parseDeepLink("grove://join#v1.abc-DEF_123")).toEqual({
      kind: "join",
      url: "grove://join#v1.abc-DEF_123",
      fragment: "v1.abc-DEF_123",
    });
    expect(parseDeepLink("grove://link#offer%2Fx=y")?.fragment).toBe("offer%2Fx=y");
  });

  it("normalises a trailing slash and upper-case scheme or host", () => {
    expect(parseDeepLink("grove://join/#abc")?.url).toBe("grove://join#abc");
    expect(parseDeepLink("GROVE://JOIN#abc")?.url).toBe("grove://join#abc");
  });

  it.each([
    ["another scheme", "https://join#abc"],
    ["another host", "grove://steal#abc"],
    ["a path", "grove://join/x#abc"],
    ["a query", "grove://join?x=1#abc"],
    ["credentials", "grove://u:p@join#abc"],
    ["a port", "grove://join:80#abc"],
    ["no fragment", "grove://join"],
    ["an empty fragment", "grove://join#"],
    ["whitespace (argument injection)", "grove://join#abc --inspect=9229"],
    ["control characters", "grove://join#a\u0000b"],
    ["javascript:", "javascript:alert(1)//grove://join#x"],
    ["garbage", "not a url"],
  ])("rejects %s", (_why, raw) => {
    expect(parseDeepLink(raw)).toBeUndefined();
  });

  it("rejects links longer than the limit", () => {
    expect(parseDeepLink(`grove://join#${"a".repeat(9000)}`)).toBeUndefined();
  });

  it("finds the link in a first launch's or a second instance's argv, skipping flags", () => {
    const argv = [
      "/opt/Grove/grove",
      "--no-sandbox-is-not-ours",
      "/app/electron/dist/main.cjs",
      "--app-url=http://127.0.0.1:7447/app/",
      "grove://join#invite",
    ];
    expect(deepLinkFromArgv(argv)?.url).toBe("grove://join#invite");
    expect(deepLinkFromArgv(["/opt/Grove/grove", "--flag=grove://join#x"])).toBeUndefined();
    expect(deepLinkFromArgv(["/opt/Grove/grove"])).toBeUndefined();
  });

  it("takes macOS open-url links, preventing the default even for rejected ones", () => {
    const listeners: Array<(e: { preventDefault(): void }, url: string) => void> = [];
    const got: string[] = [];
    watchOpenUrl({ on: (_event, l) => listeners.push(l) }, (link) => got.push(link.url));
    let prevented = 0;
    const event = { preventDefault: () => prevented++ };
    listeners[0]!(event, "grove://link#offer");
    listeners[0]!(event, "file:///etc/passwd");
    expect(got).toEqual(["grove://link#offer"]);
    expect(prevented).toBe(2);
  });
});

describe("deep link inbox", () => {
  const link = (f: string) => parseDeepLink(`grove://join#${f}`)!;

  it("queues links until the page subscribes, then delivers straight away", () => {
    const inbox = new DeepLinkInbox();
    inbox.deliver(link("early"));
    const sent: string[] = [];
    expect(inbox.subscribe((u) => sent.push(u))).toEqual(["grove://join#early"]);
    inbox.deliver(link("late"));
    expect(sent).toEqual(["grove://join#late"]);
  });

  it("queues again after a page load detaches it, keeping only the newest few", () => {
    const inbox = new DeepLinkInbox();
    inbox.subscribe(() => {});
    inbox.detach();
    for (let i = 0; i < MAX_PENDING_LINKS + 3; i++) inbox.deliver(link(`n${i}`));
    const waiting = inbox.subscribe(() => {});
    expect(waiting).toHaveLength(MAX_PENDING_LINKS);
    expect(waiting.at(-1)).toBe(`grove://join#n${MAX_PENDING_LINKS + 2}`);
  });
});
