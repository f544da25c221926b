/**
 * Serves the built Grove web app (renderer/dist) under /app/ when the
 * operator passes --app-dir: the embedded relay of `npm start` does, so
 * the app and its relay share one origin. Files go out with a strict CSP:
 * the app's own scripts and styles only, WebSockets to any relay the user
 * adds, images from the app and data: (QR codes), nothing framed.
 */
import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import sirv from "sirv";
import { ConfigError } from "./config.js";

export const APP_PREFIX = "/app";

export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export type AppFiles = (req: IncomingMessage, res: ServerResponse) => void;

export function appFiles(dir: string): AppFiles {
  if (!existsSync(join(dir, "index.html"))) {
    throw new ConfigError(
      `appDir ${dir} holds no index.html (build it: npx vite build --config renderer/vite.config.ts)`,
    );
  }
  const serve = sirv(dir, {
    // Client-side routes (/app/join#…) get index.html.
    single: true,
    dev: false,
    etag: true,
    setHeaders(res, path) {
      res.setHeader("content-security-policy", APP_CSP);
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("referrer-policy", "no-referrer");
      res.setHeader("x-frame-options", "DENY");
      // Hashed asset names may be cached for good; the page itself never.
      res.setHeader(
        "cache-control",
        path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
  return (req, res) => {
    const url = req.url ?? "/";
    req.url = url.slice(APP_PREFIX.length) || "/";
    serve(req, res, () => {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
    });
  };
}
