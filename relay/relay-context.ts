/**
 * What every connection of one relay shares: configuration, the store, the
 * limits and budgets, metrics and logging. Built once by server.ts.
 */
import type { Logger } from "pino";
import type { Ed25519Backend } from "../core/crypto/ed25519.js";
import type { AccessTokens } from "./access-tokens.js";
import type { RelayConfig } from "./config.js";
import type { BacklogBudget } from "./delivery.js";
import type { FairWrites } from "./fair-writes.js";
import type { Flow } from "./flow.js";
import type { MailDeskContext } from "./mail-requests.js";
import type { RelayMetrics } from "./metrics.js";
import type { Presence } from "./presence.js";
import type { BucketMap } from "./rate-limit.js";
import type { SourceLimits } from "./source-limits.js";
import type { RelayStore } from "./store/relay-store.js";

export interface RelayContext {
  config: RelayConfig;
  /** The relay's canonical origin, which devices sign. */
  origin: string;
  store: RelayStore;
  metrics: RelayMetrics;
  log: Logger;
  backend: Ed25519Backend;
  /** Devices held here, and the way to devices held by other nodes. */
  presence: Presence;
  sendBuckets: BucketMap;
  tokens: AccessTokens | undefined;
  /** Invitation mail: SMTP (or none), budgets, the relay's own join link. */
  mail: MailDeskContext;
  flow: Flow;
  sources: SourceLimits;
  /** Sends and blob puts reach the store in turns by source. */
  writes: FairWrites;
  /** Memory for committed messages waiting, per connection, for window or socket room. */
  backlog: BacklogBudget;
}
