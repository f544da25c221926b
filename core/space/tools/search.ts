/**
 * Local search across the user's spaces: chat messages, discussion posts,
 * notes and tasks whose text (or title) contains every word of the query
 * (one function per tool, which the app's tool plug-ins call),
 * case- and accent-insensitively. Everything is already on the device, so
 * a linear scan answers tens of thousands of posts within a frame. Names
 * are the membership's, and posts their authors did not sign are not found.
 */
import type * as Y from "yjs";
import { type ChatMessage, messages } from "./chat.js";
import { type TopicView, topics } from "./discussion.js";
import { noteTexts } from "./notes.js";
import type { RecordTrust } from "./signed-records.js";
import { type TaskView, tasks } from "./tasks.js";

export interface SearchHit {
  spaceId: string;
  spaceName: string;
  where: "chat" | "discussion" | "note" | "task";
  id: string;
  name: string;
  at: number;
  text: string;
}

export const MAX_HITS = 100;

/** Lower case without diacritics, so "cafe" finds "Café". */
export function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/** A test of one text against every word of `query`; undefined when the query has no word. */
export function matcherOf(query: string): ((text: string) => boolean) | undefined {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return undefined;
  return (text) => {
    const folded = fold(text);
    return words.every((w) => folded.includes(w));
  };
}

/** One tool's hit, before its space is named. */
export type ToolHit = Omit<SearchHit, "spaceId" | "spaceName" | "where">;

/** Chat messages (not deleted) whose text matches, named by the membership. */
export function chatHits(
  list: readonly ChatMessage[],
  trust: RecordTrust,
  matches: (text: string) => boolean,
): ToolHit[] {
  return list
    .filter((m) => !m.deleted && matches(m.text))
    .map((m) => ({ id: m.id, name: trust.nameOf(m.author), at: m.at, text: m.text }));
}

/** Topics whose title or text matches (shown by title), and replies whose text does. */
export function discussionHits(
  list: readonly TopicView[],
  matches: (text: string) => boolean,
): ToolHit[] {
  const hits: ToolHit[] = [];
  for (const t of list) {
    if (matches(`${t.title}\n${t.text}`)) {
      hits.push({ id: t.id, name: t.name, at: t.at, text: t.title });
    }
    for (const r of t.replies) {
      if (matches(r.text)) hits.push({ id: r.id, name: r.name, at: r.at, text: r.text });
    }
  }
  return hits;
}

/** Notes whose title or text matches, shown by title, under their last editor. */
export function noteHits(
  doc: Y.Doc,
  trust: RecordTrust,
  matches: (text: string) => boolean,
): ToolHit[] {
  return noteTexts(doc, trust)
    .filter(({ note, text }) => matches(`${note.title}\n${text}`))
    .map(({ note }) => ({
      id: note.id,
      name: note.edited.name,
      at: note.edited.at,
      text: note.title,
    }));
}

/** Tasks whose title matches, under their creator. */
export function taskHits(list: readonly TaskView[], matches: (text: string) => boolean): ToolHit[] {
  return list
    .filter((t) => matches(t.title))
    .map((t) => ({ id: t.id, name: t.created.name, at: t.created.at, text: t.title }));
}

/** Every space's chat, discussion, notes and tasks at once, newest first. */
export function searchSpaces(
  spaces: { id: string; name: string; doc: Y.Doc; trust: RecordTrust }[],
  query: string,
  limit = MAX_HITS,
): SearchHit[] {
  const matches = matcherOf(query);
  if (!matches) return [];
  const hits: SearchHit[] = [];
  for (const space of spaces) {
    const { doc, trust } = space;
    const base = { spaceId: space.id, spaceName: space.name };
    const found: [SearchHit["where"], ToolHit[]][] = [
      ["chat", chatHits(messages(doc), trust, matches)],
      ["discussion", discussionHits(topics(doc, trust), matches)],
      ["note", noteHits(doc, trust, matches)],
      ["task", taskHits(tasks(doc, trust), matches)],
    ];
    for (const [where, list] of found)
      for (const hit of list) hits.push({ ...base, where, ...hit });
  }
  return hits.sort((a, b) => b.at - a.at).slice(0, limit);
}
