/**
 * What changed in a space since a moment, for the activity view: from the
 * space's local replica only (the views its handle already builds and the
 * membership log), never from the network. Each item names the tool it
 * links to. Others' doings only: what this user did is not news to them.
 */
import { toHex } from "../../../core/crypto/bytes.js";
import type { MembershipLog } from "../../../core/membership/membership-log.js";
import type { EventView } from "../../../core/space/tools/calendar.js";
import type { ChatMessage } from "../../../core/space/tools/chat.js";
import type { TopicView } from "../../../core/space/tools/discussion.js";
import type { FileView } from "../../../core/space/tools/files.js";
import type { NoteView } from "../../../core/space/tools/notes.js";
import { newlyAssigned, type TaskView } from "../../../core/space/tools/tasks.js";

export type ActivityTool =
  | "Chat"
  | "Discussion"
  | "Notes"
  | "Tasks"
  | "Calendar"
  | "Files"
  | "Members";

export interface ActivityItem {
  /** A stable key within the space. */
  key: string;
  tool: ActivityTool;
  at: number;
  /** What happened, in words (untrusted text quoted inside: shown as text). */
  text: string;
}

export interface SpaceFacts {
  me: string;
  nameOf(user: string): string;
  messages: ChatMessage[];
  topics: TopicView[];
  notes: NoteView[];
  tasks: TaskView[];
  events: EventView[];
  files: FileView[];
  log: Pick<MembershipLog, "state" | "op">;
}

const quote = (s: string, max = 80) => `“${s.length > max ? `${s.slice(0, max - 1)}…` : s}”`;

/** Everything others did in the space after `since`, newest first. */
export function activitySince(facts: SpaceFacts, since: number): ActivityItem[] {
  const { me, nameOf } = facts;
  const items: ActivityItem[] = [];
  const messages = facts.messages.filter((m) => m.author !== me && m.at > since && !m.deleted);
  if (messages.length > 0) {
    const last = messages[messages.length - 1]!;
    const who = [...new Set(messages.map((m) => nameOf(m.author)))];
    items.push({
      key: "chat",
      tool: "Chat",
      at: last.at,
      text:
        messages.length === 1
          ? `${nameOf(last.author)} wrote ${quote(last.text)}`
          : `${messages.length} new messages from ${who.join(", ")}; the last: ${quote(last.text)}`,
    });
  }
  for (const t of facts.topics) {
    if (t.author !== me && t.at > since) {
      items.push({
        key: `topic:${t.id}`,
        tool: "Discussion",
        at: t.at,
        text: `${t.name} started the topic ${quote(t.title)}`,
      });
    }
    const replies = t.replies.filter((r) => r.author !== me && r.at > since);
    if (replies.length > 0) {
      const who = [...new Set(replies.map((r) => r.name))];
      items.push({
        key: `replies:${t.id}`,
        tool: "Discussion",
        at: replies[replies.length - 1]!.at,
        text: `${who.join(", ")} replied in ${quote(t.title)}${replies.length > 1 ? ` (${replies.length} replies)` : ""}`,
      });
    }
  }
  for (const n of facts.notes) {
    if (n.edited.by !== me && n.edited.at > since) {
      const made = n.created.at > since && n.created.by === n.edited.by;
      items.push({
        key: `note:${n.id}`,
        tool: "Notes",
        at: n.edited.at,
        text: `${n.edited.name} ${made ? "started" : "edited"} the note ${quote(n.title || "Untitled")}`,
      });
    }
  }
  for (const t of newlyAssigned(facts.tasks, me, since)) {
    items.push({
      key: `task:${t.id}`,
      tool: "Tasks",
      at: t.assigned!.at,
      text: `${t.assigned!.name} gave you the task ${quote(t.title)}`,
    });
  }
  for (const e of facts.events) {
    if (e.created.by !== me && e.created.at > since) {
      items.push({
        key: `event:${e.id}`,
        tool: "Calendar",
        at: e.created.at,
        text: `${e.created.name} added ${quote(e.title)} on ${e.day}`,
      });
    }
  }
  for (const f of facts.files) {
    if (f.by !== me && f.at > since) {
      items.push({
        key: `file:${f.id}`,
        tool: "Files",
        at: f.at,
        text: `${f.byName} shared ${quote(f.name)}`,
      });
    }
  }
  items.push(...membershipSince(facts, since));
  return items.sort((a, b) => b.at - a.at || (a.key < b.key ? -1 : 1));
}

/** Who joined (let in: an open join, or a confirm) and who left or was removed, after `since`. */
function membershipSince(facts: SpaceFacts, since: number): ActivityItem[] {
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
