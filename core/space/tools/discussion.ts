/**
 * Threaded discussion over a space's Y.Doc: topics, each with replies.
 *
 *   map "discussion/topics":   topic id -> Topic
 *   map "discussion/replies":  reply id -> Reply (names its topic)
 *
 * Replies are kept flat and grouped by topic on read, so two members
 * replying to one topic at once never conflict. A reply whose topic is
 * unknown (not arrived yet, or never existed) waits unseen.
 */
import type * as Y from "yjs";
import { byTime, clampText, readRecord } from "./records.js";

export interface Topic {
  id: string;
  author: string;
  name: string;
  at: number;
  title: string;
  text: string;
}

export interface Reply {
  id: string;
  topic: string;
  author: string;
  name: string;
  at: number;
  text: string;
}

export interface TopicView extends Topic {
  replies: Reply[];
  /** Time of the newest post in the thread (the topic itself or its last reply). */
  lastActivity: number;
}

const TOPICS = "discussion/topics";
const REPLIES = "discussion/replies";
export const MAX_TITLE = 200;

const TOPIC = {
  id: "id",
  author: "user",
  name: "string",
  at: "number",
  title: "string",
  text: "string",
} as const;
const REPLY = {
  id: "id",
  topic: "id",
  author: "user",
  name: "string",
  at: "number",
  text: "string",
} as const;

/** Topics with their replies, the most recently active first. */
export function topics(doc: Y.Doc): TopicView[] {
  const byTopic = new Map<string, TopicView>();
  for (const [id, value] of doc.getMap<unknown>(TOPICS)) {
    const t = readRecord<Topic>(value, TOPIC);
    if (t && t.id === id) byTopic.set(id, { ...t, replies: [], lastActivity: t.at });
  }
  for (const [id, value] of doc.getMap<unknown>(REPLIES)) {
    const r = readRecord<Reply>(value, REPLY);
    const topic = r && r.id === id ? byTopic.get(r.topic) : undefined;
    if (!topic || !r) continue;
    topic.replies.push(r);
    if (r.at > topic.lastActivity) topic.lastActivity = r.at;
  }
  const out = [...byTopic.values()];
  for (const t of out) t.replies.sort(byTime);
  return out.sort((a, b) => b.lastActivity - a.lastActivity || (a.id < b.id ? -1 : 1));
}

export function startTopic(doc: Y.Doc, topic: Topic): Topic {
  const t = { ...topic, title: clampText(topic.title, MAX_TITLE), text: clampText(topic.text) };
  doc.getMap<unknown>(TOPICS).set(t.id, t);
  return t;
}

export function reply(doc: Y.Doc, r: Reply): Reply {
  const out = { ...r, text: clampText(r.text) };
  doc.getMap<unknown>(REPLIES).set(out.id, out);
  return out;
}

/** Posts in `topic` newer than `readAt`, by others than `me` (the topic itself counts). */
export function unreadIn(topic: TopicView, readAt: number, me: string): number {
  let n = topic.author !== me && topic.at > readAt ? 1 : 0;
  for (const r of topic.replies) if (r.author !== me && r.at > readAt) n++;
  return n;
}
