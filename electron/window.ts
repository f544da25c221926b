/**
 * Grove's one window: its BrowserWindow options (hardened webPreferences:
 * the renderer gets no Node, runs sandboxed and isolated from the preload,
 * and cannot load insecure content, webviews or dropped files), bounds
 * remembered between runs (clamped so a window saved on an unplugged
 * monitor comes back on a visible one), and the session's permission
 * handlers: only notifications and sanitized clipboard writes, only for the
 * app's origin; every other permission is denied.
 */
import type { BrowserWindowConstructorOptions, Rectangle } from "electron";

export const MIN_SIZE = { width: 720, height: 480 } as const;
export const DEFAULT_SIZE = { width: 1200, height: 800 } as const;

export interface WindowOptionsInput {
  preload: string;
  bounds: Partial<Rectangle> & { width: number; height: number };
  title?: string;
}

export function windowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    ...input.bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    title: input.title ?? "Grove",
    show: false,
    backgroundColor: "#ffffff",
    webPreferences: {
      preload: input.preload,
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
      spellcheck: true,
    },
  };
}

/** Reads saved bounds (JSON) defensively: anything malformed is no bounds at all. */
export function parseSavedBounds(json: string | undefined): Rectangle | undefined {
  if (!json) return undefined;
  try {
    const v = JSON.parse(json) as Record<string, unknown>;
    const keys = ["x", "y", "width", "height"] as const;
    if (!keys.every((k) => typeof v[k] === "number" && Number.isFinite(v[k]))) return undefined;
    return {
      x: v.x as number,
      y: v.y as number,
      width: v.width as number,
      height: v.height as number,
    };
  } catch {
    return undefined;
  }
}

function overlap(a: Rectangle, b: Rectangle): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), Math.max(lo, hi));

/**
 * Fits saved bounds onto the displays' work areas (primary first). The
 * window lands on the display it overlaps most, sized at least MIN_SIZE and
 * at most that work area, and wholly inside it. With no saved bounds, or
 * none overlapping any display, it gets the default size centred on the
 * primary display.
 */
export function clampBounds(
  saved: Rectangle | undefined,
  workAreas: readonly Rectangle[],
): Rectangle {
  const primary = workAreas[0] ?? { x: 0, y: 0, ...DEFAULT_SIZE };
  let area: Rectangle | undefined;
  let best = 0;
  if (saved) {
    for (const wa of workAreas) {
      const o = overlap(saved, wa);
      if (o > best) {
        best = o;
        area = wa;
      }
    }
  }
  if (!saved || !area) {
    const width = clamp(DEFAULT_SIZE.width, Math.min(MIN_SIZE.width, primary.width), primary.width);
    const height = clamp(
      DEFAULT_SIZE.height,
      Math.min(MIN_SIZE.height, primary.height),
      primary.height,
    );
    return {
      x: Math.round(primary.x + (primary.width - width) / 2),
      y: Math.round(primary.y + (primary.height - height) / 2),
      width,
      height,
    };
  }
  const width = clamp(saved.width, Math.min(MIN_SIZE.width, area.width), area.width);
  const height = clamp(saved.height, Math.min(MIN_SIZE.height, area.height), area.height);
  return {
    x: clamp(saved.x, area.x, area.x + area.width - width),
    y: clamp(saved.y, area.y, area.y + area.height - height),
    width,
    height,
  };
}

/** The permissions Grove uses. */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set([
  "notifications",
  "clipboard-sanitized-write",
]);

function sameOrigin(url: string, appUrl: URL): boolean {
  try {
    return new URL(url).origin === appUrl.origin;
  } catch {
    return false;
  }
}

export function permissionAllowed(permission: string, requestingUrl: string, appUrl: URL): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && sameOrigin(requestingUrl, appUrl);
}

/** The part of Electron's Session the handlers are installed on. */
export interface PermissionSession {
  setPermissionRequestHandler(
    handler: (
      webContents: unknown,
      permission: string,
      callback: (granted: boolean) => void,
      details: { requestingUrl?: string },
    ) => void,
  ): void;
  setPermissionCheckHandler(
    handler: (webContents: unknown, permission: string, requestingOrigin: string) => boolean,
  ): void;
}

export function installPermissionHandlers(session: PermissionSession, appUrl: URL): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(permissionAllowed(permission, details.requestingUrl ?? "", appUrl));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    permissionAllowed(permission, requestingOrigin, appUrl),
  );
}
