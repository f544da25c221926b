/**
 * Files shared in a space (pure: no I/O). The bytes live at the relay as
 * encrypted chunks (core/crypto/file-chunks.ts); the doc holds each file's
 * manifest, which is what makes the chunks readable:
 *
 *   map "files/items":  file id -> FileRecord (plain JSON record)
 *
 * Removing a file rewrites its record as a tombstone (no key, no chunks),
 * so nobody who syncs after the removal learns how to read it. Members who
 * had the manifest before can still fetch and open its chunks; a removal
 * hides a file, it cannot unshare it.
 *
 * A manifest is signed by its sharer's device. One that is not (a member
 * replacing someone's record so it fetches other bytes under their name) is
 * not listed, and nothing is fetched for it: the name shown next to a file is
 * always the membership's name of whoever signed what will be downloaded.
 */
import type * as Y from "yjs";
import { CHUNK_BYTES } from "../../crypto/file-chunks.js";
import { byTime, readRecord, SIGNED_SHAPE } from "./records.js";
import type { RecordTrust, Signed } from "./signed-records.js";

/** Largest file shared at once: it is sealed in memory, and the shell's dialogs stop here too. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_NAME = 255;

export interface FileRecord extends Signed {
  id: string;
  /** Shown name, one path segment. */
  name: string;
  /** Media type as the sender's system named it ("" when unknown); never trusted for display. */
  type: string;
  size: number;
  /** User key (hex) of who shared it. */
  by: string;
  at: number;
  /** secretbox key of the file (hex), and the SHA-256 of each sealed chunk in order. */
  key: string;
  chunks: string[];
}

/** A file as listed: who shared it, by the membership's name. */
export interface FileView extends FileRecord {
  byName: string;
}

/**
 * What a removal leaves. It is signed like every record, though nothing reads
 * it back: the manifest it replaced is gone whoever wrote it.
 */
export interface Tombstone extends Signed {
  id: string;
  removed: true;
  by: string;
  at: number;
}

const ITEMS = "files/items";

const SHAPE = {
  id: "id",
  name: "string",
  type: "string",
  size: "number",
  by: "user",
  at: "number",
  key: "hex32",
  chunks: "hex32s",
  ...SIGNED_SHAPE,
} as const;

/**
 * A file name cut to one segment every system saves as shown: no
 * separators, control or bidi-override characters (which make
 * "invoice\u202Egpj.exe" read as "invoiceexe.jpg"), none of Windows'
 * reserved characters, no trailing dots or spaces, never empty.
 */
export function safeFileName(name: string): string {
  const cleaned = name
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f/\\<>:"|?*]/g, "_")
    .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim();
  const cut = [...cleaned]
    .slice(0, MAX_NAME)
    .join("")
    .replace(/[. ]+$/, "");
  return cut === "" ? "file" : cut;
}

/** File `id`'s manifest as the doc holds it (signature unchecked); undefined when malformed. */
export function fileRecord(doc: Y.Doc, id: string): FileRecord | undefined {
  const f = readRecord<FileRecord>(doc.getMap<unknown>(ITEMS).get(id), SHAPE);
  return f && f.id === id && plausible(f) ? f : undefined;
}

/** Every shared file still listed that its sharer signed, newest first. */
export function files(doc: Y.Doc, trust: RecordTrust): FileView[] {
  const out: FileView[] = [];
  for (const id of doc.getMap<unknown>(ITEMS).keys()) {
    const f = fileRecord(doc, id);
    if (!f || !trust.holds("file", "", f, f.by)) continue;
    out.push({ ...f, name: safeFileName(f.name), byName: trust.nameOf(f.by) });
  }
  return out.sort((a, b) => -byTime(a, b));
}

/** A size that fits its chunk count, within the limit. */
function plausible(f: FileRecord): boolean {
  if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > MAX_FILE_BYTES) return false;
  const expected = Math.max(1, Math.ceil(f.size / CHUNK_BYTES));
  return f.chunks.length === expected;
}

/** A manifest as it will be signed: its name one safe segment. */
export function draftFile(f: FileRecord): FileRecord {
  return { ...f, name: safeFileName(f.name) };
}

/** Lists a signed file (call inside `Space.edit`, once its chunks are at the relay). */
export function addFile(doc: Y.Doc, f: FileRecord): void {
  doc.getMap<unknown>(ITEMS).set(f.id, { ...f });
}

/** Takes a file off the list for everyone with a signed tombstone; false when it is not there. */
export function removeFile(doc: Y.Doc, tombstone: Tombstone): boolean {
  const map = doc.getMap<unknown>(ITEMS);
  if (!readRecord<FileRecord>(map.get(tombstone.id), SHAPE)) return false;
  map.set(tombstone.id, { ...tombstone });
  return true;
}
