/**
 * Starts a relay: one HTTP port serving the relay protocol (WS /v1),
 * y-webrtc signaling (WS /signal), /healthz, /metrics and /join. The loop
 * here only wires modules together: connections, storage, limits, metrics
 * and signaling each live in their own module.
 */
import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { type Logger, pino } from "pino";
import { WebSocketServer } from "ws";
import { ed25519 } from "../core/crypto/ed25519.js";
import { relayOrigin } from "../core/crypto/relay-auth.js";
import { AccessTokens } from "./access-tokens.js";
import { APP_PREFIX, appFiles } from "./app-files.js";
import { NODE_NAME, openBus, openStore } from "./backends.js";
import { clientAddress } from "./client-address.js";
import { type RelayConfig, resolveConfig } from "./config.js";
import { RelayConnection } from "./connection.js";
import { BacklogBudget } from "./delivery.js";
import { FairWrites } from "./fair-writes.js";
import { Flow } from "./flow.js";
import { handleHttp } from "./http-routes.js";
import { joinPage } from "./join-page.js";
import { createMailer } from "./mailer.js";
import { createMetrics } from "./metrics.js";
import { Presence } from "./presence.js";
import type { EscapeKind } from "./process-guard.js";
import { BucketMap } from "./rate-limit.js";
import type { RelayContext } from "./relay-context.js";
import { SignalingHub } from "./signaling.js";
import { SlotLimiter } from "./slots.js";
import { SourceLimits } from "./source-limits.js";

/** Memory all connections' delivery backlogs may hold; past it, delivery reads the store. */
const BACKLOG_BYTES = 64 * 1024 * 1024;

export interface RunningRelay {
  config: RelayConfig;
  /** The port actually bound. */
  port: number;
  /** ws://host:port, for local clients. */
  url: string;
  /** The origin devices sign (from --public-url, else url). */
  origin: string;
  /** Stops accepting, flushes the store, closes every connection. */
  close(): Promise<void>;
  /** For the process guard: an exception or rejection escaped every handler. */
  noteEscaped(kind: EscapeKind, error: unknown): void;
}

