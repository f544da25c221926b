/**
 * WS /signal: a y-webrtc signaling hub, so a stock y-webrtc client can use
 * the relay to find peers. It forwards offers, answers and candidates to
 * every subscriber of a topic (the sender included, as y-webrtc expects:
 * clients drop their own messages by peer id). Topics are room names the
 * clients already hash or encrypt; the hub stores nothing. A published
 * message goes out as the text that came in (plus the client count): it is
 * never re-serialised, so no shape of JSON can make the hub recurse. A
 * handler that fails closes that peer alone (1011).
 *
 * Across relay nodes: while a local peer is on a topic the hub watches it on
 * the bus, and a message published here goes to the bus as well; a message
 * from another node reaches the local subscribers only (never back out).
 */
import type { Logger } from "pino";
import type { RawData, WebSocket } from "ws";
import type { RelayBus } from "./bus/relay-bus.js";
import { injectFault } from "./fault-injection.js";
import { TokenBucket } from "./rate-limit.js";
import {
  DEFAULT_SIGNAL_LIMITS,
  parseSignalMessage,
  type SignalLimits,
  SignalMessageError,
  withClientCount,
} from "./signal-message.js";

export interface SignalingOptions {
  log: Logger;
  limits?: Partial<SignalHubLimits>;
  /** Called per accepted message, for metrics. */
  onMessage?: (type: string) => void;
  /** A handler threw: that peer was closed. For metrics. */
  onFailure?: () => void;
  /** A peer was closed or a message not forwarded, by reason. For metrics. */
  onRefusal?: (reason: string) => void;
  injectFaults?: boolean;
  /** Other nodes' peers: topics are watched and published there too. */
  bus?: Pick<RelayBus, "watchTopic" | "unwatchTopic" | "publishTopic">;
}

export interface SignalHubLimits extends SignalLimits {
  maxTopicsPerConnection: number;
  messagesPerSecond: number;
  pingIntervalMs: number;
}

const DEFAULT_HUB_LIMITS: SignalHubLimits = {
  ...DEFAULT_SIGNAL_LIMITS,
  maxTopicsPerConnection: 256,
  messagesPerSecond: 100,
  pingIntervalMs: 30_000,
};

/** WebSocket close code 1008: policy violation. */
const CLOSE_POLICY = 1008;
/** WebSocket close code 1001: going away. */
const CLOSE_GOING_AWAY = 1001;
/** WebSocket close code 1011: the server failed. */
const CLOSE_INTERNAL = 1011;
/** Bytes buffered toward one peer beyond which messages to it are dropped (it is not reading). */
const PEER_BUFFER_BYTES = 256 * 1024;

interface Peer {
  ws: WebSocket;
  topics: Set<string>;
  bucket: TokenBucket;
  alive: boolean;
}

