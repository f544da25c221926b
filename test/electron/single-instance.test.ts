import { describe, expect, it } from "vitest";
import { claimSingleInstance, type SingleInstanceApp } from "../../electron/single-instance.js";

type SecondInstance = (event: unknown, argv: string[], cwd: string, data: unknown) => void;

/**
 * Two fake processes sharing one lock, the way Electron behaves: the first
 * requestSingleInstanceLock wins; a later one loses and its argv and
 * additionalData arrive at the winner's "second-instance" listener.
 */
function fakeOs() {
  let holder: { listener?: SecondInstance } | undefined;
  return function launch() {
    const self: { listener?: SecondInstance; quits: number } = { quits: 0 };
    let argv: string[] = [];
    const app: SingleInstanceApp = {
      requestSingleInstanceLock(data) {
        if (!holder) {
          holder = self;
          return true;
        }
        holder.listener?.({}, argv, "/home/ann", data);
        return false;
      },
      quit: () => {
        self.quits++;
      },
      on: (_event, listener) => {
        self.listener = listener;
      },
    };
    return {
      self,
      claim(args: string[], hooks: Parameters<typeof claimSingleInstance>[2]) {
        argv = args;
        return claimSingleInstance(app, args, hooks);
      },
    };
  };
}

const noHooks = { focus: () => {}, onLink: () => {} };

describe("single instance", () => {
  it("lets the first instance run and makes a second forward its link and quit", () => {
    const launch = fakeOs();
    const first = launch();
    const events: string[] = [];
    expect(
      first.claim(["grove", "main.cjs"], {
        focus: () => events.push("focus"),
        onLink: (l) => events.push(l.url),
      }),
    ).toBe(true);

    const second = launch();
    expect(second.claim(["grove", "main.cjs", "grove://join#invite"], noHooks)).toBe(false);
    expect(second.self.quits).toBe(1);
    expect(first.self.quits).toBe(0);
    expect(events).toEqual(["focus", "grove://join#invite"]);
  });

  it("focuses the window without a link when the second launch carries none", () => {
    const launch = fakeOs();
    const events: string[] = [];
    launch().claim(["grove"], {
      focus: () => events.push("focus"),
      onLink: (l) => events.push(l.url),
    });
    launch().claim(["grove", "--some-flag"], noHooks);
    expect(events).toEqual(["focus"]);
  });

  it("prefers the forwarded additionalData and ignores invalid links there", () => {
    const listeners: SecondInstance[] = [];
    const app: SingleInstanceApp = {
      requestSingleInstanceLock: () => true,
      quit: () => {},
      on: (_e, l) => {
        listeners.push(l);
      },
    };
    const got: string[] = [];
    claimSingleInstance(app, ["grove"], { focus: () => {}, onLink: (l) => got.push(l.url) });
    listeners[0]!({}, ["grove", "grove://join#from-argv"], "/", {
      deepLink: "grove://link#from-data",
    });
    listeners[0]!({}, ["grove", "grove://join#from-argv"], "/", { deepLink: "grove://evil#x" });
    listeners[0]!({}, ["grove", "grove://evil#x"], "/", null);
    expect(got).toEqual(["grove://link#from-data", "grove://join#from-argv"]);
  });
});
