/**
 * What the chat says outside its own view: a notification of a message, the
 * activity line of new messages. Pure, over the
 * messages as the chat's index lists them; names are the membership's.
 */
import type { ChatMessage } from "../../../../core/space/tools/chat.js";
import { type ActivityItem, quote } from "../../model/activity.js";
import type { Notice } from "../../model/tool-plugin.js";

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