export class SignalingHub {
  private readonly limits: SignalHubLimits;
  private readonly topics = new Map<string, Set<Peer>>();
  private readonly peers = new Set<Peer>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly options: SignalingOptions) {
    this.limits = { ...DEFAULT_HUB_LIMITS, ...options.limits };
    // A peer that misses a whole interval of pongs is gone (laptop lid shut): drop it.
    this.heartbeat = setInterval(() => this.checkAlive(), this.limits.pingIntervalMs);
    this.heartbeat.unref();
  }

  get connectionCount(): number {
    return this.peers.size;
  }

  get topicCount(): number {
    return this.topics.size;
  }

  handleConnection(ws: WebSocket): void {
    const peer: Peer = {
      ws,
      topics: new Set(),
      bucket: new TokenBucket(this.limits.messagesPerSecond, this.limits.messagesPerSecond * 2),
      alive: true,
    };
    this.peers.add(peer);
    ws.on("pong", () => {
      peer.alive = true;
    });
    ws.on("message", (data, isBinary) => {
      try {
        this.onMessage(peer, data, isBinary);
      } catch (err) {
        this.failed(peer, err);
      }
    });
    ws.on("close", () => this.remove(peer));
    ws.on("error", () => this.remove(peer));
  }

  /** A message another node's peer published to a topic: to the local subscribers, as is. */
  hearRemote(topic: string, text: string): void {
    const members = this.topics.get(topic);
    if (!members) return;
    // Checked again as if a peer sent it here: the hub forwards nothing it would not accept.
    let msg: ReturnType<typeof parseSignalMessage>;
    try {
      msg = parseSignalMessage(text, this.limits);
    } catch {
      this.options.onRefusal?.("signal_bad_remote");
      return;
    }
    if (msg.type !== "publish" || msg.topic !== topic) return;
    const out = withClientCount(text, members.size);
    for (const member of members) {
      if (!send(member.ws, out)) this.options.onRefusal?.("signal_peer_busy");
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const peer of this.peers) peer.ws.close(CLOSE_GOING_AWAY, "relay shutting down");
    this.peers.clear();
    this.topics.clear();
  }

  private failed(peer: Peer, err: unknown): void {
    this.options.onFailure?.();
    const e = err as Error;
    this.options.log.error({ err: e?.message, name: e?.name, stack: e?.stack }, "handler failed");
    peer.ws.close(CLOSE_INTERNAL, "internal error");
    this.remove(peer);
  }

  private onMessage(peer: Peer, data: RawData, isBinary: boolean): void {
    if (!peer.bucket.take()) return this.reject(peer, "rate limit exceeded");
    if (isBinary) return this.reject(peer, "binary frames are not signaling messages");
    let msg: ReturnType<typeof parseSignalMessage>;
    try {
      msg = parseSignalMessage(rawText(data), this.limits);
    } catch (err) {
      if (err instanceof SignalMessageError) {
        this.options.onRefusal?.(`signal_${err.code.toLowerCase()}`);
        return this.reject(peer, `${err.code}: ${err.message}`);
      }
      throw err; // a bug: the caller closes this peer alone
    }
    this.options.onMessage?.(msg.type);
    switch (msg.type) {
      case "subscribe":
        for (const topic of msg.topics) {
          injectFault(this.options.injectFaults ?? false, topic);
          if (peer.topics.has(topic)) continue;
          if (peer.topics.size >= this.limits.maxTopicsPerConnection) {
            return this.reject(peer, `more than ${this.limits.maxTopicsPerConnection} topics`);
          }
          peer.topics.add(topic);
          let members = this.topics.get(topic);
          if (!members) {
            members = new Set();
            this.topics.set(topic, members);
            this.options.bus?.watchTopic(topic);
          }
          members.add(peer);
        }
        return;
      case "unsubscribe":
        for (const topic of msg.topics) this.leave(peer, topic);
        return;
      case "publish": {
        this.options.bus?.publishTopic(msg.topic, msg.text);
        const members = this.topics.get(msg.topic);
        if (!members) return;
        const out = withClientCount(msg.text, members.size);
        for (const member of members) {
          if (!send(member.ws, out)) this.options.onRefusal?.("signal_peer_busy");
        }
        return;
      }
      case "ping":
        send(peer.ws, JSON.stringify({ type: "pong" }));
        return;
      case "pong":
        return;
    }
  }

  private reject(peer: Peer, reason: string): void {
    if (reason.startsWith("rate limit")) this.options.onRefusal?.("signal_rate");
    this.options.log.info({ reason }, "signaling connection closed for a bad message");
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    peer.ws.close(CLOSE_POLICY, reason.slice(0, 120));
    this.remove(peer);
  }

  private leave(peer: Peer, topic: string): void {
    peer.topics.delete(topic);
    const members = this.topics.get(topic);
    if (!members) return;
    members.delete(peer);
    if (members.size === 0) {
      this.topics.delete(topic);
      this.options.bus?.unwatchTopic(topic);
    }
  }

  private remove(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    for (const topic of [...peer.topics]) this.leave(peer, topic);
  }

  private checkAlive(): void {
    for (const peer of this.peers) {
      if (!peer.alive) {
        peer.ws.terminate();
        this.remove(peer);
        continue;
      }
      peer.alive = false;
      peer.ws.ping();
    }
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}

/** False when the peer is not reading: a peer that cannot keep up with signaling is not worth buffering for. */
function send(ws: WebSocket, text: string): boolean {
  if (ws.readyState !== ws.OPEN) return true;
  if (ws.bufferedAmount >= PEER_BUFFER_BYTES) return false;
  ws.send(text);
  return true;
}
