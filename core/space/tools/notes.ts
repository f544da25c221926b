/**
 * Notes over a space's Y.Doc: pages of text that members edit together.
 *
 *   map "notes/pages":  note id -> Y.Map {
 *     meta:   { id, by, at, title } (signed: who made it, when, its first title)
 *     title:  { v: string, by, at } (signed by who renamed it; last writer wins)
 *     body:   Y.Text (decision 44's plain text; kept, and read until the note has rich text)
 *     edited: { v: true, by, at } (signed: the last typing's stamp)
 *     deleted?: { v: true, by, at } (a signed tombstone: concurrent typing is never lost to a delete)
 *   }
 *
 *   fragment "notes/rich/<id>": the note's rich text (note-rich.ts), top level
 *
 * Typing (plain or rich) is sealed through `Space.type`'s batching, so a
 * burst of keystrokes leaves as one envelope. Everything read here was written by some member's device: a
 * page of the wrong shape or whose meta is not its author's is skipped, a
 * missing or forged part reads as absent. The body's characters carry no
 * signature (Yjs text has no place for one): who typed is the edit stamp's word.
 */
import * as Y from "yjs";
import {
  type EntryKinds,
  type Field,
  isText,
  isTrue,
  liveEntries,
  liveEntry,
  newEntry,
  putField,
  readField,
  stampOf,
  TITLED_META_SHAPE,
  type TitledMeta,
} from "./entries.js";
import { hasRich, migrationClient, richFragment, richText } from "./note-rich.js";
import type { Stamp } from "./records.js";
import type { RecordTrust } from "./signed-records.js";

export const MAX_NOTE_TITLE = 200;
/** Longest body a note keeps readable: longer ones are shown cut, never thrown on. */
export const MAX_NOTE_BODY = 200_000;

const PAGES = "notes/pages";

export type NoteMeta = TitledMeta;

export const NOTE_KINDS: EntryKinds = {
  meta: "note",
  field: "note-field",
  shape: TITLED_META_SHAPE,
};

export interface NoteView {
  id: string;
  title: string;
  created: Stamp;
  edited: Stamp;
}

function pages(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(PAGES);
}

function page(doc: Y.Doc, id: string, trust: RecordTrust): Y.Map<unknown> | undefined {
  return liveEntry(pages(doc), id, NOTE_KINDS, trust)?.value;
}

function viewOf(id: string, value: Y.Map<unknown>, meta: NoteMeta, trust: RecordTrust): NoteView {
  const title = readField(value, id, "title", NOTE_KINDS.field, trust, isText);
  const edited = readField(value, id, "edited", NOTE_KINDS.field, trust, isTrue);
  // A rename is an edit too: the newest signed change says who touched the note last.
  const last = [title, edited].reduce<{ by: string; at: number }>(
    (a, b) => (b && b.at > a.at ? b : a),
    meta,
  );
  return {
    id,
    title: (title?.v ?? meta.title).slice(0, MAX_NOTE_TITLE),
    created: stampOf(meta, trust),
    edited: stampOf(last, trust),
  };
}

/** Every live note, the most recently edited first. */
export function notes(doc: Y.Doc, trust: RecordTrust): NoteView[] {
  return liveEntries<NoteMeta>(pages(doc), NOTE_KINDS, trust)
    .map(({ id, value, meta }) => viewOf(id, value, meta, trust))
    .sort((a, b) => b.edited.at - a.edited.at || (a.id < b.id ? -1 : 1));
}

export function note(doc: Y.Doc, id: string, trust: RecordTrust): NoteView | undefined {
  const entry = liveEntry<NoteMeta>(pages(doc), id, NOTE_KINDS, trust);
  return entry ? viewOf(id, entry.value, entry.meta, trust) : undefined;
}

/** A note's text, shared; undefined when the note is gone or its body is not text. */
export function noteBody(doc: Y.Doc, id: string, trust: RecordTrust): Y.Text | undefined {
  const body = page(doc, id, trust)?.get("body");
  return body instanceof Y.Text ? body : undefined;
}

/** A note's meta as it will be signed: its title cut to size. */
export function draftNote(meta: NoteMeta): NoteMeta {
  return { ...meta, title: meta.title.slice(0, MAX_NOTE_TITLE) };
}

/** Starts a note from its signed meta (call inside `Space.edit`). */
export function createNote(doc: Y.Doc, meta: NoteMeta, text = ""): void {
  const value = newEntry(meta);
  value.set("body", new Y.Text(text.slice(0, MAX_NOTE_BODY)));
  pages(doc).set(meta.id, value);
}

/** A rename as it will be signed: the title cut to size. */
export function draftRename<T extends { v: string }>(title: T): T {
  return { ...title, v: title.v.slice(0, MAX_NOTE_TITLE) };
}

/** Renames a note with a signed title field; false when it is gone. */
export function renameNote(doc: Y.Doc, id: string, title: Field<string>, trust: RecordTrust) {
  return putField(pages(doc), id, "title", title, NOTE_KINDS, trust);
}

