/**
 * Notes over a space's Y.Doc: pages of text that members edit together.
 *
 *   map "notes/pages":  note id -> Y.Map {
 *     meta: { id, by, name, at } (plain record: who made it, when)
 *     title: string (last writer wins; renamed as a whole)
 *     body:  Y.Text (merged character by character)
 *     edited: { by, name, at } (the last edit's stamp)
 *     deleted?: true (a tombstone: concurrent typing is never lost to a delete)
 *   }
 *
 * Typing goes through `Space.type`, so a burst of keystrokes leaves as one
 * envelope. Everything read here was written by some member's device: a
 * page of the wrong shape is skipped, a missing part reads as empty.
 */
import * as Y from "yjs";
import { liveEntries, liveEntry, type Meta, newEntry, removeEntry, stampOf } from "./entries.js";
import { readRecord, STAMP_SHAPE, type Stamp } from "./records.js";

export const MAX_NOTE_TITLE = 200;
/** Longest body a note keeps readable: longer ones are shown cut, never thrown on. */
export const MAX_NOTE_BODY = 200_000;

const PAGES = "notes/pages";

export type NoteMeta = Meta;

export interface NoteView {
  id: string;
  title: string;
  created: Stamp;
  edited: Stamp;
}

function pages(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(PAGES);
}

function page(doc: Y.Doc, id: string): Y.Map<unknown> | undefined {
  return liveEntry(pages(doc), id)?.value;
}

function viewOf(id: string, value: Y.Map<unknown>, meta: Meta): NoteView {
  const title = value.get("title");
  const edited = readRecord<Stamp>(value.get("edited"), STAMP_SHAPE);
  return {
    id,
    title: typeof title === "string" ? title.slice(0, MAX_NOTE_TITLE) : "",
    created: stampOf(meta),
    edited: stampOf(edited ?? meta),
  };
}

/** Every live note, the most recently edited first. */
export function notes(doc: Y.Doc): NoteView[] {
  return liveEntries(pages(doc))
    .map(({ id, value, meta }) => viewOf(id, value, meta))
    .sort((a, b) => b.edited.at - a.edited.at || (a.id < b.id ? -1 : 1));
}

export function note(doc: Y.Doc, id: string): NoteView | undefined {
  const entry = liveEntry(pages(doc), id);
  return entry ? viewOf(id, entry.value, entry.meta) : undefined;
}

/** A note's text, shared; undefined when the note is gone or its body is not text. */
export function noteBody(doc: Y.Doc, id: string): Y.Text | undefined {
  const body = page(doc, id)?.get("body");
  return body instanceof Y.Text ? body : undefined;
}

/** Starts a note (call inside `Space.edit`). */
export function createNote(doc: Y.Doc, meta: NoteMeta, title: string, text = ""): void {
  const value = newEntry(meta);
  value.set("title", title.slice(0, MAX_NOTE_TITLE));
  value.set("body", new Y.Text(text.slice(0, MAX_NOTE_BODY)));
  value.set("edited", stampOf(meta));
  pages(doc).set(meta.id, value);
}

/** Renames a note; false when it is gone. */
export function renameNote(doc: Y.Doc, id: string, title: string, stamp: Stamp): boolean {
  const value = page(doc, id);
  if (!value) return false;
  value.set("title", title.slice(0, MAX_NOTE_TITLE));
  value.set("edited", stampOf(stamp));
  return true;
}

/**
 * Replaces `remove` characters at `index` of a note's body with `insert`
 * (one textarea input event), and stamps the edit; false when the note is
 * gone. Indexes beyond the text are clamped, as a remote edit may have
 * shortened it since the caller looked.
 */
export function typeInNote(
  doc: Y.Doc,
  id: string,
  change: { index: number; remove: number; insert: string },
  stamp: Stamp,
): boolean {
  const value = page(doc, id);
  const body = value?.get("body");
  if (!value || !(body instanceof Y.Text)) return false;
  const index = Math.max(0, Math.min(change.index, body.length));
  const remove = Math.max(0, Math.min(change.remove, body.length - index));
  const room = MAX_NOTE_BODY - (body.length - remove);
  const insert = change.insert.slice(0, Math.max(0, room));
  if (remove === 0 && insert.length === 0) return true;
  if (remove > 0) body.delete(index, remove);
  if (insert.length > 0) body.insert(index, insert);
  restamp(value, stamp);
  return true;
}

/** How long one person's typing counts as one edit for the "edited by" stamp. */
export const STAMP_EVERY_MS = 60_000;

/**
 * Rewrites the edit stamp unless it already names this person within the
 * last minute. Each rewrite takes a clock tick between two typed characters,
 * and Yjs merges text items only across consecutive ticks: a stamp per
 * keystroke made every character its own item (2,000 typed characters, 40 KB
 * of doc instead of 2 KB).
 */
function restamp(value: Y.Map<unknown>, stamp: Stamp): void {
  const last = readRecord<Stamp>(value.get("edited"), STAMP_SHAPE);
  if (
    last &&
    last.by === stamp.by &&
    last.name === stamp.name &&
    stamp.at - last.at < STAMP_EVERY_MS &&
    stamp.at >= last.at
  ) {
    return;
  }
  value.set("edited", stampOf(stamp));
}

/** Removes a note from the list (a tombstone); false when it is already gone. */
export function deleteNote(doc: Y.Doc, id: string, stamp: Stamp): boolean {
  const value = removeEntry(pages(doc), id);
  value?.set("edited", stampOf(stamp));
  return value !== undefined;
}

/** The note's text as shown: cut at MAX_NOTE_BODY, whatever a member wrote. */
export function noteText(doc: Y.Doc, id: string): string {
  return noteBody(doc, id)?.toString().slice(0, MAX_NOTE_BODY) ?? "";
}

/** For search: each note's title and text. */
export function noteTexts(doc: Y.Doc): { note: NoteView; text: string }[] {
  return notes(doc).map((n) => ({ note: n, text: noteText(doc, n.id) }));
}
