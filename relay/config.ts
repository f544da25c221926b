/**
 * Relay configuration: one typed object with defaults, built from CLI flags
 * or environment variables by relay/cli.ts, or passed directly by tests.
 */
import { relayOrigin } from "../core/crypto/relay-auth.js";
import { mailAddressProblem } from "../core/wire/mail-frames.js";

export interface RelayConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /**
   * Where mailboxes, envelopes and blobs live: unset for SQLite in dataDir
   * (one node), or postgres://… shared by several nodes.
   */
  storeUrl?: string;
  /** How nodes tell each other who is where: unset for none (one node), or redis://…. */
  busUrl?: string;
  /** With a bus: how often every local device's mailbox is re-read in case a hint was lost. */
  busPollMs: number;
  /** The URL devices dial; they sign its origin when they log in. Default: ws://host:port. */
  publicUrl?: string;
  /** http(s) URL of a Grove web app: the /join page then offers it next to the installed app. */
  appUrl?: string;
  /** A built Grove web app (renderer/dist) to serve at /app/; /join then links to it. */
  appDir?: string;
  /** Closed relay: devices must present one of these tokens. */
  accessTokens?: string[];
  maxFrameBytes: number;
  maxEnvelopeBytes: number;
  maxTargets: number;
  mailboxMaxMessages: number;
  mailboxMaxBytes: number;
  /** Longest TTL a send may ask for, and the TTL used when it asks for 0. */
  maxTtlSeconds: number;
  defaultTtlSeconds: number;
  blobQuotaBytes: number;
  maxBlobBytes: number;
  /** Unacked deliveries in flight per connection. */
  deliveryWindow: number;
  authTimeoutMs: number;
  /** Per connection: frames per second (burst = 2x). */
  rateFramesPerSecond: number;
  /** Per device, across its connections: bytes sent per second (burst = 2x). */
  rateSendBytesPerSecond: number;
  sweepIntervalMs: number;
  logLevel: string;
  /** smtp(s)://user:pass@host:port of the operator's SMTP server; without it MAIL_SEND is refused. */
  smtpUrl?: string;
  /** The From address of mail sent for devices; required with smtpUrl. */
  smtpFrom?: string;
  /** Mails each authenticated device may have sent in any hour. */
  mailPerHour: number;

  // Limits keys cannot dodge: a "source" is a client IP (IPv6 by /64), or the access token
  // on a closed relay. See README "Limits" for what each bounds.
  /** Reverse proxies whose X-Forwarded-For names the client (exact addresses). */
  trustedProxies: string[];
  /** /signal sockets per client IP, and in total. */
  signalPerIp: number;
  signalTotal: number;
  /** /v1 sockets not yet logged in, per client IP and in total. */
  unauthPerIp: number;
  unauthTotal: number;
  /** Logged-in /v1 connections per source. */
  connectionsPerSource: number;
  /** Device keys a source may log in with that it had not used within the last hour. */
  newDevicesPerHour: number;
  /** Bytes sent (SEND envelopes and BLOB_PUT chunks) per second per source (burst = 2x). */
  rateSendBytesPerSource: number;
  /** Ephemeral frames forwarded to one target per second, from everyone (burst = 2x)... */
  ephemeralPerTarget: number;
  /** ...and from one source (burst = 2x). */
  ephemeralPerSourceTarget: number;
  /** Outgoing bytes buffered per connection before delivery pauses and reading stops. */
  outboundHighWaterBytes: number;
  /** Outgoing bytes buffered for all connections of one source, and for all, before delivery waits. */
  outboundPerSourceBytes: number;
  outboundTotalBytes: number;
  /** Received bytes not yet stored (sends, blob puts) per connection, source and in total, before reading pauses. */
  inboundPerConnectionBytes: number;
  inboundPerSourceBytes: number;
  inboundTotalBytes: number;
  /** Bytes of sends and blob puts handed to the store at once; the rest wait their source's turn. */
  storeInFlightBytes: number;
  /** A connection whose outgoing buffer stays over the high-water mark this long is closed. */
  slowReaderTimeoutMs: number;
  /** Bytes one source may have queued in any one device's mailbox. */
  mailboxSourceShareBytes: number;
  /** Blob bytes stored per source, and in total. */
  blobQuotaPerSourceBytes: number;
  blobTotalBytes: number;
  /** A blob not put or fetched for this long is deleted. */
  blobTtlSeconds: number;
  /** Invitation mails per source per hour, and for the whole relay. */
  mailPerSourcePerHour: number;
  mailTotalPerHour: number;
  /** Test seam (GROVE_RELAY_INJECT_FAULTS=1 only): markers in frames make handlers fail. */
  injectFaults: boolean;
}

