/**
 * One side alone offers on each link of a y-webrtc room: the peer whose
 * y-webrtc peer id sorts lower. Browser only (it sits on y-webrtc's objects).
 *
 * Stock y-webrtc offers to every peer whose announce it hears. When two
 * peers start together each hears the other's, both offer (offer glare), and
 * y-webrtc's tie-break (a timestamp token) leaves the link stuck often enough
 * that about one link in ten took 4-13 s, some never (decision 117). Here,
 * before y-webrtc reads a signaling message of the room:
 *
 * - an announce from a peer whose id sorts above ours goes on to y-webrtc,
 *   which offers to it (we are the offering side);
 * - an announce from a peer whose id sorts below ours is not passed on: that
 *   peer offers, not us. If we have no link to it, we answer with an announce
 *   of our own addressed to it alone (`to`), so it hears us even if it
 *   started after our first announce; on hearing it, it offers;
 * - everything else (offers, answers, candidates, messages to other peers)
 *   goes on unchanged and in the order it came.
 *
 * Every message is opened with the room key first (signal-seal.ts), as
 * y-webrtc does after us; one that does not open under it is counted and
 * dropped, so y-webrtc never sees it. The announce we send is sealed the
 * same way. A peer of an older build, which offers on every announce, still
 * links: its offer goes through, and y-webrtc's tie-break works as before.
 */
import { noted } from "../diagnostics/recent-errors.js";
import { openSignal, SignalSealError, sealSignal } from "./signal-seal.js";

/** The parts of y-webrtc's signaling connection this reads (not in its typings). */
export interface SignalingConnLike {
  connected: boolean;
  send(message: object): void;
  emit(name: string, args: unknown[]): void;
}

/** The parts of y-webrtc's room this reads. */
export interface RoomLike {
  name: string;
  peerId: string;
  key: CryptoKey | null;
  webrtcConns: Map<string, unknown>;
}

/** Who may offer on the link between peer ids `a` and `b`: the lower. */
export function offers(a: string, b: string): boolean {
  return a < b;
}

/** What to do with an opened signaling message of the room, seen from peer `me`. */
export function verdict(
  me: string,
  message: unknown,
  linked: (peerId: string) => boolean,
): "pass" | "drop" | "announce-back" {
  if (typeof message !== "object" || message === null) return "drop";
  const { type, from, to } = message as Record<string, unknown>;
  if (type !== "announce" || typeof from !== "string" || from === me) return "pass";
  if (to !== undefined && to !== me) return "pass";
  if (offers(me, from)) return "pass";
  return linked(from) ? "drop" : "announce-back";
}

/**
 * Announces sent back, per room: a burst as large as a room of peers starting
 * together, then a few a second. Each announce back answers one the room
 * published to every peer: without a bound, a member publishing announces
 * from ever-new ids below everyone's (ids nobody ever links to) would have
 * every other peer publish one back per announce, to the whole room, for as
 * long as it likes (stock y-webrtc stops at `maxConns` links).
 */
export const ANNOUNCE_BACK_BURST = 32;
export const ANNOUNCE_BACK_PER_SECOND = 4;

const rules = new Map<string, Rule>();
const wrapped = new WeakSet<SignalingConnLike>();

class Rule {
  private queue: Promise<void> = Promise.resolve();
  private tokens = ANNOUNCE_BACK_BURST;
  private refilledAt = Date.now();

  constructor(
    private readonly room: RoomLike,
    private readonly key: CryptoKey,
  ) {}

  take(conn: SignalingConnLike, data: unknown, forward: () => void): void {
    this.queue = this.queue
      .then(() => this.decide(conn, data, forward))
      .catch(noted("DIRECT_BOOKKEEPING", "deciding who offers on a direct link"));
  }

  private async decide(conn: SignalingConnLike, data: unknown, forward: () => void) {
    let message: unknown;
    try {
      message = await openSignal(data, this.key);
    } catch (err) {
      if (err instanceof SignalSealError) {
        noted("DIRECT_BOOKKEEPING", "a signaling message that does not open")(err);
        return;
      }
      throw err;
    }
    const room = this.room;
    const v = verdict(room.peerId, message, (id) => room.webrtcConns.has(id));
    if (v === "pass") return forward();
    if (v === "drop" || !conn.connected || !this.spend()) return;
    const from = (message as { from: string }).from;
    const back = await sealSignal({ type: "announce", from: room.peerId, to: from }, this.key);
    conn.send({ type: "publish", topic: room.name, data: back });
  }

  private spend(): boolean {
    const now = Date.now();
    this.tokens = Math.min(
      ANNOUNCE_BACK_BURST,
      this.tokens + ((now - this.refilledAt) / 1000) * ANNOUNCE_BACK_PER_SECOND,
    );
    this.refilledAt = now;
    if (this.tokens < 1) {
      noted(
        "DIRECT_BOOKKEEPING",
        "announces back over their rate",
      )(new Error("announce not answered: too many to answer"));
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}

/**
 * Puts the rule in front of y-webrtc for `room` on its signaling connections,
 * until the returned function is called. y-webrtc shares one connection per
 * URL between the page's rooms, so the connection is wrapped once and hands
 * each room's messages to that room's rule; a room without one (not started,
 * or without a password) is left to y-webrtc alone.
 */
export function lowerIdOffers(conns: readonly SignalingConnLike[], room: RoomLike): () => void {
  const key = room.key;
  if (!key) {
    return () => {
      // A room without a password is y-webrtc's alone (WebrtcMesh always sets one).
    };
  }
  const rule = new Rule(room, key);
  rules.set(room.name, rule);
  for (const conn of conns) wrap(conn);
  return () => {
    if (rules.get(room.name) === rule) rules.delete(room.name);
  };
}

function wrap(conn: SignalingConnLike): void {
  if (wrapped.has(conn)) return;
  wrapped.add(conn);
  const emit = conn.emit.bind(conn);
  conn.emit = (name: string, args: unknown[]) => {
    const m = args[0] as { type?: unknown; topic?: unknown; data?: unknown } | undefined;
    const rule =
      name === "message" && m?.type === "publish" && typeof m.topic === "string"
        ? rules.get(m.topic)
        : undefined;
    if (!rule) return emit(name, args);
    rule.take(conn, m?.data, () => emit(name, args));
  };
}
