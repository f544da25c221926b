/**
 * Threaded discussion over a space's Y.Doc: topics, each with replies.
 *
 *   map "discussion/topics":   topic id -> Topic
 *   map "discussion/replies":  reply id -> Reply (names its topic)
 *
 * Replies are kept flat and grouped by topic on read, so two members
 * replying to one topic at once never conflict. A reply whose topic is
 * unknown (not arrived yet, or never existed) waits unseen. Each post is
 * signed by its author's device; one that is not (another member writing
 * in someone's name, or rewriting their post) is not shown, and the name
 * shown is the author's in the membership.
 */
import type * as Y from "yjs";
import { byTime, clampText, readRecord, SIGNED_SHAPE } from "./records.js";
import type { RecordTrust, Signed } from "./signed-records.js";

export interface Topic extends Signed {
  id: string;
  author: string;
  at: number;
  title: string;
  text: string;
}

export interface Reply extends Signed {
  id: string;
  topic: string;
  author: string;
  at: number;
  text: string;
}

/** A post as shown: its author's name from the membership. */
export type Named<T> = T & { name: string };

export interface TopicView extends Named<Topic> {
  replies: Named<Reply>[];
  /** Time of the newest post in the thread (the topic itself or its last reply). */
  lastActivity: number;
}

const TOPICS = "discussion/topics";
const REPLIES = "discussion/replies";
export const MAX_TITLE = 200;

const TOPIC = {
  id: "id",
  author: "user",
  at: "number",
  title: "string",
  text: "string",
  ...SIGNED_SHAPE,
} as const;
const REPLY = {
  id: "id",
  topic: "id",
  author: "user",
  at: "number",
  text: "string",
  ...SIGNED_SHAPE,
} as const;

/** Topics with their replies, the most recently active first: only posts their authors signed. */
export function topics(doc: Y.Doc, trust: RecordTrust): TopicView[] {
  const byTopic = new Map<string, TopicView>();
  for (const [id, value] of doc.getMap<unknown>(TOPICS)) {
    const t = readRecord<Topic>(value, TOPIC);
    if (!t || t.id !== id || !trust.holds("discussion-topic", "", t, t.author)) continue;
    byTopic.set(id, { ...t, name: trust.nameOf(t.author), replies: [], lastActivity: t.at });
  }
  for (const [id, value] of doc.getMap<unknown>(REPLIES)) {
    const r = readRecord<Reply>(value, REPLY);
    const topic = r && r.id === id ? byTopic.get(r.topic) : undefined;
    if (!topic || !r || !trust.holds("discussion-reply", "", r, r.author)) continue;
    topic.replies.push({ ...r, name: trust.nameOf(r.author) });
    if (r.at > topic.lastActivity) topic.lastActivity = r.at;
  }
  const out = [...byTopic.values()];
  for (const t of out) t.replies.sort(byTime);
  return out.sort((a, b) => b.lastActivity - a.lastActivity || (a.id < b.id ? -1 : 1));
}

/** A topic as it will be signed: title and text cut to size. */
export function draftTopic(topic: Topic): Topic {
  return { ...topic, title: clampText(topic.title, MAX_TITLE), text: clampText(topic.text) };
}

/** Writes a drafted and signed topic (call inside `Space.edit`). */
export function startTopic(doc: Y.Doc, topic: Topic): void {
  doc.getMap<unknown>(TOPICS).set(topic.id, { ...topic });
}

/** A reply as it will be signed: its text cut to size. */
export function draftReply(r: Reply): Reply {
  return { ...r, text: clampText(r.text) };
}

/** Writes a drafted and signed reply (call inside `Space.edit`). */
export function reply(doc: Y.Doc, r: Reply): void {
  doc.getMap<unknown>(REPLIES).set(r.id, { ...r });
}

/** Posts in `topic` newer than `readAt`, by others than `me` (the topic itself counts). */
export function unreadIn(topic: TopicView, readAt: number, me: string): number {
  let n = topic.author !== me && topic.at > readAt ? 1 : 0;
  for (const r of topic.replies) if (r.author !== me && r.at > readAt) n++;
  return n;
}