export const DEFAULT_CONFIG: RelayConfig = {
  host: "127.0.0.1",
  port: 8787,
  dataDir: "./relay-data",
  maxFrameBytes: 1024 * 1024 + 64 * 1024,
  maxEnvelopeBytes: 1024 * 1024,
  maxTargets: 256,
  mailboxMaxMessages: 100_000,
  mailboxMaxBytes: 256 * 1024 * 1024,
  maxTtlSeconds: 30 * 24 * 3600,
  defaultTtlSeconds: 14 * 24 * 3600,
  blobQuotaBytes: 1024 * 1024 * 1024,
  maxBlobBytes: 1024 * 1024,
  deliveryWindow: 1024,
  authTimeoutMs: 10_000,
  rateFramesPerSecond: 2000,
  rateSendBytesPerSecond: 8 * 1024 * 1024,
  sweepIntervalMs: 60_000,
  busPollMs: 2000,
  logLevel: "info",
  mailPerHour: 20,
  trustedProxies: [],
  signalPerIp: 32,
  signalTotal: 4096,
  unauthPerIp: 16,
  unauthTotal: 1024,
  connectionsPerSource: 64,
  newDevicesPerHour: 60,
  rateSendBytesPerSource: 16 * 1024 * 1024,
  ephemeralPerTarget: 100,
  ephemeralPerSourceTarget: 20,
  outboundHighWaterBytes: 4 * 1024 * 1024,
  outboundPerSourceBytes: 16 * 1024 * 1024,
  outboundTotalBytes: 64 * 1024 * 1024,
  inboundPerConnectionBytes: 8 * 1024 * 1024,
  inboundPerSourceBytes: 16 * 1024 * 1024,
  inboundTotalBytes: 64 * 1024 * 1024,
  storeInFlightBytes: 2 * 1024 * 1024,
  slowReaderTimeoutMs: 30_000,
  mailboxSourceShareBytes: 64 * 1024 * 1024,
  blobQuotaPerSourceBytes: 2 * 1024 * 1024 * 1024,
  blobTotalBytes: 20 * 1024 * 1024 * 1024,
  blobTtlSeconds: 30 * 24 * 3600,
  mailPerSourcePerHour: 30,
  mailTotalPerHour: 200,
  injectFaults: false,
};

/** nodemailer URL options that would write SMTP traffic (recipients, invite secrets) to the console. */
export const SMTP_LOGGING_KEYS = ["logger", "debug", "transactionLog"] as const;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "BAD_CONFIG";
}

