/**
 * The routing policy: which targets get an envelope directly over WebRTC
 * and which through the relay. Pure: the caller supplies who is connected,
 * the measured uplink and the envelope size, and shows the reason in the UI
 * ("sending through relay: slow link").
 */

export type RouteReason =
  /** Every target is connected directly and the link can carry the copies. */
  | "direct"
  /** Some targets are offline or unreachable directly: those go to their relay mailbox. */
  | "offline-via-relay"
  /** Sending a copy per peer would take too long on this uplink: upload once, relay fans out. */
  | "slow-link"
  /** Too many targets to send a copy each: upload once, relay fans out. */
  | "many-targets"
  /** No relay and no direct peer: the envelope waits in the outbox. */
  | "waiting";

export interface RouteInput {
  /** Target device keys (hex), already without the sender. */
  targets: readonly string[];
  /** Targets with an open direct data channel. */
  connected: ReadonlySet<string>;
  relayOnline: boolean;
  envelopeBytes: number;
  /** Measured uplink, bytes/s; undefined until measured. */
  uplinkBytesPerSecond: number | undefined;
}

export interface RoutePolicy {
  /** With at least this many direct targets, upload once to the relay. */
  fanOutTargets: number;
  /** Fan out when sending a copy per direct peer takes longer than this (ms) on the measured uplink. */
  slowLinkMs: number;
}

export const DEFAULT_ROUTE_POLICY: RoutePolicy = { fanOutTargets: 8, slowLinkMs: 250 };

export interface RoutePlan {
  direct: string[];
  viaRelay: string[];
  /** Targets neither path can reach now; they stay in the outbox. */
  waiting: string[];
  reason: RouteReason;
}

export function planRoute(input: RouteInput, policy = DEFAULT_ROUTE_POLICY): RoutePlan {
  const reachable = input.targets.filter((t) => input.connected.has(t));
  const unreachable = input.targets.filter((t) => !input.connected.has(t));

  if (!input.relayOnline) {
    const reason = reachable.length > 0 ? "direct" : "waiting";
    return { direct: reachable, viaRelay: [], waiting: unreachable, reason };
  }
  if (reachable.length >= policy.fanOutTargets) {
    return { direct: [], viaRelay: [...input.targets], waiting: [], reason: "many-targets" };
  }
  const copiesMs =
    input.uplinkBytesPerSecond === undefined
      ? 0
      : (reachable.length * input.envelopeBytes * 1000) / input.uplinkBytesPerSecond;
  if (reachable.length > 1 && copiesMs > policy.slowLinkMs) {
    return { direct: [], viaRelay: [...input.targets], waiting: [], reason: "slow-link" };
  }
  return {
    direct: reachable,
    viaRelay: unreachable,
    waiting: [],
    reason: unreachable.length > 0 ? "offline-via-relay" : "direct",
  };
}

/** The words the UI shows for a route. */
export function describeRoute(reason: RouteReason): string {
  switch (reason) {
    case "direct":
      return "sending directly";
    case "offline-via-relay":
      return "sending directly; through relay for offline members";
    case "slow-link":
      return "sending through relay: slow link";
    case "many-targets":
      return "sending through relay: many members";
    case "waiting":
      return "offline: changes wait until a member or the relay is reachable";
  }
}
