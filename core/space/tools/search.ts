/**
 * Local search across the user's spaces: chat messages, discussion posts,
 * notes and tasks whose text (or title) contains every word of the query,
 * case- and accent-insensitively. Everything is already on the device, so
 * a linear scan answers tens of thousands of posts within a frame. Names
 * are the membership's, and posts their authors did not sign are not found.
 */
import type * as Y from "yjs";
import { messages } from "./chat.js";
import { topics } from "./discussion.js";
import { noteTexts } from "./notes.js";
import type { RecordTrust } from "./signed-records.js";
import { tasks } from "./tasks.js";

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

export function searchSpaces(
  spaces: { id: string; name: string; doc: Y.Doc; trust: RecordTrust }[],
  query: string,
  limit = MAX_HITS,
): SearchHit[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const matches = (text: string) => {
    const folded = fold(text);
    return words.every((w) => folded.includes(w));
  };
  const hits: SearchHit[] = [];
  for (const space of spaces) {
    const { trust } = space;
    const base = { spaceId: space.id, spaceName: space.name };
    for (const m of messages(space.doc)) {
      if (!m.deleted && matches(m.text)) {
        const name = trust.nameOf(m.author);
        hits.push({ ...base, where: "chat", id: m.id, name, at: m.at, text: m.text });
      }
    }
    for (const t of topics(space.doc, trust)) {
      if (matches(`${t.title}\n${t.text}`)) {
        hits.push({
          ...base,
          where: "discussion",
          id: t.id,
          name: t.name,
          at: t.at,
          text: t.title,
        });
      }
      for (const r of t.replies) {
        if (matches(r.text)) {
          hits.push({
            ...base,
            where: "discussion",
            id: r.id,
            name: r.name,
            at: r.at,
            text: r.text,
          });
        }
      }
    }
    for (const { note, text } of noteTexts(space.doc, trust)) {
      if (matches(`${note.title}\n${text}`)) {
        hits.push({
          ...base,
          where: "note",
          id: note.id,
          name: note.edited.name,
          at: note.edited.at,
          text: note.title,
        });
      }
    }
    for (const t of tasks(space.doc, trust)) {
      if (matches(t.title)) {
        hits.push({
          ...base,
          where: "task",
          id: t.id,
          name: t.created.name,
          at: t.created.at,
          text: t.title,
        });
      }
    }
  }
  return hits.sort((a, b) => b.at - a.at).slice(0, limit);
}
