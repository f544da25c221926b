/** The discussion of one space: topics and their replies, signed by their authors. */
import {
  draftReply,
  draftTopic,
  reply,
  startTopic,
  type TopicView,
  topics,
  unreadIn,
} from "../../../../core/space/tools/discussion.js";
import { discussionHits } from "../../../../core/space/tools/search.js";
import { type ActivityItem, quote } from "../../model/activity.js";
import { randomId, type SpaceContext } from "../../model/space-context.js";
import type { ToolHit, ToolModel } from "../../model/tool-plugin.js";

export class DiscussionModel implements ToolModel {
  constructor(private readonly ctx: SpaceContext) {}

  topics(): TopicView[] {
    return this.ctx.cached("topics", () => topics(this.ctx.doc, this.ctx.trust));
  }

  async startTopic(title: string, text: string): Promise<void> {
    const { by, ...rest } = this.ctx.authored();
    const draft = draftTopic({
      id: randomId(),
      author: by,
      ...rest,
      title: title.trim(),
      text: text.trim(),
    });
    const signed = await this.ctx.sign("discussion-topic", "", draft);
    await this.ctx.member.space.edit((doc) => startTopic(doc, signed));
  }

  async reply(topic: string, text: string): Promise<void> {
    const { by, ...rest } = this.ctx.authored();
    const draft = draftReply({ id: randomId(), topic, author: by, ...rest, text: text.trim() });
    const signed = await this.ctx.sign("discussion-reply", "", draft);
    await this.ctx.member.space.edit((doc) => reply(doc, signed));
  }

  unread(readAt: number): number {
    let n = 0;
    for (const t of this.topics()) n += unreadIn(t, readAt, this.ctx.me.user);
    return n;
  }

  lastActivity(): number {
    let last = 0;
    for (const t of this.topics()) if (t.lastActivity > last) last = t.lastActivity;
    return last;
  }

  search(matches: (text: string) => boolean): ToolHit[] {
    return discussionHits(this.topics(), matches);
  }

  activity(since: number): ActivityItem[] {
    return discussionActivity(this.topics(), this.ctx.me.user, since);
  }
}

/** Topics others started, and replies others wrote (one line per topic), after `since`. */
export function discussionActivity(
  list: readonly TopicView[],
  me: string,
  since: number,
): ActivityItem[] {
  const items: ActivityItem[] = [];
  for (const t of list) {
    if (t.author !== me && t.at > since) {
      items.push({
        key: `topic:${t.id}`,
        tool: "Discussion",
        at: t.at,
        text: `${t.name} started the topic ${quote(t.title)}`,
      });
    }
    const replies = t.replies.filter((r) => r.author !== me && r.at > since);
    const last = replies.at(-1);
    if (last) {
      const who = [...new Set(replies.map((r) => r.name))];
      items.push({
        key: `replies:${t.id}`,
        tool: "Discussion",
        at: last.at,
        text: `${who.join(", ")} replied in ${quote(t.title)}${replies.length > 1 ? ` (${replies.length} replies)` : ""}`,
      });
    }
  }
  return items;
}
