import { describe, expect, it } from "vitest";
import { appMenuTemplate } from "../../electron/menu.js";
import { trayIconBitmap, trayMenuTemplate, trayStatusText } from "../../electron/tray.js";

describe("menus", () => {
  it("gives the application menu the standard edit roles", () => {
    const edit = appMenuTemplate("linux", "Grove").find((m) => m.role === "editMenu");
    const roles = (edit!.submenu as { role?: string }[]).map((i) => i.role).filter(Boolean);
    expect(roles).toEqual(
      expect.arrayContaining(["undo", "redo", "cut", "copy", "paste", "selectAll"]),
    );
  });

  it("adds the app menu on macOS only", () => {
    expect(appMenuTemplate("darwin", "Grove")[0]?.label).toBe("Grove");
    expect(appMenuTemplate("win32", "Grove")[0]?.role).toBe("fileMenu");
  });

  it("offers show or hide and quit in the tray", () => {
    const done: string[] = [];
    const actions = {
      startMinimized: false,
      show: () => done.push("show"),
      hide: () => done.push("hide"),
      setStartMinimized: (on: boolean) => done.push(`minimized:${on}`),
      quit: () => done.push("quit"),
    };
    const hidden = trayMenuTemplate({ ...actions, windowVisible: false });
    const shown = trayMenuTemplate({
      ...actions,
      windowVisible: true,
      status: { presence: "away", unread: 3 },
    });
    expect(hidden.map((i) => i.label)).toEqual([
      "Grove",
      undefined,
      "Show Grove",
      "Start minimized to tray",
      undefined,
      "Quit Grove",
    ]);
    expect(shown[0]).toMatchObject({ label: "Away · 3 unread", enabled: false });
    expect(shown[2]?.label).toBe("Hide Grove");
    expect(shown[3]).toMatchObject({ type: "checkbox", checked: false });
    for (const item of [hidden[2], shown[2], shown[3], shown[5]])
      item?.click?.({} as never, undefined, {} as never);
    expect(done).toEqual(["show", "hide", "minimized:true", "quit"]);
    expect(trayStatusText({ presence: "online", unread: 0 })).toBe("Online · nothing unread");
  });

  it("draws a 16x16 BGRA tray icon, transparent in the corners", () => {
    const px = trayIconBitmap(16);
    expect(px.length).toBe(16 * 16 * 4);
    expect(px[3]).toBe(0);
    expect(px[(8 * 16 + 8) * 4 + 3]).toBe(255);
  });
});
