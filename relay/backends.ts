/**
 * Which engines a relay runs on, from its configuration: SQLite in the data
 * directory and no bus (one node, nothing to install), or PostgreSQL for the
 * truth and Redis for who is where (several nodes). resolveConfig has
 * already refused the combinations that would lose mail.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { LocalBus } from "./bus/local-bus.js";
import { RedisBus } from "./bus/redis-bus.js";
import type { RelayBus } from "./bus/relay-bus.js";
import type { RelayConfig } from "./config.js";
import { PgRelayStore } from "./store/pg-store.js";
import type { RelayStore } from "./store/relay-store.js";
import { WorkerRelayStore } from "./store/worker-store.js";

/** This process among the nodes: host and pid (unique while it runs). */
export const NODE_NAME = `${hostname()}:${process.pid}`;

export async function openStore(
  config: RelayConfig,
  onCommit: (ms: number, writes: number) => void,
  log?: Logger,
): Promise<RelayStore> {
  if (config.storeUrl) {
    return PgRelayStore.open(config.storeUrl, {
      onCommit,
      node: NODE_NAME,
      ...(log ? { log } : {}),
    });
  }
  // SQLite on its own thread: a group commit's fsync never stalls the sockets.
  return WorkerRelayStore.open(config.dataDir, { onCommit });
}

export async function openBus(
  config: RelayConfig,
  log: Logger,
  onFailure: (what: string) => void,
): Promise<RelayBus> {
  if (!config.busUrl) return new LocalBus();
  return RedisBus.open({ url: config.busUrl, log, node: NODE_NAME, onFailure });
}
