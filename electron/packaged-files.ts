/**
 * The renderer as packaged files: `app://grove/app/<path>` maps to a file
 * under the built renderer folder, never outside it, however the path is
 * spelled; a client route (no file extension, e.g. /app/join) gets
 * index.html, as the relay serves the web app. Pure: main.ts reads the file
 * and answers the protocol request.
 */
import { extname, join, normalize, relative, sep } from "node:path";

export const PACKAGED_SCHEME = "app";
export const PACKAGED_APP_URL = "app://grove/app/";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
  ".woff2": "font/woff2",
};

export type PackagedFile =
  | { kind: "file"; path: string; type: string }
  | { kind: "not-found"; why: string };

/** Which file under `root` answers `requestUrl` (an app:// URL). */
export function packagedFile(root: string, requestUrl: string): PackagedFile {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { kind: "not-found", why: "not a URL" };
  }
  const app = new URL(PACKAGED_APP_URL);
  if (url.protocol !== app.protocol || url.host !== app.host) {
    return { kind: "not-found", why: "not the app's origin" };
  }
  if (!url.pathname.startsWith(app.pathname)) return { kind: "not-found", why: "outside /app/" };
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname.slice(app.pathname.length));
  } catch {
    return { kind: "not-found", why: "bad escape" };
  }
  if (rel.includes("\0")) return { kind: "not-found", why: "NUL in path" };
  const route = rel === "" || extname(rel) === "";
  const target = normalize(join(root, route ? "index.html" : rel));
  const inside = relative(root, target);
  if (inside === "" || inside.startsWith("..") || inside.split(sep).includes("..")) {
    return { kind: "not-found", why: "outside the renderer folder" };
  }
  const type = TYPES[extname(target).toLowerCase()];
  if (!type) return { kind: "not-found", why: "not a file type the app ships" };
  return { kind: "file", path: target, type };
}