export async function startRelay(
  partial: Partial<RelayConfig>,
  options: { logger?: Logger } = {},
): Promise<RunningRelay> {
  const config = resolveConfig(partial);
  // A missing app build is refused before anything is opened or written.
  const app = config.appDir ? appFiles(config.appDir) : undefined;
  const log = options.logger ?? pino({ level: config.logLevel, base: { service: "grove-relay" } });
  const store = await openStore(
    config,
    (ms, writes) => {
      metrics.storeCommitSeconds.observe(ms / 1000);
      metrics.storeBatchWrites.observe(writes);
    },
    log,
  );
  let bus: Awaited<ReturnType<typeof openBus>>;
  try {
    bus = await openBus(config, log, (what) => metrics.busFailures.inc({ what }));
  } catch (err) {
    await store.close();
    throw err;
  }
  const connections = new Set<RelayConnection>();
  const signalSlots = new SlotLimiter(config.signalPerIp, config.signalTotal);
  const unauthSlots = new SlotLimiter(config.unauthPerIp, config.unauthTotal);
  const flow = new Flow({
    outboundPerConnection: config.outboundHighWaterBytes,
    outboundPerIp: config.outboundPerSourceBytes,
    outboundTotal: config.outboundTotalBytes,
    inboundPerConnection: config.inboundPerConnectionBytes,
    inboundPerIp: config.inboundPerSourceBytes,
    inboundTotal: config.inboundTotalBytes,
  });
  // Before the presence that spends them: a cluster's nodes count against one another.
  const sources = new SourceLimits(config);
  const mailBudgets = {
    device: bus.budget("mail-device", config.mailPerHour, 3600_000),
    source: bus.budget("mail-source", config.mailPerSourcePerHour, 3600_000),
    total: bus.budget("mail-total", config.mailTotalPerHour, 3600_000),
  };
  const metrics = createMetrics({
    store: () => store,
    connections: () => connections.size,
    signalingConnections: () => signaling.connectionCount,
    unauthenticated: () => unauthSlots.size,
    outboundBytes: () => flow.outboundBytes,
    inboundBytes: () => flow.inboundBytes,
    engines: { node: NODE_NAME, store: config.storeUrl ? "postgres" : "sqlite", bus: () => bus },
  });
  const presence = new Presence({
    bus,
    store,
    metrics,
    log,
    pollMs: bus.kind === "local" ? 0 : config.busPollMs,
    // A device held here spends its per-target budget here, whichever node the frame came from.
    admitEphemeral: (device) => sources.ephemeralTarget.take(device, 1),
  });
  const signaling = new SignalingHub({
    bus,
    log,
    onMessage: (type) => metrics.signalingMessages.inc({ type }),
    onFailure: () => metrics.handlerFailures.inc({ where: "signal" }),
    onRefusal: (reason) => metrics.refusals.inc({ reason }),
    injectFaults: config.injectFaults,
  });
  bus.setHandlers({
    device: (device, event) => presence.hear(device, event),
    topic: (topic, text) => signaling.hearRemote(topic, text),
    resync: () => void presence.resync("bus"),
  });
  let shuttingDown = false;
  let nextId = 1;
  const startedAt = Date.now();

  // Without --app-url, a relay serving the app links its own /app/ (known once the port is).
  let page = joinPage(config.appUrl);
  const http: Server = createServer((req, res) => {
    handleHttp(
      {
        joinPage: page,
        app,
        store,
        bus,
        storeKind: config.storeUrl ? "postgres" : "sqlite",
        metrics,
        connections: () => connections.size,
        startedAt,
        isShuttingDown: () => shuttingDown,
      },
      req,
      res,
    ).catch((err) => {
      log.error({ err: (err as Error).message }, "http handler failed");
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Twice the frame limit: frames in between get a FRAME_TOO_LARGE error; beyond, ws closes with 1009.
  const v1 = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxFrameBytes * 2,
    perMessageDeflate: false,
  });
  const signal = new WebSocketServer({
    noServer: true,
    maxPayload: 128 * 1024,
    perMessageDeflate: false,
  });

  http.on("upgrade", (req, socket: Duplex, head) => {
    const path = new URL(req.url ?? "/", "http://relay").pathname;
    if (shuttingDown) return reject(socket, 503, "Service Unavailable");
    if (path !== "/v1" && path !== "/signal") return reject(socket, 404, "Not Found");
    const ip = clientAddress(req, config.trustedProxies);
    // A place is taken before the handshake: sockets that never finish one count too.
    const slot = (path === "/v1" ? unauthSlots : signalSlots).acquire(ip);
    if (typeof slot === "string") {
      metrics.refusals.inc({ reason: `${path === "/v1" ? "unauth" : "signal"}_${slot}` });
      return slot === "per_key"
        ? reject(socket, 429, "Too Many Requests")
        : reject(socket, 503, "Service Unavailable");
    }
    socket.once("close", () => {
      if (path === "/signal") slot.release();
    });
    if (path === "/v1") {
      return v1.handleUpgrade(req, socket, head, (ws) => {
        const conn = new RelayConnection(ws, ctx, nextId++, {
          ip,
          unauthSlot: slot,
          socket,
        });
        connections.add(conn);
        ws.on("close", () => connections.delete(conn));
      });
    }
    signal.handleUpgrade(req, socket, head, (ws) => signaling.handleConnection(ws));
  });

  // Everything a connection needs is ready before the port opens: a device that reconnects
  // the moment the port accepts must find a relay that answers, not a socket nobody reads.
  const backend = await ed25519();
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `ws://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  const origin = relayOrigin(config.publicUrl ?? url);
  if (app && !config.appUrl) {
    page = joinPage(
      `${(config.publicUrl ?? url).replace(/^ws/, "http").replace(/\/+$/, "")}${APP_PREFIX}`,
    );
  }

  const ctx: RelayContext = {
    config,
    origin,
    store,
    metrics,
    log,
    backend,
    presence,
    sendBuckets: new BucketMap(config.rateSendBytesPerSecond, 2 * config.rateSendBytesPerSecond),
    tokens: config.accessTokens ? new AccessTokens(config.accessTokens) : undefined,
    mail: {
      config,
      mailer:
        config.smtpUrl && config.smtpFrom
          ? createMailer({ url: config.smtpUrl, from: config.smtpFrom })
          : undefined,
      metrics,
      budgets: mailBudgets,
      publicHttpUrl: (config.publicUrl ?? url).replace(/^ws/, "http"),
      closed: Boolean(config.accessTokens),
    },
    flow,
    sources,
    writes: new FairWrites(config.storeInFlightBytes),
    backlog: new BacklogBudget(BACKLOG_BYTES),
  };

  const sweep = setInterval(() => {
    store
      .sweepExpired(Date.now())
      .then((n) => n > 0 && log.info({ expired: n }, "expired messages swept"))
      .catch((err) => log.error({ err: (err as Error).message }, "expiry sweep failed"));
    // Chunks nobody put or fetched within the TTL go: the relay cannot see which files still
    // need them, so use is the sign of life (a removed file's or failed upload's chunks lapse).
    store
      .sweepBlobs(Date.now() - config.blobTtlSeconds * 1000)
      .then((n) => n > 0 && log.info({ expired: n }, "unused blobs swept"))
      .catch((err) => log.error({ err: (err as Error).message }, "blob sweep failed"));
    ctx.sendBuckets.prune();
    for (const budget of Object.values(mailBudgets)) budget.prune();
    ctx.sources.prune();
  }, config.sweepIntervalMs);
  sweep.unref();

  log.info(
    {
      port,
      host: config.host,
      origin,
      closed: Boolean(config.accessTokens),
      dataDir: config.storeUrl ? undefined : config.dataDir,
      store: config.storeUrl ? "postgres" : "sqlite",
      bus: bus.kind,
      // Whether mail is on; the URL holds the SMTP password and is never logged.
      mail: Boolean(ctx.mail.mailer),
    },
    "relay listening",
  );

  return {
    config,
    port,
    url,
    origin,
    noteEscaped(kind, error) {
      metrics.handlerFailures.inc({ where: "process" });
      const e = error as Error;
      log.error(
        { kind, err: e?.message ?? String(error), name: e?.name, stack: e?.stack },
        kind === "exception" ? "uncaught exception" : "unhandled rejection",
      );
    },
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      clearInterval(sweep);
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // Commit what is queued first, so the acks it earns still reach their senders.
      await store.checkWritable().catch((err: unknown) => {
        // Shutting down goes on: a write that failed here was never acked, so nothing is lost.
        metrics.handlerFailures.inc({ where: "shutdown" });
        log.error(
          { err: err instanceof Error ? err.message : String(err) },
          "final commit before shutdown failed; its sends were not acked",
        );
      });
      for (const conn of connections) conn.shutDown();
      signaling.close();
      presence.close();
      ctx.mail.mailer?.close();
      http.closeAllConnections();
      await closed;
      await store.close();
      await bus.close();
      log.info("relay stopped");
    },
  };
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
