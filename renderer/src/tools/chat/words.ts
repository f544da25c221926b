/**
 * What the chat says outside its own view: a notification of a message, the
 * activity line of new messages. Pure, over the
 * messages as the chat's index lists them; names are the membership's.
 */
import type { ChatMessage } from "../../../../core/space/tools/chat.js";
import { type ActivityItem, quote } from "../../model/activity.js";
import type { Notice } from "../../model/tool-plugin.js";
import type { Delivery } from "./model.js";

/** The notice of one message in `space`, named as `name` (the membership's name of its author). */
export function chatNotice(
  m: Pick<ChatMessage, "id" | "text" | "deleted">,
  name: string,
  space: string,
  mentioned: boolean,
): Notice {
  return {
    key: m.id,
    urgent: mentioned,
    title: mentioned ? `${name} mentioned you in ${space}` : `${name} in ${space}`,
    body: m.deleted ? "" : m.text.slice(0, 200),
    generic: "New message",
    neutral: mentioned ? "You were mentioned" : "New message",
  };
}

/** Messages others wrote after `since`, as one line. */
export function chatActivity(
  list: readonly ChatMessage[],
  me: string,
  nameOf: (user: string) => string,
  since: number,
): ActivityItem[] {
  const messages = list.filter((m) => m.author !== me && m.at > since && !m.deleted);
  const last = messages.at(-1);
  if (!last) return [];
  const who = [...new Set(messages.map((m) => nameOf(m.author)))];
  return [
    {
      key: "chat",
      tool: "Chat",
      at: last.at,
      text:
        messages.length === 1
          ? `${nameOf(last.author)} wrote ${quote(last.text)}`
          : `${messages.length} new messages from ${who.join(", ")}; the last: ${quote(last.text)}`,
    },
  ];
}

/** The words under one of this user's messages for how far it got. */
export function deliveryText(d: Delivery): string {
  switch (d.state) {
    case "local":
      return "Local only";
    case "relay":
      return `At relay${notQueuedText(d.notQueued)}`;
    case "notQueued":
      return `Not queued for ${namesText(d.names)}: ${mailboxes(d.names)}`;
    case "alone":
      return "Nobody else here yet";
    case "delivered":
      return `${d.to === d.of ? "Delivered" : `Delivered to ${d.to} of ${d.of}`}${notQueuedText(d.notQueued)}`;
  }
}

const mailboxes = (names: readonly string[]) =>
  names.length === 1 ? "mailbox full" : "mailboxes full";

/** Up to two names, else how many. */
function namesText(names: readonly string[]): string {
  if (names.length <= 2) return names.join(" and ");
  return `${names.length} members`;
}

function notQueuedText(names: readonly string[] | undefined): string {
  if (!names || names.length === 0) return "";
  return `; not queued for ${namesText(names)}: ${mailboxes(names)}`;
}

/**
 * How far a message got: later states rank higher; "Delivered to 2 of 3" below "Delivered",
 * and a state with members the relay could not queue it for below the same without.
 */
export function reach(d: Delivery): number {
  if (d.state === "local") return 0;
  if (d.state === "notQueued") return 0.5;
  if (d.state === "relay") return d.notQueued?.length ? 0.75 : 1;
  if (d.state === "alone") return 1;
  return 2 + (d.of > 0 ? d.to / d.of : 1) - (d.notQueued?.length ? 0.001 : 0);
}
