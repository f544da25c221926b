/**
 * Relay configuration: one typed object with defaults, built from CLI flags
 * or environment variables by relay/cli.ts, or passed directly by tests.
 */
import { relayOrigin } from "../core/crypto/relay-auth.js";

export interface RelayConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** The URL devices dial; they sign its origin when they log in. Default: ws://host:port. */
  publicUrl?: string;
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
  deliveryWindow: 256,
  authTimeoutMs: 10_000,
  rateFramesPerSecond: 2000,
  rateSendBytesPerSecond: 8 * 1024 * 1024,
  sweepIntervalMs: 60_000,
  logLevel: "info",
};

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
  if (config.publicUrl) relayOrigin(config.publicUrl); // throws a clear error early
  if (config.accessTokens && config.accessTokens.length === 0) {
    throw new ConfigError("the access token file holds no tokens");
  }
  return config;
}
