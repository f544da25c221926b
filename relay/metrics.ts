/**
 * Prometheus metrics for one relay (its own registry, so several relays can
 * run in one process in tests). Store-derived gauges are read at scrape time.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RelayBus } from "./bus/relay-bus.js";
import type { RelayStore } from "./store/relay-store.js";

export type RelayMetrics = ReturnType<typeof createMetrics>;

export interface MetricSources {
  store: () => RelayStore;
  connections: () => number;
  signalingConnections: () => number;
  unauthenticated: () => number;
  /** Bytes buffered toward clients, and received but not yet stored. */
  outboundBytes: () => number;
  inboundBytes: () => number;
  /** Which engines this node runs on (for the info metric and bus reachability). */
  engines?: { node: string; store: string; bus: () => RelayBus };
}

export function createMetrics(sources: MetricSources) {
  const { store, connections, signalingConnections, unauthenticated } = sources;
  const registry = new Registry();
  const prefix = "grove_relay_";
  const stats = async () => store().stats();
  const metrics = {
    registry,
    connections: new Gauge({
      name: `${prefix}connections`,
      help: "Open /v1 WebSocket connections",
      registers: [registry],
      collect() {
        this.set(connections());
      },
    }),
    mailboxes: new Gauge({
      name: `${prefix}mailboxes`,
      help: "Mailboxes holding at least one message",
      registers: [registry],
      async collect() {
        this.set((await stats()).mailboxes);
      },
    }),
    queuedMessages: new Gauge({
      name: `${prefix}queued_messages`,
      help: "Messages waiting in mailboxes",
      registers: [registry],
      async collect() {
        this.set((await stats()).messages);
      },
    }),
    queuedBytes: new Gauge({
      name: `${prefix}queued_bytes`,
      help: "Bytes of envelopes waiting in mailboxes (counted per target)",
      registers: [registry],
      async collect() {
        this.set((await stats()).bytes);
      },
    }),
    blobs: new Gauge({
      name: `${prefix}blobs`,
      help: "Blob chunks stored",
      registers: [registry],
      async collect() {
        this.set((await stats()).blobs);
      },
    }),
    blobBytes: new Gauge({
      name: `${prefix}blob_bytes`,
      help: "Bytes of blob chunks stored",
      registers: [registry],
      async collect() {
        this.set((await stats()).blobBytes);
      },
    }),
    sends: new Counter({
      name: `${prefix}sends_total`,
      help: "Accepted sends",
      labelNames: ["kind"],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: `${prefix}deliveries_total`,
      help: "Envelopes delivered to devices",
      registers: [registry],
    }),
    acks: new Counter({
      name: `${prefix}acks_total`,
      help: "Deliveries acknowledged by devices",
      registers: [registry],
    }),
    errors: new Counter({
      name: `${prefix}errors_total`,
      help: "Error frames sent, by code",
      labelNames: ["code"],
      registers: [registry],
    }),
    mail: new Counter({
      name: `${prefix}mail_total`,
      help: "Invitation mail requests, by outcome",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    signalingConnections: new Gauge({
      name: `${prefix}signaling_connections`,
      help: "Open /signal WebSocket connections",
      registers: [registry],
      collect() {
        this.set(signalingConnections());
      },
    }),
    signalingMessages: new Counter({
      name: `${prefix}signaling_messages_total`,
      help: "Signaling messages accepted, by type",
      labelNames: ["type"],
      registers: [registry],
    }),
    unauthenticated: new Gauge({
      name: `${prefix}unauthenticated_connections`,
      help: "Open /v1 connections not yet logged in",
      registers: [registry],
      collect() {
        this.set(unauthenticated());
      },
    }),
    outboundBytes: new Gauge({
      name: `${prefix}outbound_buffered_bytes`,
      help: "Bytes handed to /v1 sockets and not yet written out",
      registers: [registry],
      collect() {
        this.set(sources.outboundBytes());
      },
    }),
    inboundBytes: new Gauge({
      name: `${prefix}inbound_pending_bytes`,
      help: "Bytes received on /v1 and not yet stored or refused",
      registers: [registry],
      collect() {
        this.set(sources.inboundBytes());
      },
    }),
    handlerFailures: new Counter({
      name: `${prefix}handler_failures_total`,
      help: "Exceptions in handlers (v1, signal: that connection was closed) or escaping them (process)",
      labelNames: ["where"],
      registers: [registry],
    }),
    refusals: new Counter({
      name: `${prefix}refusals_total`,
      help: "Hostile or excess traffic turned away without an error frame, by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    storeCommitSeconds: new Histogram({
      name: `${prefix}store_commit_seconds`,
      help: "Latency of group commits to the store",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    nodeInfo: new Gauge({
      name: `${prefix}node_info`,
      help: "Always 1; labels name this node (host:pid) and its store and bus engines",
      labelNames: ["node", "store", "bus"],
      registers: [registry],
      collect() {
        const e = sources.engines;
        if (e) this.set({ node: e.node, store: e.store, bus: e.bus().kind }, 1);
      },
    }),
    busUp: new Gauge({
      name: `${prefix}bus_up`,
      help: "1 while the bus (Redis) answers; 0 while delivery between nodes rests on the safety poll",
      registers: [registry],
      async collect() {
        const bus = sources.engines?.bus();
        this.set(bus ? ((await bus.health()).reachable ? 1 : 0) : 1);
      },
    }),
    deliveryHints: new Counter({
      name: `${prefix}delivery_hints_total`,
      help: "Mail hints over the bus to or from other relay nodes (out: a target held elsewhere)",
      labelNames: ["direction"],
      registers: [registry],
    }),
    resyncs: new Counter({
      name: `${prefix}resyncs_total`,
      help: "Re-reads of every local device's mailbox head (bus: after a (re)subscribe; poll: safety poll)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    busFailures: new Counter({
      name: `${prefix}bus_failures_total`,
      help: "Bus calls that failed because it was unreachable (the store still has everything)",
      labelNames: ["what"],
      registers: [registry],
    }),
    storeReadSeconds: new Histogram({
      name: `${prefix}store_read_seconds`,
      help: "Latency of mailbox reads from the store",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    storeBatchWrites: new Histogram({
      name: `${prefix}store_batch_writes`,
      help: "Writes per group commit",
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
  };
  // Every outcome shows from the first scrape, so a rate over it never starts from nothing.
  for (const outcome of MAIL_OUTCOMES) metrics.mail.inc({ outcome }, 0);
  for (const where of ["v1", "signal", "process"]) metrics.handlerFailures.inc({ where }, 0);
  for (const direction of ["in", "out"]) metrics.deliveryHints.inc({ direction }, 0);
  for (const reason of ["bus", "poll"]) metrics.resyncs.inc({ reason }, 0);
  // process_resident_memory_bytes and friends: what the memory bound is checked against.
  collectDefaultMetrics({ register: registry, prefix });
  return metrics;
}

export const MAIL_OUTCOMES = [
  "sent",
  "refused",
  "unavailable",
  "rate_limited",
  "not_invitation",
] as const;
export type MailOutcomeLabel = (typeof MAIL_OUTCOMES)[number];