/**
 * Replaces `remove` characters at `index` of a note's body with `insert`
 * (one textarea input event); false when the note is gone. Indexes beyond
 * the text are clamped, as a remote edit may have shortened it since the
 * caller looked.
 */
export function typeInNote(
  doc: Y.Doc,
  id: string,
  change: { index: number; remove: number; insert: string },
  trust: RecordTrust,
): boolean {
  const body = page(doc, id, trust)?.get("body");
  if (!(body instanceof Y.Text)) return false;
  const index = Math.max(0, Math.min(change.index, body.length));
  const remove = Math.max(0, Math.min(change.remove, body.length - index));
  const room = MAX_NOTE_BODY - (body.length - remove);
  const insert = change.insert.slice(0, Math.max(0, room));
  if (remove > 0) body.delete(index, remove);
  if (insert.length > 0) body.insert(index, insert);
  return true;
}

/** How long one person's typing counts as one edit for the "edited by" stamp. */
export const STAMP_EVERY_MS = 60_000;

/**
 * Whether `user` typing at `at` needs a new edit stamp: not when the stamp
 * already names them within the last minute. Each rewrite takes a clock tick
 * between two typed characters, and Yjs merges text items only across
 * consecutive ticks: a stamp per keystroke made every character its own
 * item (2,000 typed characters, 40 KB of doc instead of 2 KB).
 */
export function editStampDue(
  doc: Y.Doc,
  id: string,
  user: string,
  at: number,
  trust: RecordTrust,
): boolean {
  const value = page(doc, id, trust);
  if (!value) return false;
  const last = readField(value, id, "edited", NOTE_KINDS.field, trust, isTrue);
  return !(last && last.by === user && at - last.at < STAMP_EVERY_MS && at >= last.at);
}

/** Stamps who typed in a note last (a signed `edited` field); false when it is gone. */
export function stampEdit(doc: Y.Doc, id: string, stamp: Field<true>, trust: RecordTrust) {
  return putField(pages(doc), id, "edited", stamp, NOTE_KINDS, trust);
}

/**
 * Deletes a note for everyone (call inside `Space.edit`): its rich text is
 * emptied and its page (signed meta with the first title, renamed titles,
 * stamps, plain body) taken out of the map, so the doc keeps none of it and
 * a later joiner's catch-up carries none of it (decision 171). False when it
 * is not live. Typing or a rename made elsewhere at that moment lands in a
 * page or fragment nobody lists, and a page taken out stays out.
 */
export function eraseNote(doc: Y.Doc, id: string, trust: RecordTrust): boolean {
  if (!page(doc, id, trust)) return false;
  if (hasRich(doc, id)) {
    const rich = richFragment(doc, id);
    rich.delete(0, rich.length);
  }
  pages(doc).delete(id);
  return true;
}

/**
 * Removes a note from the list by a signed tombstone, its title kept in the
 * page (builds before decision 171 deleted this way; their tombstones still
 * count); false when it is already gone.
 */
export function deleteNote(doc: Y.Doc, id: string, tombstone: Field<true>, trust: RecordTrust) {
  return putField(pages(doc), id, "deleted", tombstone, NOTE_KINDS, trust);
}

/**
 * The note's text as plain text, cut at MAX_NOTE_BODY whatever a member
 * wrote: its rich text's lines once it has any, else its plain body.
 */
export function noteText(doc: Y.Doc, id: string, trust: RecordTrust): string {
  if (!page(doc, id, trust)) return "";
  if (hasRich(doc, id)) return richText(richFragment(doc, id), MAX_NOTE_BODY);
  return noteBody(doc, id, trust)?.toString().slice(0, MAX_NOTE_BODY) ?? "";
}

/**
 * The plain text a note still has to be migrated from: its body, when the
 * note has no rich text yet and the body is not empty; undefined otherwise.
 */
export function plainToMigrate(doc: Y.Doc, id: string, trust: RecordTrust): string | undefined {
  if (hasRich(doc, id)) return undefined;
  const text = noteBody(doc, id, trust)?.toString();
  return text ? text.slice(0, MAX_NOTE_BODY) : undefined;
}

/**
 * The plain text of a note that an older build typed into after the note
 * became rich text (builds before the rich editor read and write `body`
 * only), or undefined. Told without a mark of our own: a migration's items
 * are written under a client id derived from the text it was made from, so
 * a body whose text no migration in this doc was made from has changed
 * since. The rich text stays what new builds edit; this is shown beside it
 * so that the older build's typing is not lost from sight.
 */
export function plainChangedSinceMigration(
  doc: Y.Doc,
  id: string,
  trust: RecordTrust,
): string | undefined {
  if (!hasRich(doc, id)) return undefined;
  const text = noteBody(doc, id, trust)?.toString().slice(0, MAX_NOTE_BODY);
  // A note born rich has no body text; one emptied by an older build is not shown either.
  if (!text) return undefined;
  return doc.store.clients.has(migrationClient(id, text)) ? undefined : text;
}

/** For search: each note's title and text. */
export function noteTexts(doc: Y.Doc, trust: RecordTrust): { note: NoteView; text: string }[] {
  return notes(doc, trust).map((n) => ({ note: n, text: noteText(doc, n.id, trust) }));
}
