/**
 * What changed in a space since a moment, for the activity view: from the
 * space's local replica only (the views its tools already build and the
 * membership log), never from the network. Each item names the tool it
 * links to; each tool says what is news in it (its model's `activity`), and
 * the membership's news is here. Others' doings only: what this user did is
 * not news to them.
 */
import { toHex } from "../../../core/crypto/bytes.js";
import type { MembershipLog } from "../../../core/membership/membership-log.js";

export interface ActivityItem {
  /** A stable key within the space. */
  readonly key: string;
  /** The label of the tool it opens ("Members" for the membership's own news). */
  readonly tool: string;
  readonly at: number;
  /** What happened, in words (untrusted text quoted inside: shown as text). */
  readonly text: string;
}

/** Untrusted text quoted, cut to `max` characters. */
export const quote = (s: string, max = 80) => `“${s.length > max ? `${s.slice(0, max - 1)}…` : s}”`;

/** Newest first, ties in a fixed order. */
export function newestFirst(items: ActivityItem[]): ActivityItem[] {
  return items.sort((a, b) => b.at - a.at || (a.key < b.key ? -1 : 1));
}

export interface MembershipFacts {
  me: string;
  nameOf(user: string): string;
  log: Pick<MembershipLog, "state" | "op">;
}

/** Who joined (let in: an open join, or a confirm) and who left or was removed, after `since`. */
export function membershipActivity(facts: MembershipFacts, since: number): ActivityItem[] {
  const { log, me, nameOf } = facts;
  const joins = new Map<string, { user: string; at: number }>();
  const items: ActivityItem[] = [];
  for (const id of log.state.accepted) {
    const op = log.op(id);
    const action = op?.body.action;
    if (!op || !action) continue;
    if (action.type === "join") {
      joins.set(id, { user: toHex(action.cert.user), at: op.body.time });
    } else if (action.type === "confirm") {
      const join = joins.get(toHex(action.join));
      if (join) join.at = op.body.time;
    } else if (action.type === "remove" && op.body.time > since) {
      const user = toHex(action.user);
      if (user === me) continue;
      const by = log.state.certified.get(op.signer);
      items.push({
        key: `left:${id}`,
        tool: "Members",
        at: op.body.time,
        text: by === user ? `${nameOf(user)} left` : `${nameOf(by ?? "")} removed ${nameOf(user)}`,
      });
    }
  }
  for (const [id, join] of joins) {
    // Still waiting, or turned away: nobody joined.
    if (log.state.pending.has(id) || log.state.closedJoins.has(id)) continue;
    if (join.user === me || join.at <= since) continue;
    items.push({
      key: `joined:${id}`,
      tool: "Members",
      at: join.at,
      text: `${nameOf(join.user)} joined`,
    });
  }
  return items;
}
