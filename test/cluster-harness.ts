/**
 * A relay cluster for tests: one real PostgreSQL, one real redis-server and
 * N relay processes on them, all on loopback with ports chosen at run time,
 * every node signing as one public URL as behind a load balancer. Devices
 * dial the public URL; `connect` plays the load balancer, sending each new
 * socket to a live node (their home node first, the next one after that).
 */
import WebSocket from "ws";
import type { SigningKeyPair } from "../core/crypto/identity.js";
import type { RelayTransportOptions } from "../core/sync/relay-transport.js";
import type { WebSocketLike } from "../core/sync/websocket.js";
import { type PgServer, startPgServer } from "./pg-server.js";
import { type RedisServer, startRedisServer } from "./redis-server.js";
import {
  device,
  type RelayProcess,
  removeDir,
  startRelayProcess,
  type TestDevice,
} from "./relay-harness.js";

export const PUBLIC_URL = "ws://grove-cluster.test";

export interface ClusterNode {
  index: number;
  relay: RelayProcess;
  alive: boolean;
}

export interface Cluster {
  pg: PgServer;
  redis: RedisServer;
  storeUrl: string;
  nodes: ClusterNode[];
  /** kill -9 of one node (it stays down until restartNode). */
  killNode(index: number): Promise<void>;
  /** A new process for a node slot (a new port; the load balancer follows). */
  restartNode(index: number): Promise<void>;
  /** One device's dialer: a socket to a live node, `home` first, the next one on each retry. */
  dialer(home: number): (url: string) => WebSocketLike;
  /** A RelayTransport device behind the load balancer. */
  device(
    home: number,
    extra?: Partial<RelayTransportOptions>,
    keys?: SigningKeyPair,
  ): Promise<TestDevice>;
  /** /healthz of a node, parsed. */
  health(index: number): Promise<Record<string, unknown>>;
  /** One counter or gauge from a node's /metrics (summed over labels matching `labels`). */
  metric(index: number, name: string, labels?: string): Promise<number>;
  destroy(): Promise<void>;
}

export async function startCluster(
  nodeCount: number,
  extraArgs: string[] = [],
  existing?: { pg: PgServer; redis: RedisServer; storeUrl: string },
): Promise<Cluster> {
  const pg = existing?.pg ?? (await startPgServer());
  const redis = existing?.redis ?? (await startRedisServer());
  const storeUrl = existing?.storeUrl ?? (await pg.createDatabase("cluster"));
  const args = [
    "--store",
    storeUrl,
    "--bus",
    redis.url,
    "--public-url",
    PUBLIC_URL,
    "--bus-poll-ms",
    "500",
    ...extraArgs,
  ];
  const start = () => startRelayProcess({ args });
  const nodes: ClusterNode[] = (await Promise.all(Array.from({ length: nodeCount }, start))).map(
    (relay, index) => ({ index, relay, alive: true }),
  );

  const cluster: Cluster = {
    pg,
    redis,
    storeUrl,
    nodes,
    async killNode(index) {
      const node = nodes[index]!;
      node.alive = false;
      await node.relay.kill();
    },
    async restartNode(index) {
      const node = nodes[index]!;
      if (node.alive) {
        node.alive = false;
        await node.relay.kill();
      }
      removeDir(node.relay.dataDir);
      node.relay = await start();
      node.alive = true;
    },
    dialer(home) {
      let attempt = 0;
      return (url) => {
        const live = nodes.filter((n) => n.alive);
        const n = attempt++;
        // All down: dial a dead port and fail like a load balancer with no backend would.
        const target = live.length === 0 ? nodes[home]! : live[(home + n) % live.length]!;
        return new WebSocket(url.replace(PUBLIC_URL, target.relay.url)) as unknown as WebSocketLike;
      };
    },
    device(home, extra = {}, keys) {
      return device(PUBLIC_URL, { connect: cluster.dialer(home), ...extra }, keys);
    },
    async health(index) {
      const res = await fetch(`${httpUrl(nodes[index]!)}/healthz`);
      return (await res.json()) as Record<string, unknown>;
    },
    async metric(index, name, labels = "") {
      const text = await (await fetch(`${httpUrl(nodes[index]!)}/metrics`)).text();
      let sum = 0;
      for (const line of text.split("\n")) {
        if (!line.startsWith(name)) continue;
        const rest = line.slice(name.length);
        if (!(rest.startsWith(" ") || rest.startsWith("{"))) continue;
        if (labels && !rest.includes(labels)) continue;
        sum += Number(line.split(" ").pop());
      }
      return sum;
    },
    async destroy() {
      for (const node of nodes) {
        await node.relay.kill();
        removeDir(node.relay.dataDir);
      }
      if (!existing) {
        await redis.destroy();
        await pg.destroy();
      }
    },
  };
  return cluster;
}

function httpUrl(node: ClusterNode): string {
  return node.relay.url.replace(/^ws/, "http");
}
