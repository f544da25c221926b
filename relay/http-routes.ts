/**
 * The relay's plain HTTP endpoints: /healthz for load balancers and
 * orchestrators, /metrics for Prometheus, /join for invite links, and
 * /app/ for the web app where the relay serves it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { APP_PREFIX, type AppFiles } from "./app-files.js";
import type { RelayBus } from "./bus/relay-bus.js";
import type { JoinPage } from "./join-page.js";
import type { RelayMetrics } from "./metrics.js";
import type { RelayStore } from "./store/relay-store.js";

export interface HttpContext {
  store: RelayStore;
  storeKind: "sqlite" | "postgres";
  bus: RelayBus;
  metrics: RelayMetrics;
  connections: () => number;
  startedAt: number;
  isShuttingDown: () => boolean;
  joinPage: JoinPage;
  /** The web app, where the operator serves one (--app-dir). */
  app?: AppFiles | undefined;
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export async function handleHttp(
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = new URL(req.url ?? "/", "http://relay").pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n", {
      allow: "GET, HEAD",
    });
  }
  if (ctx.app && (path === APP_PREFIX || path.startsWith(`${APP_PREFIX}/`))) {
    if (path === APP_PREFIX) {
      return send(res, 308, "text/plain; charset=utf-8", "see /app/\n", {
        location: `${APP_PREFIX}/`,
      });
    }
    return ctx.app(req, res);
  }
  switch (path) {
    case "/healthz":
      return health(ctx, res);
    case "/metrics": {
      const body = await ctx.metrics.registry.metrics();
      return send(res, 200, ctx.metrics.registry.contentType, body);
    }
    case "/join":
      return send(res, 200, "text/html; charset=utf-8", ctx.joinPage.html, {
        "content-security-policy": ctx.joinPage.csp,
        "x-frame-options": "DENY",
      });
    case "/":
      return send(
        res,
        200,
        "text/plain; charset=utf-8",
        ctx.app
          ? "Grove relay. The web app is at /app/; devices connect to /v1; status at /healthz.\n"
          : "Grove relay. Devices connect to /v1; status at /healthz.\n",
      );
    default:
      return send(res, 404, "text/plain; charset=utf-8", "not found\n");
  }
}

async function health(ctx: HttpContext, res: ServerResponse): Promise<void> {
  const base = {
    connections: ctx.connections(),
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
  };
  if (ctx.isShuttingDown()) {
    return send(res, 503, "application/json", JSON.stringify({ status: "shutting_down", ...base }));
  }
  // The store is what an ack rests on: without it this node is unavailable. A bus that is down
  // only costs latency (delivery falls back to the poll), so it is reported, not failed on.
  const [store, bus] = await Promise.all([
    ctx.store.checkWritable().then(
      (): { kind: string; reachable: boolean; error?: string } => ({
        kind: ctx.storeKind,
        reachable: true,
      }),
      (err: Error) => ({ kind: ctx.storeKind, reachable: false, error: err.message }),
    ),
    ctx.bus.health(),
  ]);
  const body = { store, bus, ...base };
  if (!store.reachable) {
    return send(
      res,
      503,
      "application/json",
      JSON.stringify({ status: "unavailable", error: store.error, ...body }),
    );
  }
  send(
    res,
    200,
    "application/json",
    JSON.stringify({ status: bus.reachable ? "ok" : "degraded", ...body }),
  );
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": type, ...SECURITY_HEADERS, ...headers });
  res.end(body);
}
