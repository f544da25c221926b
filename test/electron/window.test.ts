import { describe, expect, it } from "vitest";
import {
  ALLOWED_PERMISSIONS,
  clampBounds,
  DEFAULT_SIZE,
  installPermissionHandlers,
  MIN_SIZE,
  type PermissionSession,
  parseSavedBounds,
  permissionAllowed,
  windowOptions,
} from "../../electron/window.js";

const APP = new URL("http://127.0.0.1:7447/app/");

describe("window options", () => {
  it("hardens webPreferences and sets the preload", () => {
    const opts = windowOptions({ preload: "/x/preload.cjs", bounds: { width: 900, height: 700 } });
    expect(opts.webPreferences).toMatchObject({
      preload: "/x/preload.cjs",
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      experimentalFeatures: false,
    });
    expect(opts).toMatchObject({ width: 900, height: 700, show: false, minWidth: MIN_SIZE.width });
  });
});

describe("remembered bounds", () => {
  const laptop = { x: 0, y: 0, width: 1440, height: 875 };
  const monitor = { x: 1440, y: -200, width: 2560, height: 1400 };

  it("keeps bounds that fit on a display", () => {
    const b = { x: 1600, y: 0, width: 1200, height: 900 };
    expect(clampBounds(b, [laptop, monitor])).toEqual(b);
  });

  it("moves a window from an unplugged monitor to the primary display, centred", () => {
    const b = clampBounds({ x: 3000, y: 100, width: 1000, height: 700 }, [laptop]);
    expect(b).toEqual({
      x: (1440 - DEFAULT_SIZE.width) / 2,
      y: Math.round((875 - DEFAULT_SIZE.height) / 2),
      ...DEFAULT_SIZE,
    });
  });

  it("pulls a half-off-screen window inside the display it overlaps most", () => {
    expect(clampBounds({ x: 1000, y: 600, width: 900, height: 600 }, [laptop])).toEqual({
      x: 540,
      y: 275,
      width: 900,
      height: 600,
    });
  });

  it("shrinks a window larger than its display and grows one below the minimum", () => {
    expect(clampBounds({ x: 0, y: 0, width: 5000, height: 5000 }, [laptop])).toEqual(laptop);
    const tiny = clampBounds({ x: 10, y: 10, width: 50, height: 50 }, [laptop]);
    expect(tiny).toMatchObject({ width: MIN_SIZE.width, height: MIN_SIZE.height });
  });

  it("centres the default size when nothing was saved", () => {
    expect(clampBounds(undefined, [monitor])).toEqual({
      x: 1440 + (2560 - DEFAULT_SIZE.width) / 2,
      y: -200 + (1400 - DEFAULT_SIZE.height) / 2,
      ...DEFAULT_SIZE,
    });
  });

  it("reads saved bounds defensively", () => {
    expect(parseSavedBounds('{"x":1,"y":2,"width":800,"height":600}')).toEqual({
      x: 1,
      y: 2,
      width: 800,
      height: 600,
    });
    for (const bad of [
      undefined,
      "",
      "{",
      "null",
      '{"x":1}',
      '{"x":"1","y":2,"width":3,"height":4}',
    ]) {
      expect(parseSavedBounds(bad)).toBeUndefined();
    }
  });
});

describe("permissions", () => {
  it("allows only notifications and sanitized clipboard writes, only for the app", () => {
    expect([...ALLOWED_PERMISSIONS].sort()).toEqual(["clipboard-sanitized-write", "notifications"]);
    expect(permissionAllowed("notifications", "http://127.0.0.1:7447/app/", APP)).toBe(true);
    expect(permissionAllowed("notifications", "https://evil.example/", APP)).toBe(false);
    for (const p of ["media", "geolocation", "clipboard-read", "openExternal", "midi", "hid"]) {
      expect(permissionAllowed(p, "http://127.0.0.1:7447/app/", APP)).toBe(false);
    }
  });

  it("installs request and check handlers on the session", () => {
    let request: Parameters<PermissionSession["setPermissionRequestHandler"]>[0] | undefined;
    let check: Parameters<PermissionSession["setPermissionCheckHandler"]>[0] | undefined;
    installPermissionHandlers(
      {
        setPermissionRequestHandler: (h) => (request = h),
        setPermissionCheckHandler: (h) => (check = h),
      },
      APP,
    );
    const answers: boolean[] = [];
    const origin = "http://127.0.0.1:7447";
    request!({}, "notifications", (g) => answers.push(g), { requestingUrl: `${origin}/app/` });
    request!({}, "media", (g) => answers.push(g), { requestingUrl: `${origin}/app/` });
    request!({}, "notifications", (g) => answers.push(g), {});
    expect(answers).toEqual([true, false, false]);
    expect(check!({}, "clipboard-sanitized-write", origin)).toBe(true);
    expect(check!({}, "clipboard-read", origin)).toBe(false);
  });
});
