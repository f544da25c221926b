/**
 * The tray: its menu (show or hide the window, quit) and its icon, drawn as
 * a raw BGRA bitmap (a filled circle in Grove green) so the shell ships no
 * binary asset. Pure data; main.ts builds the Tray.
 */
import type { MenuItemConstructorOptions } from "electron";
import type { TrayStatus } from "./shell-api.js";

export interface TrayActions {
  windowVisible: boolean;
  /** Unknown until the app has said (it may still be locked or onboarding). */
  status?: TrayStatus | undefined;
  startMinimized: boolean;
  show(): void;
  hide(): void;
  setStartMinimized(on: boolean): void;
  quit(): void;
}

const PRESENCE_TEXT: Record<TrayStatus["presence"], string> = {
  online: "Online",
  away: "Away",
  offline: "Offline",
};

/** "Online · 3 unread", for the tray's first line and its tooltip. */
export function trayStatusText(status: TrayStatus | undefined): string {
  if (!status) return "Grove";
  const unread = status.unread === 0 ? "nothing unread" : `${status.unread} unread`;
  return `${PRESENCE_TEXT[status.presence]} · ${unread}`;
}

export function trayMenuTemplate(actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: trayStatusText(actions.status), enabled: false },
    { type: "separator" },
    actions.windowVisible
      ? { label: "Hide Grove", click: () => actions.hide() }
      : { label: "Show Grove", click: () => actions.show() },
    {
      label: "Start minimized to tray",
      type: "checkbox",
      checked: actions.startMinimized,
      click: () => actions.setStartMinimized(!actions.startMinimized),
    },
    { type: "separator" },
    { label: "Quit Grove", click: () => actions.quit() },
  ];
}

/** A size x size BGRA bitmap of a filled, anti-aliased circle. */
export function trayIconBitmap(size = 16): Buffer {
  const px = Buffer.alloc(size * size * 4);
  const r = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - r, y + 0.5 - r);
      const alpha = Math.max(0, Math.min(1, r - d));
      const i = (y * size + x) * 4;
      px[i] = 0x4a; // B
      px[i + 1] = 0x8c; // G
      px[i + 2] = 0x2e; // R
      px[i + 3] = Math.round(alpha * 255);
    }
  }
  return px;
}
