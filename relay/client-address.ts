/**
 * Who a connection is, for per-client limits: its IP as the relay sees it,
 * or as a trusted reverse proxy reports it in X-Forwarded-For. IPv6
 * clients are grouped by /64, since one host is routinely handed a whole
 * /64 and could otherwise take a fresh address per connection.
 */
import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";

export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const remote = unmap(req.socket.remoteAddress ?? "unknown");
  if (!trustedProxies.includes(remote)) return limitKey(remote);
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  // The rightmost hop is the one our proxy appended; the rest the client may have written.
  const forwarded = unmap(hops[hops.length - 1] ?? "");
  return limitKey(isIPv4(forwarded) || isIPv6(forwarded) ? forwarded : remote);
}

function unmap(address: string): string {
  return address.startsWith("::ffff:") && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** The key limits are counted under: an IPv4 address, or an IPv6 /64 prefix. */
export function limitKey(address: string): string {
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
}

function expandIPv6(address: string): string[] {
  const zone = address.indexOf("%");
  const zoneless = zone < 0 ? address : address.slice(0, zone);
  const [head, tail] = zoneless.includes("::") ? zoneless.split("::") : [zoneless, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // An embedded IPv4 tail takes two groups.
  const groups = (parts: string[]) => parts.reduce((n, p) => n + (p.includes(".") ? 2 : 1), 0);
  const fill = tail === undefined ? [] : new Array(8 - groups(left) - groups(right)).fill("0");
  return [...left, ...fill, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""));
}