export function resolveConfig(partial: Partial<RelayConfig>): RelayConfig {
  const config = { ...DEFAULT_CONFIG, ...partial };
  for (const key of [
    "maxFrameBytes",
    "maxEnvelopeBytes",
    "maxTargets",
    "mailboxMaxMessages",
    "mailboxMaxBytes",
    "maxTtlSeconds",
    "defaultTtlSeconds",
    "blobQuotaBytes",
    "maxBlobBytes",
    "deliveryWindow",
    "authTimeoutMs",
    "rateFramesPerSecond",
    "rateSendBytesPerSecond",
    "sweepIntervalMs",
    "mailPerHour",
    "signalPerIp",
    "signalTotal",
    "unauthPerIp",
    "unauthTotal",
    "connectionsPerSource",
    "newDevicesPerHour",
    "rateSendBytesPerSource",
    "ephemeralPerTarget",
    "ephemeralPerSourceTarget",
    "outboundHighWaterBytes",
    "outboundPerSourceBytes",
    "outboundTotalBytes",
    "inboundPerConnectionBytes",
    "inboundPerSourceBytes",
    "inboundTotalBytes",
    "slowReaderTimeoutMs",
    "storeInFlightBytes",
    "mailboxSourceShareBytes",
    "blobQuotaPerSourceBytes",
    "blobTotalBytes",
    "blobTtlSeconds",
    "mailPerSourcePerHour",
    "mailTotalPerHour",
    "busPollMs",
  ] as const) {
    if (!Number.isSafeInteger(config[key]) || config[key] <= 0) {
      throw new ConfigError(`${key} must be a positive integer, got ${config[key]}`);
    }
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`port must be 0-65535, got ${config.port}`);
  }
  if (config.maxEnvelopeBytes >= config.maxFrameBytes) {
    throw new ConfigError("maxFrameBytes must exceed maxEnvelopeBytes (frames carry routing too)");
  }
  if (config.defaultTtlSeconds > config.maxTtlSeconds) {
    throw new ConfigError("defaultTtlSeconds must not exceed maxTtlSeconds");
  }
  if (config.inboundPerConnectionBytes < config.maxFrameBytes) {
    throw new ConfigError("inboundPerConnectionBytes must hold at least one frame (maxFrameBytes)");
  }
  if (config.publicUrl) relayOrigin(config.publicUrl); // throws a clear error early
  if (config.appUrl !== undefined && !/^https?:\/\/[^\s#?]+$/.test(config.appUrl)) {
    throw new ConfigError("appUrl must be an http(s) URL without query or fragment");
  }
  if (config.accessTokens && config.accessTokens.length === 0) {
    throw new ConfigError("the access token file holds no tokens");
  }
  checkMailConfig(config);
  checkClusterConfig(config);
  return config;
}

/** Store and bus URLs: the right schemes, and never a shared bus over a single-node store. Never echoes a URL (it may hold a password). */
function checkClusterConfig(config: RelayConfig): void {
  if (config.storeUrl !== undefined && !/^postgres(ql)?:\/\/./.test(config.storeUrl)) {
    throw new ConfigError(
      "store must be a postgres:// (or postgresql://) URL; leave it unset for SQLite in the data directory",
    );
  }
  if (config.busUrl !== undefined && !/^rediss?:\/\/./.test(config.busUrl)) {
    throw new ConfigError("bus must be a redis:// (or rediss://) URL; leave it unset for one node");
  }
  if (config.busUrl !== undefined && config.storeUrl === undefined) {
    throw new ConfigError(
      "a Redis bus is for several relay nodes, and several nodes cannot share one SQLite file (each would keep its own mailboxes and lose the others' mail): add --store postgres://…, or drop --bus to run one node on SQLite",
    );
  }
}

/** The SMTP settings must be whole: a URL nodemailer can dial and a From address. Never echoes the URL (it holds a password). */
function checkMailConfig(config: RelayConfig): void {
  if (config.smtpUrl === undefined) {
    if (config.smtpFrom !== undefined) throw new ConfigError("smtpFrom is set but smtpUrl is not");
    return;
  }
  let url: URL;
  try {
    url = new URL(config.smtpUrl);
  } catch {
    throw new ConfigError("smtpUrl is not a URL (expected smtp://user:pass@host:port)");
  }
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new ConfigError(`smtpUrl must start with smtp:// or smtps://, not ${url.protocol}//`);
  }
  if (!url.hostname) throw new ConfigError("smtpUrl names no host");
  for (const key of SMTP_LOGGING_KEYS) {
    if (url.searchParams.has(key)) {
      throw new ConfigError(`smtpUrl must not set ${key}: the relay keeps mail out of its logs`);
    }
  }
  if (config.smtpFrom === undefined)
    throw new ConfigError("smtpUrl needs smtpFrom (the From address)");
  const problem = mailAddressProblem(config.smtpFrom);
  if (problem) throw new ConfigError(`smtpFrom is not a plain address: ${problem}`);
}
