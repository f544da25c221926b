/**
 * Command-line flags for `npm run relay`. Every flag has an environment
 * variable (GROVE_RELAY_<FLAG>), so the relay runs the same from a shell,
 * systemd or a container.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { AccessTokens } from "./access-tokens.js";
import { DEFAULT_CONFIG, type RelayConfig } from "./config.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

const NUMERIC: [keyof RelayConfig, string, string][] = [
  ["maxEnvelopeBytes", "max-envelope-bytes", "largest envelope accepted"],
  ["maxFrameBytes", "max-frame-bytes", "largest frame accepted (envelope plus routing)"],
  ["maxTargets", "max-targets", "most targets per send"],
  ["mailboxMaxMessages", "mailbox-max-messages", "messages a device's mailbox may hold"],
  ["mailboxMaxBytes", "mailbox-max-bytes", "bytes a device's mailbox may hold"],
  ["maxTtlSeconds", "max-ttl", "longest time a message may wait, in seconds"],
  ["defaultTtlSeconds", "default-ttl", "wait time for sends that name none, in seconds"],
  ["blobQuotaBytes", "blob-quota-bytes", "blob bytes each device may store"],
  ["maxBlobBytes", "max-blob-bytes", "largest blob chunk"],
  ["deliveryWindow", "delivery-window", "unacked deliveries in flight per connection"],
  ["authTimeoutMs", "auth-timeout-ms", "time a connection has to authenticate"],
  ["rateFramesPerSecond", "rate-frames", "frames per second per connection"],
  ["rateSendBytesPerSecond", "rate-send-bytes", "bytes sent per second per device"],
  ["sweepIntervalMs", "sweep-interval-ms", "how often expired messages are dropped"],
  [
    "busPollMs",
    "bus-poll-ms",
    "with --bus: how often each node re-reads its devices' mailboxes in case a hint was lost",
  ],
  ["mailPerHour", "mail-per-hour", "invitation mails each device may send per hour"],
  ["signalPerIp", "signal-per-ip", "/signal sockets per client IP"],
  ["signalTotal", "signal-total", "/signal sockets in total"],
  ["unauthPerIp", "unauth-per-ip", "/v1 sockets not yet logged in, per client IP"],
  ["unauthTotal", "unauth-total", "/v1 sockets not yet logged in, in total"],
  [
    "connectionsPerSource",
    "connections-per-source",
    "logged-in /v1 connections per IP (per token on a closed relay)",
  ],
  [
    "newDevicesPerHour",
    "new-devices-per-hour",
    "device keys new to an IP (token) it may log in with per hour",
  ],
  [
    "rateSendBytesPerSource",
    "rate-send-bytes-per-source",
    "bytes sent and blob bytes put per second per IP (token)",
  ],
  [
    "ephemeralPerTarget",
    "ephemeral-per-target",
    "ephemeral frames forwarded to one device per second",
  ],
  [
    "ephemeralPerSourceTarget",
    "ephemeral-per-source-target",
    "ephemeral frames from one IP (token) to one device per second",
  ],
  [
    "outboundHighWaterBytes",
    "outbound-high-water-bytes",
    "outgoing bytes buffered per connection before it is paused",
  ],
  [
    "outboundPerSourceBytes",
    "outbound-per-source-bytes",
    "outgoing bytes buffered per IP (token) before delivery waits",
  ],
  [
    "outboundTotalBytes",
    "outbound-total-bytes",
    "outgoing bytes buffered in total before delivery waits",
  ],
  [
    "inboundPerConnectionBytes",
    "inbound-per-connection-bytes",
    "received bytes not yet stored per connection before reading pauses",
  ],
  [
    "inboundPerSourceBytes",
    "inbound-per-source-bytes",
    "received bytes not yet stored per IP (token) before reading pauses",
  ],
  [
    "inboundTotalBytes",
    "inbound-total-bytes",
    "received bytes not yet stored in total before reading pauses",
  ],
  [
    "slowReaderTimeoutMs",
    "slow-reader-timeout-ms",
    "a connection that does not read for this long is closed",
  ],
  [
    "mailboxSourceShareBytes",
    "mailbox-source-share-bytes",
    "bytes one IP (token) may queue in one device's mailbox",
  ],
  ["blobQuotaPerSourceBytes", "blob-quota-per-source-bytes", "blob bytes stored per IP (token)"],
  ["blobTotalBytes", "blob-total-bytes", "blob bytes stored in total"],
  ["blobTtlSeconds", "blob-ttl", "seconds a blob nobody puts or fetches is kept"],
  ["mailPerSourcePerHour", "mail-per-source-per-hour", "invitation mails per IP (token) per hour"],
  ["mailTotalPerHour", "mail-total-per-hour", "invitation mails per hour for the whole relay"],
];

export const envName = (flag: string) => `GROVE_RELAY_${flag.replace(/-/g, "_").toUpperCase()}`;

/** Parses flags; values not given fall back to GROVE_RELAY_* variables in process.env, then defaults. */
export function parseRelayArgs(argv: string[]): Partial<RelayConfig> {
  const program = new Command("npm run relay --")
    .description(
      "Grove relay: store-and-forward mailboxes, fan-out, y-webrtc signaling and blobs for Grove devices.",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    })
    .addOption(
      new Option("--port <port>", "TCP port (0 picks a free one)")
        .argParser(positiveInt)
        .default(DEFAULT_CONFIG.port)
        .env(envName("port")),
    )
    .addOption(
      new Option("--host <host>", "address to bind; 0.0.0.0 for all")
        .default(DEFAULT_CONFIG.host)
        .env(envName("host")),
    )
    .addOption(
      new Option("--data <dir>", "data directory (SQLite database)")
        .default(DEFAULT_CONFIG.dataDir)
        .env(envName("data")),
    )
    .addOption(
      new Option(
        "--store <url>",
        "postgres://user:pass@host/db to share mailboxes among several relay nodes (default: SQLite in --data)",
      ).env(envName("store")),
    )
    .addOption(
      new Option(
        "--bus <url>",
        "redis://host:6379 for several relay nodes to tell each other who is where (needs --store postgres://…)",
      ).env(envName("bus")),
    )
    .addOption(
      new Option(
        "--public-url <url>",
        "URL devices use to reach this relay, e.g. wss://relay.example.com",
      ).env(envName("public-url")),
    )
    .addOption(
      new Option(
        "--app-url <url>",
        "a Grove web app for people without the desktop app; the /join page links to it",
      ).env(envName("app-url")),
    )
    .addOption(
      new Option(
        "--app-dir <dir>",
        "serve a built Grove web app (renderer/dist) at /app/; /join links to it unless --app-url says otherwise",
      ).env(envName("app-dir")),
    )
    .addOption(
      new Option(
        "--access-token-file <path>",
        "closed relay: file with one access token per line",
      ).env(envName("access-token-file")),
    )
    .addOption(
      new Option(
        "--smtp-url <url>",
        "SMTP server for invitation mail, e.g. smtp://user:pass@host:587 (smtps:// for TLS from the start); without it devices are told mail is unavailable",
      ).env(envName("smtp-url")),
    )
    .addOption(
      new Option(
        "--smtp-from <address>",
        "From address of invitation mail (needed with --smtp-url)",
      ).env(envName("smtp-from")),
    )
    .addOption(
      new Option(
        "--trusted-proxy <address...>",
        "reverse proxy addresses whose X-Forwarded-For names the client (for per-IP limits)",
      ).env(envName("trusted-proxy")),
    )
    .addOption(
      new Option("--log-level <level>", "pino log level")
        .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
        .default(DEFAULT_CONFIG.logLevel)
        .env(envName("log-level")),
    );
  for (const [key, flag, help] of NUMERIC) {
    program.addOption(
      new Option(`--${flag} <n>`, help)
        .argParser(positiveInt)
        .default(DEFAULT_CONFIG[key])
        .env(envName(flag)),
    );
  }
  program.parse(argv, { from: "user" });
  const opts = program.opts();
  const config: Partial<RelayConfig> = {
    port: opts.port,
    host: opts.host,
    dataDir: opts.data,
    logLevel: opts.logLevel,
  };
  if (opts.store) config.storeUrl = opts.store;
  if (opts.bus) config.busUrl = opts.bus;
  if (opts.publicUrl) config.publicUrl = opts.publicUrl;
  if (opts.appUrl) config.appUrl = opts.appUrl;
  if (opts.appDir) config.appDir = opts.appDir;
  if (opts.accessTokenFile) config.accessTokens = AccessTokens.fromFile(opts.accessTokenFile);
  if (opts.smtpUrl) config.smtpUrl = opts.smtpUrl;
  if (opts.smtpFrom) config.smtpFrom = opts.smtpFrom;
  if (opts.trustedProxy) config.trustedProxies = splitList(opts.trustedProxy);
  for (const [key, flag] of NUMERIC) {
    const camel = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    (config as Record<string, unknown>)[key] = opts[camel];
  }
  return config;
}

/** Repeated flags or one comma-separated value (as an environment variable gives it). */
function splitList(value: string | string[]): string[] {
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}
